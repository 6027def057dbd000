#!/usr/bin/env bash
# Hallmark's main job on the bundled example: build hallmark, then cut a signed release of Examples/greet
# (four targets) with a key generated for the demo, and check the result with Hallmark, GNU sha256sum, GNU tar,
# unzip and openssl. The example is copied into a fresh git repository (dist/demo/src) and tagged v1.0.0, as a
# real project would be. Everything lands in dist/demo/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

scripts/build-deps.sh
echo "==> swift build"
swift build --product hallmark
hallmark="$(swift build --show-bin-path)/hallmark"

demo="$root/dist/demo"
rm -rf "$demo"
mkdir -p "$demo/keys"
cp -R Examples/greet "$demo/src"
(
    cd "$demo/src"
    git init -q
    git add -A
    GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000 \
        git -c user.name="Hallmark demo" -c user.email=demo@example.invalid commit -qm "greet 1.0.0"
    git tag v1.0.0
)

echo "==> hallmark keys generate (demo key, not for real releases)"
"$hallmark" keys generate --out "$demo/keys/demo"
echo "==> hallmark release --version v1.0.0"
(cd "$demo/src" && "$hallmark" release --version v1.0.0 --key "$demo/keys/demo.key")
release="$demo/src/dist/v1.0.0"

echo "==> hallmark verify"
"$hallmark" verify "$release" --key "$demo/keys/demo.pub"
echo "==> sha256sum -c (GNU coreutils reads our list)"
(cd "$release" && sha256sum -c checksums.txt)
echo "==> openssl verifies the signature of checksums.txt"
base64 -d "$release/checksums.txt.sig" > "$demo/keys/checksums.sig.bin"
openssl pkeyutl -verify -pubin -inkey "$demo/keys/demo.pub" -rawin -in "$release/checksums.txt" -sigfile "$demo/keys/checksums.sig.bin"
echo "==> GNU tar and unzip read the archives; the host binary runs"
tar -tvzf "$release/greet_1.0.0_linux_amd64.tar.gz" --numeric-owner
unzip -l "$release/greet_1.0.0_windows_amd64.zip"
mkdir -p "$demo/run" && tar -xzf "$release/greet_1.0.0_linux_amd64.tar.gz" -C "$demo/run" && "$demo/run/greet" --version
echo "==> hallmark rebuild (an auditor repeats one target and compares digests)"
"$hallmark" rebuild "$release" --target linux/arm64
echo
echo "The release is in $release; its notes are in $release/release-notes.md."
