#!/usr/bin/env bash
# Installs what the tests need (Debian packages, Python tools), then builds and runs the whole test suite.
# Usage: scripts/test.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "==> swift build --build-tests"
swift build --build-tests
echo "==> swift test"
swift test --skip-build "$@"

# Every parser of untrusted bytes under libFuzzer for a short time (scripts/fuzz.sh; 0 skips).
fuzz_seconds="${HALLMARK_FUZZ_SECONDS:-5}"
if [ "$fuzz_seconds" != 0 ]; then
    echo "==> scripts/fuzz.sh $fuzz_seconds"
    scripts/fuzz.sh "$fuzz_seconds"
fi
