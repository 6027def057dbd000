#!/usr/bin/env bash
# hallmark serve under load, with wrk (Debian): `GET /evidence` searches (five combined-filter shapes, varying
# values, default page of 50) and artifact downloads (a rollout's release/index.json, checked against the record on
# every request), with the index at 100k records, on SQLite, and on PostgreSQL (a throw-away cluster started here)
# with one node and with two nodes sharing it.
#   - the reference, measured in the same run: the same five query shapes timed directly in the store by
#     `hallmark store bench` (one caller, no HTTP), so the API's own overhead is visible;
#   - API at 1 connection (latency against the direct time: the overhead) and at 64 connections (throughput, p99).
# Targets: search p99 <= 50 ms at 100k records with 64 connections; the API's own overhead (p50 at 1 connection
# minus the direct p50) <= 2x the direct query time (the ratio of the two p50s is printed too).
#
# Usage: Benchmarks/serve.sh [seconds per wrk run] [records]   (defaults 15 and 100000; uses Benchmarks/work/)
set -euo pipefail
cd "$(dirname "$0")/.."
. Benchmarks/common.sh
seconds="${1:-15}"
records="${2:-100000}"
root="$PWD"
build_hallmark
command -v wrk >/dev/null || { echo "wrk is missing: scripts/setup.sh installs it" >&2; exit 2; }

work="$root/Benchmarks/work/serve-bench"
rm -rf "$work"
mkdir -p "$work/keys"
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    stop_postgres
}
trap cleanup EXIT

# A signed release of the bundled example with a deployment manifest (as scripts/demo.sh makes it), for a rollout
# whose files the artifact-download runs fetch.
echo "==> a release of Examples/greet and its rollout"
cp -R Examples/greet "$work/src"
for approver in alice bob; do "$hallmark" keys generate --out "$work/keys/$approver" >/dev/null 2>&1; done
"$hallmark" keys generate --out "$work/keys/release" >/dev/null 2>&1
mkdir -p "$work/src/keys" && cp "$work/keys/alice.pub" "$work/keys/bob.pub" "$work/src/keys/"
cat >> "$work/src/hallmark.yml" <<'YAML'
deployments:
  rings: [canary, production]
  targets:
    - {id: runner-linux-amd64, surface: ci-runner, platform: linux/amd64, prefix: /usr/local, channel: stable, ring: canary}
    - {id: server-linux-arm64, surface: server, platform: linux/arm64, prefix: /opt/greet, channel: stable, ring: production}
  controls:
    soak: {canary: 0s}
    approvals: {required: 2, approvers: [keys/alice.pub, keys/bob.pub]}
YAML
(
    cd "$work/src" && git init -q && git add -A
    GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000 git -c user.name=bench -c user.email=bench@example.invalid commit -qm greet
    git tag v1.0.0 && "$hallmark" release --version v1.0.0 --key "$work/keys/release.key" -q
)

# A store filled by store bench (2,000 signed records appended, the index grown to $records rows, the five query
# shapes timed directly), then the rollout captured and verified into it.
fill() { # store, log key, name
    "$hallmark" store bench --store "$1" --log-key "$2" --appends 2000 --index-rows "$records" --queries 300 --format json > "$work/$3-direct.json"
    mkdir -p "$work/roots-$3"
    HALLMARK_STORE="$1" HALLMARK_LOG_KEY="$2" "$hallmark" rollout capture "$work/src/dist/v1.0.0" --deployment-id bench \
        --change-record CHG-1 --key "$work/keys/release.key" --out "$work/roots-$3/bench" | cut -d' ' -f1 > "$work/$3-rollout"
    HALLMARK_STORE="$1" HALLMARK_LOG_KEY="$2" "$hallmark" rollout verify "$work/roots-$3/bench" --key "$work/keys/release.pub" >/dev/null
    HALLMARK_STORE="$1" HALLMARK_LOG_KEY="$2" "$hallmark" serve token create --role viewer --name bench > "$work/$3-token"
}

serve() { # store, log key, artifact root; prints the port
    local log="$work/serve-$RANDOM.out"
    "$hallmark" serve --listen 127.0.0.1:0 --store "$1" --log-key "$2" --artifact-root "$3" > "$log" 2>/dev/null &
    pids+=($!)
    for _ in $(seq 100); do grep -q listening "$log" 2>/dev/null && break; sleep 0.1; done
    sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1
}

# The five query shapes of store bench, with varying values, as API paths.
cat > "$work/search.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local paths = {}
for n = 0, 199 do
  local since = 1760000000 + (n * 7919 * 30) % (100000 * 30)
  paths[#paths + 1] = "/evidence?kind=promotion-request&ring=staging&approval_state=pending"
  paths[#paths + 1] = "/evidence?kind=promotion-approval&change_record=CHG-" .. (n * 37 % 5000)
  paths[#paths + 1] = "/evidence?environment=production&version=v1." .. (n % 50) .. ".0&since=" .. since
  paths[#paths + 1] = "/evidence?deployment_target=target-" .. (n % 200) .. "&execution_status=succeeded"
  paths[#paths + 1] = "/evidence?kind=rollout&status=staged&environment=staging&since=" .. since .. "&until=" .. (since + 86400)
end
local i = math.random(#paths)
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA

# One wrk run: connections, URL, lua script or "-"; prints "requests/s p50_ms p99_ms errors".
run_wrk() {
    local out threads=2
    [ "$1" -lt 2 ] && threads=1
    if [ "$3" = "-" ]; then
        out=$(wrk -t"$threads" -c"$1" -d"${seconds}s" --latency -H "Authorization: Bearer $TOKEN" "$2")
    else
        out=$(wrk -t"$threads" -c"$1" -d"${seconds}s" --latency -s "$3" "$2")
    fi
    python3 - "$out" <<'PY'
import re, sys
text = sys.argv[1]
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v = float(m.group(1)); return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print(f"{rps:.0f} {ms('50%'):.2f} {ms('99%'):.2f} {int(non2xx.group(1)) if non2xx else 0}")
PY
}

# Two wrk runs at once, one per node, 32 connections each; prints the summed requests/s and the worse p50/p99.
run_two() {
    run_wrk 32 "$1" "$3" > "$work/two-a" & local a=$!
    run_wrk 32 "$2" "$3" > "$work/two-b" & local b=$!
    wait $a $b
    python3 - "$work/two-a" "$work/two-b" <<'PY'
import sys
a, b = (list(map(float, open(p).read().split())) for p in sys.argv[1:3])
print(f"{a[0] + b[0]:.0f} {max(a[1], b[1]):.2f} {max(a[2], b[2]):.2f} {int(a[3] + b[3])}")
PY
}

report() { # name, direct json, 1-conn search, 64-conn search, 64-conn downloads
    python3 - "$@" <<'PY'
import json, sys
name, direct_file, one, many, downloads = sys.argv[1:6]
direct = [s for s in json.load(open(direct_file))["searches"]][-1]
d50, d99 = direct["all"]["p50Milliseconds"], direct["all"]["p99Milliseconds"]
o = one.split(); m = many.split(); dl = downloads.split()
print(f"{name}: direct store query at {direct['indexRows']} rows: p50 {d50:.2f} ms, p99 {d99:.2f} ms")
overhead = float(o[1]) - d50
print(f"  API search, 1 connection:   {o[0]:>6} req/s, p50 {o[1]} ms, p99 {o[2]} ms; API p50 / direct p50 {float(o[1]) / d50:.2f}x; "
      f"the API's own overhead {overhead:.2f} ms = {overhead / d50:.2f}x the direct query (target <= 2x)")
print(f"  API search, 64 connections: {m[0]:>6} req/s, p50 {m[1]} ms, p99 {m[2]} ms (target p99 <= 50 ms: {'met' if float(m[2]) <= 50 else 'NOT met'}); non-2xx {m[3]}")
print(f"  artifact downloads, 64 connections: {dl[0]:>6} req/s, p50 {dl[1]} ms, p99 {dl[2]} ms; non-2xx {dl[3]}")
PY
}

echo "==> SQLite: filling the store ($records index rows)"
sqlite="sqlite:$work/sqlite/evidence.db"
fill "$sqlite" "$work/sqlite/log.key" sqlite
export TOKEN="$(cat "$work/sqlite-token")"
port=$(serve "$sqlite" "$work/sqlite/log.key" "$work/roots-sqlite")
artifact="http://127.0.0.1:$port/evidence/$(cat "$work/sqlite-rollout")/artifacts/release/index.json"
curl -sf -H "Authorization: Bearer $TOKEN" "$artifact" >/dev/null
echo "==> SQLite: wrk, ${seconds}s per run"
one=$(run_wrk 1 "http://127.0.0.1:$port" "$work/search.lua")
many=$(run_wrk 64 "http://127.0.0.1:$port" "$work/search.lua")
downloads=$(run_wrk 64 "$artifact" -)
kill "${pids[@]}" 2>/dev/null || true; pids=()
sqlite_report=$(report SQLite "$work/sqlite-direct.json" "$one" "$many" "$downloads")

echo "==> PostgreSQL: a throw-away cluster, filling the store"
start_postgres "$work"
psql -q -h 127.0.0.1 -p "$pgport" -U hallmark -d postgres -c "CREATE DATABASE bench"
pg="postgres://hallmark@127.0.0.1:$pgport/bench"
mkdir -p "$work/pg-keys"
fill "$pg" "$work/pg-keys/log.key" pg
export TOKEN="$(cat "$work/pg-token")"
port=$(serve "$pg" "$work/pg-keys/log.key" "$work/roots-pg")
rollout=$(cat "$work/pg-rollout")
echo "==> PostgreSQL, one node: wrk, ${seconds}s per run"
one=$(run_wrk 1 "http://127.0.0.1:$port" "$work/search.lua")
many=$(run_wrk 64 "http://127.0.0.1:$port" "$work/search.lua")
downloads=$(run_wrk 64 "http://127.0.0.1:$port/evidence/$rollout/artifacts/release/index.json" -)
pg_report=$(report "PostgreSQL, one node" "$work/pg-direct.json" "$one" "$many" "$downloads")
echo "==> PostgreSQL, two nodes: wrk, ${seconds}s per run"
cp "$work/pg-keys/log.key" "$work/pg-keys/node-b.key"
port_b=$(serve "$pg" "$work/pg-keys/node-b.key" "$work/roots-pg")
two=$(run_two "http://127.0.0.1:$port" "http://127.0.0.1:$port_b" "$work/search.lua")
two_downloads=$(run_two "http://127.0.0.1:$port/evidence/$rollout/artifacts/release/index.json" "http://127.0.0.1:$port_b/evidence/$rollout/artifacts/release/index.json" -)

echo
echo "$sqlite_report"
echo "$pg_report"
read -r r50 p50 p99 errors <<< "$two"
read -r d_rps d50 d99 d_errors <<< "$two_downloads"
echo "PostgreSQL, two nodes (32 connections each): search $r50 req/s, p50 $p50 ms, p99 $p99 ms, non-2xx $errors; downloads $d_rps req/s, p50 $d50 ms, p99 $d99 ms, non-2xx $d_errors"
echo "(2 cores: wrk, the server(s) and PostgreSQL share them.)"
