#!/usr/bin/env bash
# Runs the tuf-conformance suite against hallmark's TUF client (scripts/tuf-conformance-client) and prints the
# pass/fail counts. The suite is read from $HALLMARK_CONFORMANCE_DIR/tuf-conformance-suite (default:
# ../shared/conformance beside this checkout), copied to a temporary directory first (the shared copy is
# read-only). Its Python pins (tuf 7.0.0, securesystemslib 1.4.0, pytest 9.1.1) live in their own virtualenv,
# .build/tuf-conformance-venv, which scripts/setup.sh creates; so does Debian's faketime, which the suite runs.
# Usage: scripts/tuf-conformance.sh [extra pytest arguments, e.g. -k test_basic]
# Needs a built hallmark: .build/debug/hallmark, or $HALLMARK_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
conformance=${HALLMARK_CONFORMANCE_DIR:-$root/../shared/conformance}
suite=$conformance/tuf-conformance-suite
venv=$root/.build/tuf-conformance-venv

[ -d "$suite" ] || { echo "tuf-conformance.sh: no suite at $suite (set HALLMARK_CONFORMANCE_DIR)" >&2; exit 2; }
[ -x "$venv/bin/pytest" ] && command -v faketime >/dev/null || scripts/setup.sh
bin=${HALLMARK_BIN:-$root/.build/debug/hallmark}
[ -x "$bin" ] || { echo "tuf-conformance.sh: $bin is not built (swift build, or set HALLMARK_BIN)" >&2; exit 2; }
export HALLMARK_BIN=$bin

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -rL "$suite" "$work/suite"
chmod -R u+w "$work/suite"
# static_data is a link to ../../tuf-conformance; where the copy carries it as a file naming its target, copy that.
link=$work/suite/tuf_conformance/static_data
if [ -f "$link" ]; then
    target=$(cat "$link")
    rm "$link"
    cp -rL "$suite/tuf_conformance/$target" "$link"
    chmod -R u+w "$link"
fi
cd "$work/suite"
start=$(date +%s)
status=0
"$venv/bin/pytest" tuf_conformance --entrypoint "$root/scripts/tuf-conformance-client" -p no:cacheprovider -q \
    -o addopts="" --json-report --json-report-file="$work/report.json" "$@" > "$work/pytest.log" 2>&1 || status=$?
tail -n 40 "$work/pytest.log"
elapsed=$(( $(date +%s) - start ))
"$venv/bin/python" - "$work/report.json" "$elapsed" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
summary = report.get("summary", {})
failed = [t["nodeid"] for t in report.get("tests", []) if t.get("outcome") in ("failed", "error")]
for name in failed:
    print("FAILED", name)
print(f"{summary.get('total', 0)} tests ({summary.get('xfailed', 0)} xfailed) in {sys.argv[2]} s")
print(f"tuf-conformance: {summary.get('passed', 0)} passed, {summary.get('failed', 0) + summary.get('error', 0)} failed, "
      f"{summary.get('skipped', 0)} skipped")
PY
exit $status
