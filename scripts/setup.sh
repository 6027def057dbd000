#!/usr/bin/env bash
# Installs the third-party tools Hallmark's tests run: openssl, GNU coreutils, tar, gzip, unzip, make, a C
# compiler and cargo (the release tests build real projects), minisign and signify-openbsd, an OCI registry
# (docker-registry), skopeo and Apache's htpasswd (registry passwords), ssh-keygen (key fingerprints), PostgreSQL
# (the evidence store tests run a throw-away cluster), the C libraries Hallmark links (zlib,
# libsodium, libdeflate), and Python's securesystemslib, spdx-tools (pyspdxtools), ntia-conformance-checker, jsonschema
# and oras (the OCI client oras-py); for the tuf-conformance suite, faketime and a virtualenv with its pins
# (.build/tuf-conformance-venv). Safe to run again; it installs only what is missing.
set -euo pipefail
"$(dirname "$0")/build-deps.sh"

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
command -v sha256sum >/dev/null || need_apt+=(coreutils)
command -v python3 >/dev/null || need_apt+=(python3 python3-pip)
command -v git >/dev/null || need_apt+=(git)
command -v unzip >/dev/null || need_apt+=(unzip)
command -v tar >/dev/null || need_apt+=(tar)
command -v gzip >/dev/null || need_apt+=(gzip)
command -v make >/dev/null || need_apt+=(make)
command -v cc >/dev/null || need_apt+=(gcc)
command -v cargo >/dev/null || [ -x "$HOME/.cargo/bin/cargo" ] || need_apt+=(cargo)
command -v minisign >/dev/null || need_apt+=(minisign)
command -v signify-openbsd >/dev/null || need_apt+=(signify-openbsd)
command -v docker-registry >/dev/null || need_apt+=(docker-registry)
command -v skopeo >/dev/null || need_apt+=(skopeo)
command -v htpasswd >/dev/null || need_apt+=(apache2-utils)
command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
# PostgreSQL: the store tests start a throw-away cluster (initdb in a temp dir, on a loopback port).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v runuser >/dev/null || need_apt+=(util-linux)
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

pip_install() {
    python3 -m pip install --quiet --disable-pip-version-check "$@" \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$@"
}
if ! command -v pyspdxtools >/dev/null || ! command -v ntia-checker >/dev/null || ! python3 -c 'import jsonschema' 2>/dev/null; then
    echo "==> pip install spdx-tools ntia-conformance-checker jsonschema"
    pip_install 'spdx-tools==0.8.5' 'ntia-conformance-checker==6.0.0' 'jsonschema>=4'
fi
if ! python3 -c 'import oras.client' 2>/dev/null; then
    echo "==> pip install oras"
    pip_install 'oras==0.2.43'
fi

# The tuf-conformance suite (scripts/tuf-conformance.sh): Debian's faketime, and the suite's exact Python pins in
# a virtualenv of their own (they conflict with the securesystemslib 1.6.0 the other tests use).
if ! command -v faketime >/dev/null; then
    echo "==> apt-get install faketime"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq faketime
fi
tuf_venv="$(cd "$(dirname "$0")/.." && pwd)/.build/tuf-conformance-venv"
if ! "$tuf_venv/bin/python" -c 'import tuf, securesystemslib, pytest, pytest_jsonreport' 2>/dev/null; then
    echo "==> python3 -m venv $tuf_venv (tuf-conformance pins)"
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv
    fi
    mkdir -p "$(dirname "$tuf_venv")"
    rm -rf "$tuf_venv"
    python3 -m venv "$tuf_venv"
    "$tuf_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        'securesystemslib[crypto]==1.4.0' 'tuf==7.0.0' 'pytest==9.1.1' 'pytest-json-report==1.5.0'
fi

# hallmark serve's tests: Debian's headless chromium and its driver (the console is driven through them by
# selenium, which never downloads a browser), wrk (Benchmarks/serve.sh), and selenium and schemathesis (the API
# tested against its OpenAPI document) in a virtualenv of their own.
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
command -v wrk >/dev/null || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "==> apt-get install ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi
serve_venv="$(cd "$(dirname "$0")/.." && pwd)/.build/serve-test-venv"
if ! "$serve_venv/bin/python" -c 'import selenium, schemathesis' 2>/dev/null; then
    echo "==> python3 -m venv $serve_venv (selenium, schemathesis)"
    mkdir -p "$(dirname "$serve_venv")"
    rm -rf "$serve_venv"
    python3 -m venv "$serve_venv"
    "$serve_venv/bin/python" -m pip install --quiet --disable-pip-version-check 'selenium==4.51.0' 'schemathesis==4.32.5'
fi
