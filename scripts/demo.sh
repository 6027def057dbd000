#!/usr/bin/env bash
# Hallmark's main job on the bundled example: build hallmark, then cut a signed release of Examples/greet
# (four targets) with a key generated for the demo, and check the result with Hallmark, GNU sha256sum, GNU tar,
# unzip and openssl. The example is copied into a fresh git repository (dist/demo/src) and tagged v1.0.0, as a
# real project would be. Everything lands in dist/demo/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

scripts/build-deps.sh
echo "==> swift build"
swift build --product hallmark
hallmark="$(swift build --show-bin-path)/hallmark"

demo="$root/dist/demo"
rm -rf "$demo"
mkdir -p "$demo/keys"
cp -R Examples/greet "$demo/src"

# Rollout governance: three approvers (2 of 3 must sign a promotion), and where the release goes, ring by ring.
echo "==> hallmark keys generate (approvers alice, bob, carol)"
mkdir -p "$demo/src/keys"
for approver in alice bob carol; do
    "$hallmark" keys generate --out "$demo/keys/$approver" >/dev/null 2>&1
    cp "$demo/keys/$approver.pub" "$demo/src/keys/"
done
cat >> "$demo/src/hallmark.yml" <<'YAML'
deployments:
  rings: [canary, staging, production]
  targets:
    - {id: github-actions-linux-amd64-runner, surface: ci-runner, platform: linux/amd64, prefix: /usr/local, channel: stable, ring: canary}
    - {id: dev-workstation-linux-amd64, surface: workstation, platform: linux/amd64, prefix: ~/.local, channel: stable, ring: staging}
    - {id: build-server-linux-arm64, surface: server, platform: linux/arm64, prefix: /opt/greet, channel: stable, ring: production}
  controls:
    soak: {canary: 0s, staging: 1h}
    max_parallel: 10
    approvals: {required: 2, approvers: [keys/alice.pub, keys/bob.pub, keys/carol.pub]}
    smoke: "greet --version"
YAML
(
    cd "$demo/src"
    git init -q
    git add -A
    GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000 \
        git -c user.name="Hallmark demo" -c user.email=demo@example.invalid commit -qm "greet 1.0.0"
    git tag v1.0.0
)

echo "==> hallmark keys generate (demo key, not for real releases)"
"$hallmark" keys generate --out "$demo/keys/demo"
echo "==> hallmark release --version v1.0.0"
(cd "$demo/src" && "$hallmark" release --version v1.0.0 --key "$demo/keys/demo.key")
release="$demo/src/dist/v1.0.0"

echo "==> hallmark verify"
"$hallmark" verify "$release" --key "$demo/keys/demo.pub"
echo "==> sha256sum -c (GNU coreutils reads our list)"
(cd "$release" && sha256sum -c checksums.txt)
echo "==> openssl verifies the signature of checksums.txt"
base64 -d "$release/checksums.txt.sig" > "$demo/keys/checksums.sig.bin"
openssl pkeyutl -verify -pubin -inkey "$demo/keys/demo.pub" -rawin -in "$release/checksums.txt" -sigfile "$demo/keys/checksums.sig.bin"
echo "==> GNU tar and unzip read the archives; the host binary runs"
tar -tvzf "$release/greet_1.0.0_linux_amd64.tar.gz" --numeric-owner
unzip -l "$release/greet_1.0.0_windows_amd64.zip"
mkdir -p "$demo/run" && tar -xzf "$release/greet_1.0.0_linux_amd64.tar.gz" -C "$demo/run" && "$demo/run/greet" --version
echo "==> hallmark rebuild (an auditor repeats one target and compares digests)"
"$hallmark" rebuild "$release" --target linux/arm64

echo "==> rollout governance: capture, verify and index, request, 2 of 3 approvals, execute (SQLite store in $demo/state)"
export HALLMARK_STORE="sqlite:$demo/state/evidence.db"
cd "$demo"
rollout=$("$hallmark" rollout capture "$release" --deployment-id greet-1.0.0 --change-record CHG-1001 --key keys/demo.key --out rollout | cut -d' ' -f1)
"$hallmark" rollout verify rollout --key keys/demo.pub
request=$("$hallmark" promote request "$rollout" --target-ring canary --key keys/demo.key --expires 24h | cut -d' ' -f1)
"$hallmark" promote approve "$request" --key keys/alice.key --comment "canary dashboards green"
"$hallmark" promote approve "$request" --key keys/bob.key
"$hallmark" readiness "$rollout" --target-ring canary
"$hallmark" promote execute "$request" --key keys/demo.key
"$hallmark" evidence search --change-record CHG-1001
"$hallmark" audit verify
"$hallmark" evidence export --change-record CHG-1001 --out CHG-1001.zip
"$hallmark" evidence verify-export CHG-1001.zip --key state/log.key.pub

echo "==> hallmark serve: the same evidence over HTTP (a token, three curl calls)"
token=$("$hallmark" serve token create --role viewer --name demo-viewer)
mkdir -p serve && cp -R rollout serve/greet-1.0.0
"$hallmark" serve --listen 127.0.0.1:0 --artifact-root serve > serve.out 2>serve.err &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening serve.out 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' serve.out)
execution=$("$hallmark" evidence search --kind promotion-execution --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"][0]["id"])')
curl -sf -H "Authorization: Bearer $token" "$base/evidence?kind=promotion-execution&ring=canary&change_record=CHG-1001" | head -12
curl -sf -H "Authorization: Bearer $token" "$base/promotion-executions/$execution" | python3 -c 'import json,sys; print("links:", json.load(sys.stdin)["links"])'
curl -sf -OJ -H "Authorization: Bearer $token" "$base/evidence/$execution/artifact-bundle" && unzip -l "$execution-artifacts.zip"
kill $serve_pid
cd "$root"
echo
echo "The release is in $release; its notes are in $release/release-notes.md; the rollout evidence is in $demo/state."
