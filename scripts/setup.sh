#!/usr/bin/env bash
# Installs the third-party tools Hallmark's interop tests run: openssl, GNU coreutils, python3 with
# securesystemslib and cryptography. Safe to run again; it installs only what is missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
command -v sha256sum >/dev/null || need_apt+=(coreutils)
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
command -v git >/dev/null || need_apt+=(git)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "==> apt-get install ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

if ! python3 -c 'import securesystemslib.dsse, cryptography' 2>/dev/null; then
    echo "==> pip install securesystemslib[crypto]"
    python3 -m pip install --quiet --disable-pip-version-check 'securesystemslib[crypto]==1.6.0' \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages 'securesystemslib[crypto]==1.6.0'
fi
