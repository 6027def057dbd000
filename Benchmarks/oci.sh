#!/usr/bin/env bash
# An 8-platform x 64 MiB release through a real OCI registry (Debian's docker-registry on 127.0.0.1), in one run,
# best of N: `hallmark publish --to oci://` against `oras push` (oras-py), and `hallmark verify-remote oci://`
# (download, hash while downloading, verify signatures) against `oras pull` followed by `sha256sum -c`.
# Each push goes to a fresh repository, so every blob is sent.
#
# Usage: Benchmarks/oci.sh [runs]   (default 3; uses Benchmarks/work/, about 2 GiB of disk)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
root="$PWD"
. Benchmarks/common.sh
build_hallmark
work="$root/Benchmarks/work/oci"
rm -rf "$work"
make_signed_release "$work/release" "$work/keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/storage}}
http: {addr: 127.0.0.1:$port}
YAML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
registry=$!
trap 'kill $registry 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
host="127.0.0.1:$port"

oras() {  # oras-py: push DIR TARGET | pull TARGET DIR
    python3 - "$@" <<'PY'
import os, sys, oras.client
action, a, b = sys.argv[1:4]
client = oras.client.OrasClient(hostname=sys.argv[2].split("/")[0] if action == "pull" else sys.argv[3].split("/")[0], insecure=True)
if action == "push":
    os.chdir(a)
    client.push(target=b, files=sorted(os.listdir(".")), quiet=True)
else:
    client.pull(target=a, outdir=b)
PY
}

best_hp=""; best_op=""; best_hv=""; best_ov=""
for run in $(seq 1 "$runs"); do
    s=$(now); "$hallmark" publish "$work/release" --to "oci://$host/h$run:v1" --plain-http -q --out "$work" >/dev/null
    best_hp=$(min "$best_hp" "$(since "$s")")
    s=$(now); oras push "$work/release" "$host/o$run:v1" >/dev/null
    best_op=$(min "$best_op" "$(since "$s")")
    rm -rf "$work/h" "$work/o"; mkdir -p "$work/o"
    s=$(now); "$hallmark" verify-remote "oci://$host/h$run:v1" --plain-http --key "$work/keys/k.pub" --out "$work/h" --report-dir "$work" >/dev/null
    best_hv=$(min "$best_hv" "$(since "$s")")
    s=$(now); oras pull "$host/h$run:v1" "$work/o" >/dev/null && (cd "$work/o" && sha256sum -c --quiet checksums.txt)
    best_ov=$(min "$best_ov" "$(since "$s")")
done
mib=$((8 * 64))
echo "cores: $(nproc); 8 x 64 MiB ($mib MiB) plus metadata, docker-registry $(docker-registry --version 2>/dev/null | awk '{print $3}') on 127.0.0.1; best of $runs"
result 'hallmark publish --to oci://' "$best_hp" "$mib"
result 'oras push (oras-py)' "$best_op" "$mib"
ratio 'publish ratio' "$best_op" "$best_hp"
result 'hallmark verify-remote oci://' "$best_hv" "$mib"
result 'oras pull, then sha256sum -c' "$best_ov" "$mib"
ratio 'verify ratio' "$best_ov" "$best_hv"
