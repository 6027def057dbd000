# Shared by the benchmark scripts: source it after `cd` to the repository root.

# Builds the release binary and sets $hallmark.
build_hallmark() {
    swift build -c release --product hallmark >/dev/null
    hallmark="$(swift build -c release --show-bin-path)/hallmark"
}

# Writes an 8-platform x 64 MiB release (random "archives") into $1, signed with a new key in $2/k.key.
make_signed_release() {
    local dir="$1" keys="$2" size=$((64 * 1024 * 1024))
    mkdir -p "$dir" "$keys"
    for t in linux_amd64 linux_arm64 linux_386 linux_riscv64 darwin_amd64 darwin_arm64 freebsd_amd64 windows_amd64; do
        head -c "$size" /dev/urandom > "$dir/tool_$t.tar.gz"
    done
    "$hallmark" keys generate --out "$keys/k" >/dev/null 2>&1
    "$hallmark" sign "$dir" --key "$keys/k.key" >/dev/null
}

now() { date +%s.%N; }
# The smaller of $1 (may be empty) and $2.
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
# Seconds since $1 (a `now` value).
since() { echo "$(now) - $1" | bc -l; }
# One result line: label, seconds, MiB processed.
result() { printf '%-58s %6.2f s (%4.0f MiB/s)\n' "$1" "$2" "$(echo "$3 / $2" | bc -l)"; }
# A ratio line: label, the reference's seconds, Hallmark's seconds, anything to append.
ratio() { printf '%s: %.2fx%s\n' "$1" "$(echo "$2 / $3" | bc -l)" "${4:-}"; }

# Starts a throw-away PostgreSQL cluster (Debian's postgresql; as the postgres user when run as root) in $1/pg,
# default durability, on a free loopback port: sets $pgport, $pgbin, $pgdir and as_pg; stop_postgres stops it.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
start_postgres() {
    pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    pgdir="$1/pg"
    mkdir -p "$pgdir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$pgdir"; fi
    pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$pgbin/initdb" -D "$pgdir/data" -A trust -U hallmark -E UTF8 >/dev/null
    as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1" -l "$pgdir/log" -w start >/dev/null
}
stop_postgres() { [ -n "${pgdir:-}" ] && as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null 2>&1 || true; }
