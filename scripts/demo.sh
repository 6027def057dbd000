#!/usr/bin/env bash
# Hallmark's main job on the bundled example: build hallmark, sign a release directory with a fresh key, verify it
# with Hallmark, and check it again with GNU sha256sum. Everything lands in dist/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> swift build"
swift build --product hallmark
hallmark="$(swift build --show-bin-path)/hallmark"

rm -rf dist/demo dist/demo-keys
mkdir -p dist/demo-keys
cp -R Examples/demo-release dist/demo

echo "==> hallmark keys generate (demo key, not for real releases)"
"$hallmark" keys generate --out dist/demo-keys/demo
echo "==> hallmark sign dist/demo"
"$hallmark" sign dist/demo --key dist/demo-keys/demo.key
echo "==> hallmark verify dist/demo"
"$hallmark" verify dist/demo --key dist/demo-keys/demo.pub
echo "==> sha256sum -c (GNU coreutils reads our list)"
(cd dist/demo && sha256sum -c checksums.txt)
echo "==> openssl verifies one signature too"
base64 -d dist/demo/greet.sh.sig > dist/demo-keys/greet.sh.sig.bin
openssl pkeyutl -verify -pubin -inkey dist/demo-keys/demo.pub -rawin -in dist/demo/greet.sh -sigfile dist/demo-keys/greet.sh.sig.bin
