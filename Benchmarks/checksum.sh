#!/usr/bin/env bash
# Hashing throughput of `hallmark checksum` against `openssl dgst -sha256` and GNU `sha256sum`, measured in one run
# on the same files with a warm page cache. Prints each tool's best of N runs and Hallmark's speed ratios.
#
# Cases: one 1 GiB file (a single SHA-256 stream: the CPU's SHA extensions set the limit), and a release of
# 16 x 64 MiB files (independent files: Hallmark hashes them on every core).
# Targets: one file >= 0.95x openssl; the 16-file release >= 1.8x openssl (about 7x sha256sum) on 2 cores.
#
# Usage: Benchmarks/checksum.sh [runs]   (default 3; uses Benchmarks/work/, about 2 GiB of disk)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"

swift build -c release --product hallmark >/dev/null
hallmark="$(swift build -c release --show-bin-path)/hallmark"
work=Benchmarks/work
mkdir -p "$work/release"

if [ ! -f "$work/one.bin" ] || [ "$(stat -c %s "$work/one.bin")" != 1073741824 ]; then
    echo "creating $work/one.bin (1 GiB)" >&2
    openssl rand -out "$work/one.bin" 1073741824 2>/dev/null || head -c 1073741824 /dev/urandom > "$work/one.bin"
fi
for i in $(seq -w 1 16); do
    f="$work/release/part-$i.bin"
    [ -f "$f" ] && [ "$(stat -c %s "$f")" = 67108864 ] || head -c 67108864 /dev/urandom > "$f"
done
cat "$work/one.bin" "$work"/release/*.bin > /dev/null   # warm the page cache

# best_of CMD...: the fastest wall-clock seconds of $runs runs.
best_of() {
    local best=""
    for _ in $(seq 1 "$runs"); do
        local start end t
        start=$(date +%s.%N)
        "$@" > /dev/null
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

report() { # label bytes t_hallmark t_openssl t_sha256sum
    local mb=$(( $2 / 1048576 ))
    printf '%-22s hallmark %6.3fs (%5.0f MiB/s)  openssl %6.3fs (%5.0f MiB/s)  sha256sum %6.3fs (%5.0f MiB/s)\n' \
        "$1" "$3" "$(echo "$mb / $3" | bc -l)" "$4" "$(echo "$mb / $4" | bc -l)" "$5" "$(echo "$mb / $5" | bc -l)"
    printf '%-22s ratio vs openssl: %.2fx   ratio vs sha256sum: %.2fx\n' "" \
        "$(echo "$4 / $3" | bc -l)" "$(echo "$5 / $3" | bc -l)"
}

echo "cores: $(nproc); runs per tool: $runs (best of)"
h=$(best_of "$hallmark" checksum "$work/one.bin")
o=$(best_of openssl dgst -sha256 "$work/one.bin")
s=$(best_of sha256sum "$work/one.bin")
report "1 x 1 GiB" 1073741824 "$h" "$o" "$s"

h=$(best_of "$hallmark" checksum "$work"/release/*.bin)
o=$(best_of openssl dgst -sha256 "$work"/release/*.bin)
s=$(best_of sha256sum "$work"/release/*.bin)
report "16 x 64 MiB release" 1073741824 "$h" "$o" "$s"
