#!/usr/bin/env bash
# Builds a stripped release binary stamped with the commit and its date (what `hallmark version` reports).
# The date is the commit's (or SOURCE_DATE_EPOCH when set), never the clock. Output: .build-release/hallmark
set -euo pipefail
cd "$(dirname "$0")/.."

commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo)}"
swift build -c release --product hallmark --scratch-path .build-release \
    -Xcc "-DHALLMARK_GIT_COMMIT=\"$commit\"" -Xcc "-DHALLMARK_SOURCE_DATE_EPOCH=\"$epoch\""
bin="$(swift build -c release --scratch-path .build-release --show-bin-path)"
strip -o .build-release/hallmark "$bin/hallmark"
.build-release/hallmark version
