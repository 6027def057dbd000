#!/usr/bin/env bash
# `hallmark verify-remote` of an 8-platform x 64 MiB release served from 127.0.0.1 (python3 -m http.server)
# against `curl` of the same files followed by `sha256sum -c`, in one run, best of N. Target: >= 1.0x
# (Hallmark hashes while downloading, four files at a time).
#
# Usage: Benchmarks/verify-remote.sh [runs]   (default 3; uses Benchmarks/work/, about 1.2 GiB of disk)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
root="$PWD"
. Benchmarks/common.sh
build_hallmark
work="$root/Benchmarks/work/verify-remote"
rm -rf "$work"
make_signed_release "$work/site/v1.0.0" "$work/keys"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$work/site" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do grep -q "port" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/server.log" | head -1)
base="http://127.0.0.1:$port/v1.0.0"
files=$(cd "$work/site/v1.0.0" && ls)

best_h=""; best_c=""
for _ in $(seq 1 "$runs"); do
    rm -rf "$work/h" "$work/c"; mkdir -p "$work/c"
    s=$(now); "$hallmark" verify-remote "$base/" --key "$work/keys/k.pub" --out "$work/h" --report-dir "$work" >/dev/null
    best_h=$(min "$best_h" "$(since "$s")")
    s=$(now)
    (cd "$work/c" && for f in $files; do curl -sfS -o "$f" "$base/$f"; done && sha256sum -c --quiet checksums.txt)
    best_c=$(min "$best_c" "$(since "$s")")
done
mib=$((8 * 64))
echo "cores: $(nproc); 8 x 64 MiB ($mib MiB) plus metadata over 127.0.0.1; best of $runs"
result 'hallmark verify-remote (download, hash, verify signatures)' "$best_h" "$mib"
result 'curl each file, then sha256sum -c' "$best_c" "$mib"
ratio 'ratio' "$best_c" "$best_h" ' (target >= 1.0x)'
