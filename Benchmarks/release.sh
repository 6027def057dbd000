#!/usr/bin/env bash
# A release of 8 targets x 64 MiB binaries: the whole `hallmark release --dry-run`, and its archive step against
# the shell pipelines a release script would use on the same files, one target after another:
#   tar --sort=name --mtime=@EPOCH --owner=0 --group=0 --numeric-owner -c BINARY | gzip -n -6
#   the same with pigz -6 (parallel gzip on every core)
# All at compression level 6, in one run, on a warm page cache. Target (2 cores): archive step >= 1.5x the pigz
# pipeline. Also printed: the ratio to the gzip pipeline, and the archives' total size against gzip -6's.
#
# The binaries are built from the machine's own executables and libraries (so they compress like real
# binaries), each target starting at a different offset. The build command copies them by absolute path:
# `hallmark release` builds in a clone of the commit under /tmp, not in the project directory.
#
# Usage: Benchmarks/release.sh [runs]   (default 3; uses Benchmarks/work/, about 1.5 GiB of disk)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
runs="${1:-3}"
root="$PWD"

command -v pigz >/dev/null || { echo "==> apt-get install pigz" >&2; apt-get update -qq && apt-get install -y -qq pigz >/dev/null; }
swift build -c release --product hallmark >/dev/null
hallmark="$(swift build -c release --show-bin-path)/hallmark"

work="$root/Benchmarks/work/release-bench"
rm -rf "$work"
mkdir -p "$work/bins" "$work/project" "$work/pipe"
targets="linux/amd64 linux/arm64 linux/386 linux/riscv64 darwin/amd64 darwin/arm64 freebsd/amd64 windows/amd64"
size=$((64 * 1024 * 1024))

# A pool of real binaries, then one 64 MiB slice of it per target.
pool="$work/pool.bin"
{ find /usr/lib /usr/bin /opt/swift/usr/lib -type f -size +100k 2>/dev/null | sort | head -400 | xargs cat 2>/dev/null || true; } \
    | head -c $((size * 3)) > "$pool" || true
pool_size=$(stat -c %s "$pool")
i=0
for t in $targets; do
    slug="${t/\//_}"
    offset=$(( (i * 23 * 1024 * 1024) % (pool_size - size) ))
    { tail -c +$((offset + 1)) "$pool" || true; } | head -c "$size" > "$work/bins/$slug"
    i=$((i + 1))
done
rm -f "$pool"

cat > "$work/project/hallmark.yml" <<YAML
version: 1
project:
  name: bench
builds:
  - id: bench
    binary: bench
    command: cp "$work/bins/{{ os }}_{{ arch }}" "\$HALLMARK_OUTPUT"
    targets: [$(echo $targets | sed 's/ /, /g')]
archives:
  format: tar.gz
  formats: { windows: tar.gz }
  compression_level: 6
guard:
  require_tag: false
YAML
(cd "$work/project" && printf '/dist/\n' > .gitignore && git init -q && git add -A \
    && GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000 git -c user.name=b -c user.email=b@e commit -qm bench)
cat "$work"/bins/* > /dev/null   # warm the page cache


pipeline() { # compressor
    for t in $targets; do
        slug="${t/\//_}"
        mkdir -p "$work/pipe/$slug"
        cp "$work/bins/$slug" "$work/pipe/$slug/bench"
    done
    local start end
    start=$(now)
    for t in $targets; do
        slug="${t/\//_}"
        tar --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner -C "$work/pipe/$slug" -c bench \
            | $1 -n -6 > "$work/pipe/$slug.$1.tar.gz"
    done
    end=$(now)
    echo "$end - $start" | bc -l
}

# The three take turns within each run, so that a burst of other work on the machine slows all of them alike.
best_total=""; best_archive=""; best_gzip=""; best_pigz=""
for _ in $(seq 1 "$runs"); do
    start=$(now)
    json=$(cd "$work/project" && "$hallmark" release --version v1.0.0 --dry-run -q --format json 2>/dev/null)
    end=$(now)
    best_total=$(min "$best_total" "$(echo "$end - $start" | bc -l)")
    archive=$(echo "$json" | python3 -c 'import json,sys; print([s["seconds"] for s in json.load(sys.stdin)["steps"] if s["name"]=="archive"][0])')
    best_archive=$(min "$best_archive" "$archive")
    best_gzip=$(min "$best_gzip" "$(pipeline gzip)")
    best_pigz=$(min "$best_pigz" "$(pipeline pigz)")
done

mib=$(( 8 * size / 1048576 ))
echo "cores: $(nproc); 8 targets x 64 MiB ($mib MiB); best of $runs runs"
printf 'hallmark release --dry-run, total     %7.2f s\n' "$best_total"
printf 'hallmark archive step                 %7.2f s  (%4.0f MiB/s)\n' "$best_archive" "$(echo "$mib / $best_archive" | bc -l)"
printf 'tar | gzip -n -6, one after another    %7.2f s  (%4.0f MiB/s)\n' "$best_gzip" "$(echo "$mib / $best_gzip" | bc -l)"
printf 'tar | pigz -n -6, one after another    %7.2f s  (%4.0f MiB/s)\n' "$best_pigz" "$(echo "$mib / $best_pigz" | bc -l)"
printf 'archive step vs gzip pipeline: %.2fx\n' "$(echo "$best_gzip / $best_archive" | bc -l)"
printf 'archive step vs pigz pipeline: %.2fx (target >= 1.5x)\n' "$(echo "$best_pigz / $best_archive" | bc -l)"
total_size() { local sum=0 f; for f in "$@"; do sum=$((sum + $(stat -c %s "$f"))); done; echo "$sum"; }
hsize=$(total_size "$work"/project/dist/v1.0.0/*.tar.gz)
gsize=$(total_size "$work"/pipe/*.gzip.tar.gz)
psize=$(total_size "$work"/pipe/*.pigz.tar.gz)
printf 'archive sizes, all targets: hallmark %d bytes, tar|gzip -6 %d, tar|pigz -6 %d\n' "$hsize" "$gsize" "$psize"
printf 'hallmark size vs gzip -6: %+.2f%%\n' "$(echo "($hsize - $gsize) * 100 / $gsize" | bc -l)"
rm -rf "$work"
