import Foundation
import HallmarkTestSupport
import Testing

/// A whole release checked by tools nobody here wrote: pyspdxtools, ntia-checker, the SPDX 2.3 JSON schema,
/// securesystemslib, GNU sha256sum.
@Suite("Release interop: SPDX tools, NTIA checker, securesystemslib", .serialized)
struct ReleaseInteropTests {
    static func release() throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory("hallmark-interop")
        try FileManager.default.createDirectory(atPath: dir.url("greet"), withIntermediateDirectories: true)
        try GitFixture.example(into: dir.url("greet"))
        // A lockfile of each kind the SBOM reads, so the tools see real dependency packages.
        try dir.write("greet/requirements.txt", "requests==2.31.0\nidna==3.7\n")
        try dir.write("greet/Cargo.lock", "version = 4\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b\"\n")
        try dir.write("greet/Package.resolved", #"{"pins":[{"identity":"swift-argument-parser","kind":"remoteSourceControl","location":"https://github.com/apple/swift-argument-parser","state":{"revision":"41982a3656a71c768319979febd796c6fd111d5c","version":"1.8.2"}}],"version":2}"#)
        // The release builds the commit, so the lockfiles must be in it (this machine's git ignores Package.resolved).
        try GitFixture.git(["add", "-f", "Package.resolved"], in: dir.url("greet"))
        try GitFixture.commitAll(in: dir.url("greet"), message: "lockfiles")
        try GitFixture.git(["tag", "-f", "v1.0.0"], in: dir.url("greet"))
        try dir.write("release.key", Fixtures.ed25519PEM)
        let result = try ProcessRunner.hallmark(["release", "--version", "v1.0.0", "--key", "../release.key", "-q"], in: dir.url("greet"))
        guard result.status == 0 else { throw FixtureError("release failed: \(result.stderr)") }
        return (dir, dir.url("greet/dist/v1.0.0"))
    }

    @Test("pyspdxtools validates the SBOM, ntia-checker finds it conformant, and it matches the SPDX 2.3 schema")
    func sbomValidates() throws {
        let (dir, release) = try Self.release()
        defer { withExtendedLifetime(dir) {} }  // the release lives in dir until the end of the test
        let sbom = release + "/sbom.spdx.json"
        let spdx = try ProcessRunner.run("pyspdxtools", ["-i", sbom])
        #expect(spdx.status == 0, "pyspdxtools: \(spdx.stdout)\(spdx.stderr)")
        let ntia = try ProcessRunner.run("ntia-checker", ["--file", sbom])
        #expect(ntia.status == 0, "ntia-checker: \(ntia.stdout)\(ntia.stderr)")
        #expect(ntia.stdout.contains("Conformant: True"), "\(ntia.stdout)")
        let schema = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            doc = json.load(open(sys.argv[2]))
            errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
            for e in errors[:5]: print(e.message)
            purls = sorted(r["referenceLocator"] for p in doc["packages"] for r in p.get("externalRefs", []))
            print(json.dumps(purls))
            sys.exit(1 if errors else 0)
            """
        let checked = try ProcessRunner.run("python3", ["-c", schema, TestPaths.conformance("spdx-spec/spdx-schema-v2.3.json"), sbom])
        #expect(checked.status == 0, "schema: \(checked.stdout)\(checked.stderr)")
        for purl in ["pkg:cargo/itoa@1.0.11", "pkg:pypi/requests@2.31.0", "pkg:pypi/idna@3.7", "pkg:swift/github.com/apple/swift-argument-parser@1.8.2"] {
            #expect(checked.stdout.contains(purl), "\(checked.stdout)")
        }
    }

    @Test("securesystemslib verifies the signed provenance; its subjects are the archives and metadata")
    func provenanceVerifies() throws {
        let (dir, release) = try Self.release()
        try dir.write("verify.py", CoreutilsAndSecureSystemsLibTests.verifier)
        let pub = try ProcessRunner.run("openssl", ["pkey", "-in", dir.url("release.key"), "-pubout"])
        try dir.write("release.pub", pub.stdout)
        let keyID = String(try ProcessRunner.hallmark(["keys", "id", dir.url("release.pub")]).stdout.split(separator: " ").first ?? "")
        let result = try ProcessRunner.run("python3", [dir.url("verify.py"), release + "/provenance.intoto.jsonl", dir.url("release.pub"), keyID])
        #expect(result.status == 0, "securesystemslib: \(result.stderr)")
        #expect(result.stdout.contains(keyID))
        for name in ["greet_1.0.0_linux_amd64.tar.gz", "greet_1.0.0_windows_amd64.zip", "index.json", "sbom.spdx.json", "reproducibility.json"] {
            #expect(result.stdout.contains(name), "\(result.stdout)")
        }
        let sums = try ProcessRunner.run("sha256sum", ["-c", "--strict", "checksums.txt"], in: release)
        #expect(sums.status == 0)
        // And our own verifier of attestations agrees, with the subject file checked.
        let ours = try ProcessRunner.hallmark([
            "verify-attestation", release + "/provenance.intoto.jsonl", "--key", dir.url("release.pub"),
            "--subject", release + "/greet_1.0.0_linux_amd64.tar.gz", "--predicate-type", "https://slsa.dev/provenance/v1",
        ])
        #expect(ours.status == 0, "\(ours.stdout)\(ours.stderr)")
    }
}
