#!/usr/bin/env bash
# Fuzzes every parser of untrusted bytes with libFuzzer (coverage-guided, AddressSanitizer on Hallmark's modules).
# Builds `hallmark-fuzz` with HALLMARK_FUZZ=1 into .build-fuzz, then runs each target for SECONDS from the committed
# seeds (Fuzz/corpus/TARGET) plus inputs taken from ../shared/conformance when it is there, and prints executions
# and executions per second per target. A crash, hang or over-limit allocation stops the run: the input is kept
# in .build-fuzz/findings/TARGET/ and the script exits 1.
# Usage: scripts/fuzz.sh [SECONDS per target, default 60] [TARGET ...]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
seconds="${1:-60}"
[ $# -gt 0 ] && shift
shared="$root/../shared/conformance"

echo "==> HALLMARK_FUZZ=1 swift build --product hallmark-fuzz --scratch-path .build-fuzz"
HALLMARK_FUZZ=1 swift build --product hallmark-fuzz --scratch-path .build-fuzz 2>&1 | grep -Ev '^(\[|warning: .swift-distributed-tracing|    /)|Cannot export local symbol' || true
fuzzer="$root/.build-fuzz/debug/hallmark-fuzz"
[ -x "$fuzzer" ] || { echo "hallmark-fuzz did not build" >&2; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(ls "$root/Fuzz/corpus")
fi

# Seeds from the conformance data (not committed: they stay with their own licences in ../shared).
extra_seeds() { # target directory
    local target=$1 out=$2
    [ -d "$shared" ] || return 0
    case "$target" in
        sigstore-bundle) i=0; for f in "$shared"/sigstore-conformance/bundle-verify/*/bundle.sigstore.json; do i=$((i+1)); cp "$f" "$out/c$i.json"; done ;;
        trusted-root) i=0; for f in "$shared"/sigstore-conformance/bundle-verify/*/trusted_root.json "$shared"/sigstore-conformance/default-trust/*.json; do i=$((i+1)); cp "$f" "$out/c$i.json"; done ;;
        tuf-metadata) i=0; for f in "$shared"/python-tuf/repository_data/metadata/*.json "$shared"/python-tuf/generated_data/ed25519_metadata/*.json; do i=$((i+1)); cp "$f" "$out/c$i.json"; done ;;
        checksums) i=0; for f in "$shared"/checksums-uutils-coreutils/*; do if [ -f "$f" ]; then i=$((i+1)); head -c 65536 "$f" > "$out/c$i"; fi; done ;;
        dsse) i=0; for f in $(find "$shared/dsse-spec" "$shared/in-toto-attestation" -name '*.json' -size -64k 2>/dev/null | head -n 40); do i=$((i+1)); cp "$f" "$out/c$i.json"; done ;;
        json) i=0; for f in $(find "$shared/spdx-spec" "$shared/in-toto-attestation" -name '*.json' -size -64k 2>/dev/null | head -n 40); do i=$((i+1)); cp "$f" "$out/c$i.json"; done ;;
        minisign) i=0; for f in $(find "$shared/minisign-jedisct1" "$shared/signify-openbsd-regress" -type f -size -16k 2>/dev/null | head -n 40); do i=$((i+1)); cp "$f" "$out/c$i"; done ;;
        rfc3161|checkpoint|der-keys)
            python3 - "$shared/sigstore-conformance/bundle-verify" "$out" "$target" <<'PY' || true
import base64, glob, json, os, sys
src, out, target = sys.argv[1:]
n = 0
for path in glob.glob(os.path.join(src, "*", "bundle.sigstore.json")):
    try: bundle = json.load(open(path))
    except Exception: continue
    vm = bundle.get("verificationMaterial", {})
    items = []
    if target == "rfc3161":
        items = [base64.b64decode(t["signedTimestamp"]) for t in vm.get("timestampVerificationData", {}).get("rfc3161Timestamps", [])]
    elif target == "checkpoint":
        items = [e["inclusionProof"]["checkpoint"]["envelope"].encode() for e in vm.get("tlogEntries", []) if "checkpoint" in e.get("inclusionProof", {})]
    else:
        certs = [vm["certificate"]] if "certificate" in vm else vm.get("x509CertificateChain", {}).get("certificates", [])
        items = [base64.b64decode(c["rawBytes"]) for c in certs if "rawBytes" in c]
    for item in items[:2]:
        n += 1
        open(os.path.join(out, f"c{n}"), "wb").write(item)
PY
            ;;
    esac
    return 0
}

findings="$root/.build-fuzz/findings"
printf '%-18s %12s %10s %8s  %s\n' target executions "exec/s" corpus result
status=0
for target in "${targets[@]}"; do
    work="$root/.build-fuzz/corpus/$target"
    rm -rf "$work" && mkdir -p "$work" "$findings/$target"
    cp "$root/Fuzz/corpus/$target"/* "$work"/ 2>/dev/null || true
    extra_seeds "$target" "$work"
    log="$root/.build-fuzz/$target.log"
    set +e
    HALLMARK_FUZZ_TARGET="$target" ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1" "$fuzzer" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=512 -max_len=262144 \
        -print_final_stats=1 -artifact_prefix="$findings/$target/" "$work" >"$log" 2>&1
    code=$?
    set -e
    rm -f /dev/shm/hallmark-fuzz-* "${TMPDIR:-/tmp}"/hallmark-fuzz-*
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    size=$(ls "$work" | wc -l)
    if [ $code -eq 0 ]; then result=ok; else result="FOUND (exit $code): $(ls "$findings/$target" | head -n1) — see $log"; status=1; fi
    printf '%-18s %12s %10s %8s  %s\n' "$target" "$runs" "$speed" "$size" "$result"
done
exit $status
