#!/usr/bin/env bash
# The evidence log and its search index, on SQLite and on PostgreSQL (a throw-away cluster started here):
#   - appends: `hallmark store bench` appends signed records one by one, each in one transaction with its Merkle
#     nodes, a signed checkpoint, its index row and a state guard — what every governance command does;
#   - the reference, measured in the same run: the same number of plain INSERTs of record-sized bytes, one
#     transaction each, through Python's sqlite3 (same WAL / synchronous=NORMAL settings) and through psql;
#   - search: five combined-filter queries (kind+ring+approval state, change record+kind, environment+version+since,
#     deployment target+execution status, kind+status+environment+one day), p50 and p99, once the index holds
#     10k, 100k and 1M records.
# Targets: >= 2,000 appends/s on SQLite (Tessera, the Sigstore log library, publishes about 1,600 writes/s on POSIX
# files); search p99 <= 20 ms at 100k; p99 at 1M <= 2x p99 at 100k.
#
# Usage: Benchmarks/evidence.sh [appends] [sizes]   (defaults 5000 and 10000,100000,1000000; uses Benchmarks/work/)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
appends="${1:-5000}"
sizes="${2:-10000,100000,1000000}"
root="$PWD"
build_hallmark

work="$root/Benchmarks/work/evidence-bench"
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"

# A PostgreSQL cluster of its own (Debian's postgresql; as the postgres user when run as root), default durability.
start_postgres "$work"
port="$pgport"
trap stop_postgres EXIT
psql -q -h 127.0.0.1 -p "$port" -U hallmark -d postgres -c "CREATE DATABASE bench" -c "CREATE DATABASE reference"
pg="postgres://hallmark@127.0.0.1:$port/bench"

# The reference: plain inserts of 1.2 KiB rows, one transaction each.
sqlite_reference=$(python3 - "$work/reference.db" "$appends" <<'PY'
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, body BLOB)")
body = os.urandom(1200); n = int(sys.argv[2]); start = time.perf_counter()
for i in range(n):
    db.execute("BEGIN IMMEDIATE"); db.execute("INSERT INTO t VALUES (?, ?)", (i, body)); db.execute("COMMIT")
print(f"{n / (time.perf_counter() - start):.0f}")
PY
)
python3 -c "
import sys
print('CREATE TABLE t (seq BIGINT PRIMARY KEY, body BYTEA);')
for i in range(int(sys.argv[1])):
    print(f\"BEGIN; INSERT INTO t VALUES ({i}, decode(repeat('ab', 1200), 'hex')); COMMIT;\")
" "$appends" > "$work/reference.sql"
start=$(now)
psql -q -h 127.0.0.1 -p "$port" -U hallmark -d reference -f "$work/reference.sql" >/dev/null
pg_reference=$(echo "$appends / $(since "$start")" | bc -l)

"$hallmark" store bench --store "sqlite:$work/sqlite/evidence.db" --appends "$appends" --index-rows "$sizes" --queries 200 --format json > "$work/sqlite.json"
"$hallmark" store bench --store "$pg" --log-key "$work/pg-log.key" --appends "$appends" --index-rows "$sizes" --queries 200 --format json > "$work/postgres.json"

python3 - "$work/sqlite.json" "$work/postgres.json" "$sqlite_reference" "$pg_reference" <<'PY'
import json, sys
results = [("SQLite", json.load(open(sys.argv[1])), float(sys.argv[3])), ("PostgreSQL", json.load(open(sys.argv[2])), float(sys.argv[4]))]
for name, r, reference in results:
    a = r["append"]
    print(f"{name}: {r['appends']} appends, {r['appendsPerSecond']:.0f}/s (p50 {a['p50Milliseconds']:.2f} ms, p99 {a['p99Milliseconds']:.2f} ms); "
          f"plain inserts {reference:.0f}/s; ratio {r['appendsPerSecond'] / reference:.2f}x; vs Tessera's published 1,600/s: {r['appendsPerSecond'] / 1600:.2f}x")
    by = {s["indexRows"]: s for s in r["searches"]}
    for rows, s in sorted(by.items()):
        print(f"  search at {rows:>8} rows: p50 {s['all']['p50Milliseconds']:.2f} ms, p99 {s['all']['p99Milliseconds']:.2f} ms  "
              + ", ".join(f"{q} p99 {l['p99Milliseconds']:.1f}" for q, l in sorted(s["byQuery"].items())))
    if 100000 in by and 1000000 in by:
        print(f"  p99 at 1M / p99 at 100k: {by[1000000]['all']['p99Milliseconds'] / by[100000]['all']['p99Milliseconds']:.2f}x (target <= 2x)")
    if 100000 in by:
        print(f"  p99 at 100k: {by[100000]['all']['p99Milliseconds']:.2f} ms (target <= 20 ms)")
sqlite = results[0][1]["appendsPerSecond"]
print(f"SQLite appends: {sqlite:.0f}/s (target >= 2000/s): {'met' if sqlite >= 2000 else 'NOT met'}")
PY
