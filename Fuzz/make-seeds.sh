#!/usr/bin/env bash
# Writes the committed seed corpus (Fuzz/corpus/TARGET/) from inputs made here: keys, signatures, bundles,
# envelopes and archives that `hallmark` writes, and small hand-written documents. Run it again after a format
# changes. scripts/fuzz.sh adds seeds from ../shared/conformance at run time.
# Usage: Fuzz/make-seeds.sh   (needs a built hallmark: swift build)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
hallmark="$(swift build --show-bin-path)/hallmark"
corpus="$root/Fuzz/corpus"
rm -rf "$corpus"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seed() { mkdir -p "$corpus/$1"; cat > "$corpus/$1/$2"; }
copy() { mkdir -p "$corpus/$1"; cp "$2" "$corpus/$1/$3"; }

cd "$work"
"$hallmark" keys generate --out ed >/dev/null
"$hallmark" keys generate --algorithm ecdsa-p256 --out p256 >/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
openssl pkey -in rsa.key -pubout -out rsa.pub
printf 'hello fuzz\n' > a.txt
"$hallmark" sign-blob a.txt --key p256.key --bundle a.sigstore.json >/dev/null
"$hallmark" sign-blob a.txt --key ed.key --format minisign >/dev/null
"$hallmark" keys public ed.key --format minisign > ed.minisign.pub
printf '{"buildType":"https://example.com/b"}' > predicate.json
"$hallmark" attest --predicate-type https://slsa.dev/provenance/v1 --predicate predicate.json --subject a.txt --key ed.key --output a.intoto.jsonl >/dev/null
"$hallmark" checksum a.txt --output SHA256SUMS >/dev/null

copy pem-keys ed.pub ed.pub; copy pem-keys p256.pub p256.pub; copy pem-keys rsa.pub rsa.pub
for k in ed p256 rsa; do openssl pkey -pubin -in $k.pub -outform DER -out "$corpus/der-keys/$k.spki.der" 2>/dev/null || { mkdir -p "$corpus/der-keys"; openssl pkey -pubin -in $k.pub -outform DER -out "$corpus/der-keys/$k.spki.der"; }; done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=fuzz -days 1 -keyout cert.key -outform DER -out "$corpus/der-keys/cert.der" 2>/dev/null \
    -addext "subjectAltName=URI:https://github.com/org/repo/.github/workflows/r.yml@refs/tags/v1" -addext extendedKeyUsage=codeSigning
copy sigstore-bundle a.sigstore.json keyed.json
copy minisign a.txt.minisig a.txt.minisig; copy minisign ed.minisign.pub ed.minisign.pub
copy dsse a.intoto.jsonl a.intoto.jsonl
copy checksums SHA256SUMS gnu.txt
printf 'SHA256 (a.txt) = %s\n' "$(sha256sum a.txt | cut -c1-64)" | seed checksums bsd.txt

seed json object.json <<<'{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"\u00e9\n"}}'
seed canonical-json nested.json <<<'{"z":1,"a":{"y":[{"x":"1"}]},"n":-12345678901234567890}'
seed trusted-root minimal.json <<EOF2
{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"baseUrl":"https://log.example","hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":"$(openssl pkey -pubin -in p256.pub -outform DER | base64 -w0)","keyDetails":"PKIX_ECDSA_P256_SHA_256","validFor":{"start":"2020-01-01T00:00:00Z"}},"logId":{"keyId":"$(openssl pkey -pubin -in p256.pub -outform DER | sha256sum | cut -c1-64 | xxd -r -p | base64 -w0)"}}],"certificateAuthorities":[],"ctlogs":[],"timestampAuthorities":[]}
EOF2
printf 'log.example.com\n12\n%s\n\n\xe2\x80\x94 log.example.com AAAAAAAAAAAA\n' "$(head -c32 /dev/zero | base64)" | seed checkpoint note.txt
seed tuf-metadata root.json <<'EOF2'
{"signatures":[{"keyid":"aa","sig":"00"}],"signed":{"_type":"root","consistent_snapshot":true,"expires":"2030-01-01T00:00:00Z","keys":{"aa":{"keytype":"ed25519","keyval":{"public":"0000000000000000000000000000000000000000000000000000000000000000"},"scheme":"ed25519"}},"roles":{"root":{"keyids":["aa"],"threshold":1},"snapshot":{"keyids":["aa"],"threshold":1},"targets":{"keyids":["aa"],"threshold":1},"timestamp":{"keyids":["aa"],"threshold":1}},"spec_version":"1.0.31","version":1}}
EOF2
seed oci-manifest manifest.json <<'EOF2'
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.hallmark.release.v1","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"text/plain","digest":"sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf","size":2,"annotations":{"org.opencontainers.image.title":"checksums.txt"}}]}
EOF2
printf 'oci://registry.example.com:5000/acme/greet:v1.0.0@sha256:%s' "$(printf x | sha256sum | cut -c1-64)" | seed oci-reference full.txt
seed docker-config config.json <<<'{"auths":{"https://index.docker.io/v1/":{"auth":"dXNlcjpwYXNz"},"127.0.0.1:5000":{"username":"u","password":"p","identitytoken":"t"}},"credHelpers":{"gcr.io":"gcloud"},"credsStore":"desktop"}'
printf 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:acme/greet:pull,push"' | seed www-authenticate bearer.txt
printf 'Basic realm="hallmark"' | seed www-authenticate basic.txt
printf 'v1.2.3-rc.1+build.5' | seed semver version.txt
printf 'linux/amd64' | seed semver platform.txt
copy hallmark-yml "$root/Examples/greet/hallmark.yml" hallmark.yml
seed toml Cargo.lock <<'EOF2'
version = 4

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"
EOF2
printf 'dist/app_1.0.0_linux_amd64.tar.gz' | seed relative-path plain.txt
printf '../x\n' | seed relative-path climb.txt

# Archives and an index from a real release of the example.
mkdir -p greet && cp -R "$root/Examples/greet/." greet/
(cd greet && git init -q && git add -A && git -c user.name=f -c user.email=f@example.invalid commit -qm seed && git tag v1.0.0 \
    && "$hallmark" release --version v1.0.0 --dry-run -q >/dev/null 2>&1)
copy tar-gz "$(ls greet/dist/v1.0.0/*.tar.gz | head -n1)" release.tar.gz
copy zip "$(ls greet/dist/v1.0.0/*.zip | head -n1)" release.zip
copy release-index greet/dist/v1.0.0/index.json index.json
echo "seeds written to $corpus: $(find "$corpus" -type f | wc -l) files"
