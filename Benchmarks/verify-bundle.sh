#!/usr/bin/env bash
# Time to verify each happy-path bundle of the sigstore-conformance corpus (that needs no --key), offline:
# `hallmark verify-bundle` against `sigstore verify identity --offline` (sigstore-python, PyPI) with the same
# trusted root, in one run. Whole processes are timed (start-up included), best of N runs each.
#
# Usage: Benchmarks/verify-bundle.sh [runs]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
root="$PWD"
corpus="$root/../shared/conformance/sigstore-conformance"

python3 -c 'import sigstore' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'sigstore==4.5.1'
swift build -c release --product hallmark >/dev/null
hallmark="$(swift build -c release --show-bin-path)/hallmark"
work="$root/Benchmarks/work/verify-bundle"
mkdir -p "$work"

identity="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
issuer="https://token.actions.githubusercontent.com"

# sigstore-python reads a client trust config: the trusted root plus a signing config it does not use offline.
client_config() { # trusted_root.json → config path
    python3 - "$1" "$2" <<'PY'
import json, sys
root = json.load(open(sys.argv[1]))
cfg = {"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json", "trustedRoot": root,
       "signingConfig": {"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                         "caUrls": [{"url": "https://fulcio.sigstore.dev", "majorApiVersion": 1, "validFor": {"start": "2023-04-14T21:38:40Z"}, "operator": "sigstore.dev"}],
                         "oidcUrls": [], "rekorTlogUrls": [{"url": "https://rekor.sigstore.dev", "majorApiVersion": 1, "validFor": {"start": "2021-01-12T11:53:27Z"}, "operator": "sigstore.dev"}],
                         "tsaUrls": [], "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"}}}
json.dump(cfg, open(sys.argv[2], "w"))
PY
}

best_of() {
    local best=""
    for _ in $(seq 1 "$runs"); do
        local start end t
        start=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || return 1
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
    done
    echo "$best"
}

printf '%-42s %10s %10s %8s\n' "case" "hallmark" "sigstore" "ratio"
sum_h=0; sum_s=0; n=0; log_sum=0
for dir in "$corpus"/bundle-verify/*/; do
    name=$(basename "$dir")
    [[ "$name" == *_fail ]] && continue
    [ -f "$dir/key.pub" ] && continue
    artifact="$dir/artifact"; [ -f "$artifact" ] || artifact="$corpus/bundle-verify/a.txt"
    trust="$dir/trusted_root.json"; [ -f "$trust" ] || trust="$corpus/default-trust/production_trusted_root.json"
    client_config "$trust" "$work/$name.config.json"
    h=$(best_of "$hallmark" verify-bundle --bundle "$dir/bundle.sigstore.json" --trusted-root "$trust" \
        --certificate-identity "$identity" --certificate-oidc-issuer "$issuer" "$artifact") || { echo "$name: hallmark failed"; continue; }
    if ! s=$(best_of sigstore --trust-config "$work/$name.config.json" verify identity --offline --bundle "$dir/bundle.sigstore.json" \
        --cert-identity "$identity" --cert-oidc-issuer "$issuer" "$artifact"); then
        printf '%-42s %9.3fs %10s %8s\n' "$name" "$h" "n/a" "(sigstore-python cannot verify it)"
        continue
    fi
    printf '%-42s %9.3fs %9.3fs %7.1fx\n' "$name" "$h" "$s" "$(echo "$s / $h" | bc -l)"
    sum_h=$(echo "$sum_h + $h" | bc -l); sum_s=$(echo "$sum_s + $s" | bc -l); n=$((n + 1))
done
printf 'mean per bundle over %d bundles both verify: hallmark %.3f s, sigstore-python %.3f s, ratio %.1fx\n' \
    "$n" "$(echo "$sum_h / $n" | bc -l)" "$(echo "$sum_s / $n" | bc -l)" "$(echo "$sum_s / $sum_h" | bc -l)"
rm -rf "$work"
