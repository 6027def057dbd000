import Foundation
import HallmarkTestSupport
import Testing

/// The sigstore-conformance bundle-verify corpus, run as its harness runs it: every case twice (artifact by
/// path, then as `sha256:<hex>`), `_fail` cases must fail and every other case must verify.
@Suite("sigstore-conformance: 70 bundle cases, by path and by digest")
struct SigstoreConformanceTests {
    static let root = TestPaths.conformance("sigstore-conformance")
    static let defaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    static let defaultIssuer = "https://token.actions.githubusercontent.com"

    /// The check each failing case must be refused by (a word of its first reason).
    static let failureChecks: [String: String] = [
        "bundle-empty-certificate-chain_fail": "malformed bundle",
        "bundle-from-wrong-instance_fail": "not in the trusted root",
        "bundle-invalid-base64-signature_fail": "malformed bundle",
        "bundle-malformed-json_fail": "malformed bundle",
        "bundle-negative-log-index_fail": "malformed bundle",
        "bundle-unknown-version_fail": "malformed bundle",
        "bundle-with-root-cert_fail": "chain:",
        "checkpoint-bad-keyhint_fail": "checkpoint:",
        "checkpoint-wrong-roothash_fail": "checkpoint:",
        "dsse-invalid-sig_fail": "signature:",
        "dsse-mismatch-envelope_fail": "log body:",
        "dsse-mismatch-sig_fail": "log body:",
        "inclusion-proof-corrupted-hash_fail": "inclusion proof:",
        "incorrect-public-key_fail": "log body:",
        "integrated-time-in-future_fail": "validity window:",
        "intoto-expired-certificate_fail": "validity window:",
        "intoto-log-entry-mismatch_fail": "log body:",
        "intoto-missing-inclusion-proof_fail": "malformed bundle",
        "intoto-set-outside-signing-cert-validity_fail": "validity window:",
        "intoto-tsa-timestamp-outside-cert-validity_fail": "validity window:",
        "invalid-checkpoint-signature_fail": "checkpoint:",
        "invalid-ct-key_fail": "SCT:",
        "invalid-inclusion-proof_fail": "inclusion proof:",
        "managed-key-no-key_fail": "identity:",
        "managed-key-wrong-key_fail": "key.pub",
        "message-digest-mismatch_fail": "signature:",
        "rekor2-checkpoint-missing-log-signature_fail": "checkpoint:",
        "rekor2-checkpoint-missing-origin_fail": "checkpoint:",
        "rekor2-checkpoint-missing-root-hash_fail": "checkpoint:",
        "rekor2-checkpoint-missing-size_fail": "checkpoint:",
        "rekor2-checkpoint-no-matching-signature_fail": "checkpoint:",
        "rekor2-dsse-invalid-sig_fail": "signature:",
        "rekor2-dsse-mismatch-envelope_fail": "log body:",
        "rekor2-dsse-mismatch-sig_fail": "log body:",
        "rekor2-no-inclusion-proof_fail": "malformed bundle",
        "rekor2-no-timestamp_fail": "timestamp:",
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail": "validity window:",
        "rekor2-timestamp-outside-tsa-cert-validity_fail": "timestamp:",
        "rekor2-timestamp-payload-mismatch_fail": "timestamp:",
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": "timestamp:",
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": "timestamp:",
        "rekor2-timestamp-with-incorrect-time_fail": "validity window:",
        "set-invalid-signature_fail": "signed entry timestamp:",
        "signature-mismatch_fail": "signature:",
        "trust-root-tlog-missing-validity-start_fail": "malformed trusted root",
        "wrong-hashedrekord-artifact_fail": "log body:",
        "wrong-hashedrekord-cert-and-sig_fail": "log body:",
        "wrong-hashedrekord-entry_fail": "log body:",
        "wrong-material_fail": "signature:",
    ]

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/bundle-verify")) ?? [])
            .filter { FileManager.default.fileExists(atPath: root + "/bundle-verify/\($0)/bundle.sigstore.json") }
            .sorted()
    }

    func arguments(for name: String, byDigest: Bool) throws -> [String] {
        let dir = Self.root + "/bundle-verify/" + name
        let fm = FileManager.default
        let artifact = fm.fileExists(atPath: dir + "/artifact") ? dir + "/artifact" : Self.root + "/bundle-verify/a.txt"
        let trust = fm.fileExists(atPath: dir + "/trusted_root.json") ? dir + "/trusted_root.json" : Self.root + "/default-trust/production_trusted_root.json"
        var args = ["verify-bundle", "--bundle", dir + "/bundle.sigstore.json", "--trusted-root", trust]
        if fm.fileExists(atPath: dir + "/key.pub") {
            args += ["--key", dir + "/key.pub"]
        } else {
            let identity = (try? String(contentsOfFile: dir + "/identity", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? Self.defaultIdentity
            let issuer = (try? String(contentsOfFile: dir + "/issuer", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? Self.defaultIssuer
            args += ["--certificate-identity", identity, "--certificate-oidc-issuer", issuer]
        }
        if byDigest {
            let sha = try ProcessRunner.run("sha256sum", [artifact]).stdout.split(separator: " ").first.map(String.init) ?? ""
            args.append("sha256:" + sha)
        } else {
            args.append(artifact)
        }
        return args
    }

    @Test func corpusIsComplete() {
        #expect(Self.cases.count == 70)
        #expect(Self.cases.filter { $0.hasSuffix("_fail") }.count == 49)
        #expect(Set(Self.cases.filter { $0.hasSuffix("_fail") }) == Set(Self.failureChecks.keys))
    }

    @Test(arguments: cases)
    func verify(_ name: String) throws {
        for byDigest in [false, true] {
            let result = try ProcessRunner.hallmark(try arguments(for: name, byDigest: byDigest))
            let label = "\(name) by \(byDigest ? "digest" : "path")"
            let output = result.stdout + result.stderr
            #expect(!output.contains("Fatal error"), "\(label) crashed")
            if name.hasSuffix("_fail") {
                #expect(result.status == 1 || result.status == 2, "\(label) must fail: exit \(result.status)\n\(output)")
                let check = Self.failureChecks[name] ?? "?"
                #expect(output.contains(check), "\(label): the reason should name \"\(check)\": \(output)")
                #expect(result.stderr.hasPrefix("hallmark: error: "), "\(label): \(result.stderr)")
            } else {
                #expect(result.status == 0, "\(label) must verify: exit \(result.status)\n\(output)")
                #expect(result.stdout.contains("verified: "), "\(label): \(result.stdout)")
            }
        }
    }

    @Test("Identity policy: exact, anchored regexp, issuer, GitHub workflow claims; JSON result")
    func identityPolicy() throws {
        let base = try arguments(for: "happy-path-v0.3", byDigest: false)
        func run(replacing identityArgs: [String], extra: [String] = []) throws -> ProcessOutput {
            var args = Array(base.prefix(5)) + identityArgs + extra
            args.append(base.last!)
            return try ProcessRunner.hallmark(args)
        }
        let issuer = ["--certificate-oidc-issuer", Self.defaultIssuer]
        #expect(try run(replacing: ["--certificate-identity-regexp", "https://github.com/sigstore-conformance/.*"] + issuer).status == 0)
        // Anchored: a pattern matching only part of the identity does not pass.
        let partial = try run(replacing: ["--certificate-identity-regexp", "sigstore-conformance"] + issuer)
        #expect(partial.status == 1 && partial.stdout.contains("identity:"))
        let wrongIssuer = try run(replacing: ["--certificate-identity", Self.defaultIdentity, "--certificate-oidc-issuer", "https://accounts.google.com"])
        #expect(wrongIssuer.status == 1 && wrongIssuer.stdout.contains("issuer:"))
        let repo = try run(replacing: ["--certificate-identity", Self.defaultIdentity] + issuer,
                           extra: ["--certificate-github-workflow-repository", "sigstore-conformance/extremely-dangerous-public-oidc-beacon"])
        #expect(repo.status == 0, "\(repo.stdout)\(repo.stderr)")
        let wrongRepo = try run(replacing: ["--certificate-identity", Self.defaultIdentity] + issuer,
                                extra: ["--certificate-github-workflow-repository", "someone/else"])
        #expect(wrongRepo.status == 1 && wrongRepo.stdout.contains("GitHub workflow repository"))
        let json = try run(replacing: ["--certificate-identity", Self.defaultIdentity] + issuer, extra: ["--format", "json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect(object["identity"] as? String == Self.defaultIdentity)
        #expect(object["issuer"] as? String == Self.defaultIssuer)
        #expect(object["signingTimeSource"] as? String == "signed entry timestamp")
        #expect(object["logIndex"] as? Int != nil)
        let usage = try ProcessRunner.hallmark(Array(base.prefix(5)) + [base.last!])
        #expect(usage.status == 2 && usage.stderr.contains("--certificate-identity"))
    }
}

@Suite("Keyed Sigstore bundles written by sign-blob and attest")
struct KeyedBundleTests {
    @Test(arguments: ["ed25519", "ecdsa-p256"])
    func signAndVerify(_ algorithm: String) throws {
        let dir = try TemporaryDirectory()
        try dir.write("app.tar.gz", Data((0..<10_000).map { UInt8($0 % 251) }))
        try dir.write("predicate.json", #"{"buildType":"https://example.com/t"}"#)
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--algorithm", algorithm, "--out", "k"], in: dir.path).status == 0)
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "other"], in: dir.path).status == 0)
        #expect(try ProcessRunner.hallmark(["sign-blob", "app.tar.gz", "--key", "k.key", "--bundle", "app.sigstore.json"], in: dir.path).status == 0)
        let bundle = try #require(try JSONSerialization.jsonObject(with: dir.read("app.sigstore.json")) as? [String: Any])
        #expect(bundle["mediaType"] as? String == "application/vnd.dev.sigstore.bundle.v0.3+json")
        let keyID = String(try ProcessRunner.hallmark(["keys", "id", "k.pub"], in: dir.path).stdout.split(separator: " ").first ?? "")
        #expect(((bundle["verificationMaterial"] as? [String: Any])?["publicKey"] as? [String: Any])?["hint"] as? String == keyID)

        let verify = try ProcessRunner.hallmark(["verify-bundle", "--bundle", "app.sigstore.json", "--key", "k.pub", "app.tar.gz"], in: dir.path)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let sha = try ProcessRunner.run("sha256sum", [dir.url("app.tar.gz")]).stdout.prefix(64)
        let byDigest = try ProcessRunner.hallmark(["verify-bundle", "--bundle", "app.sigstore.json", "--key", "k.pub", "sha256:\(sha)"], in: dir.path)
        // Pure Ed25519 signs the whole message, so a digest alone cannot verify it; ECDSA signs the digest.
        #expect(byDigest.status == (algorithm == "ed25519" ? 1 : 0), "\(byDigest.stdout)\(byDigest.stderr)")
        #expect(try ProcessRunner.hallmark(["verify-bundle", "--bundle", "app.sigstore.json", "--key", "other.pub", "app.tar.gz"], in: dir.path).status == 1)
        try dir.write("changed.tar.gz", "changed")
        #expect(try ProcessRunner.hallmark(["verify-bundle", "--bundle", "app.sigstore.json", "--key", "k.pub", "changed.tar.gz"], in: dir.path).status == 1)
        // An identity policy refuses a key-signed bundle.
        let identity = try ProcessRunner.hallmark(["verify-bundle", "--bundle", "app.sigstore.json", "--certificate-identity", "x", "--certificate-oidc-issuer", "y",
                                                   "--trusted-root", TestPaths.conformance("sigstore-conformance/default-trust/production_trusted_root.json"), "app.tar.gz"], in: dir.path)
        #expect(identity.status == 1 && identity.stdout.contains("verify it with --key"))

        // The DSSE form from attest.
        #expect(try ProcessRunner.hallmark(["attest", "--predicate-type", "https://slsa.dev/provenance/v1", "--predicate", "predicate.json",
                                            "--subject", "app.tar.gz", "--key", "k.key", "--output", "app.intoto.jsonl", "--bundle", "att.sigstore.json"], in: dir.path).status == 0)
        let dsse = try ProcessRunner.hallmark(["verify-bundle", "--bundle", "att.sigstore.json", "--key", "k.pub", "app.tar.gz", "--format", "json"], in: dir.path)
        #expect(dsse.status == 0, "\(dsse.stdout)\(dsse.stderr)")
        #expect(dsse.stdout.contains("\"predicateType\": \"https://slsa.dev/provenance/v1\""))
        #expect(try ProcessRunner.hallmark(["verify-bundle", "--bundle", "att.sigstore.json", "--key", "k.pub", "changed.tar.gz"], in: dir.path).status == 1)
    }
}

@Suite("verify-provenance: builder, subject, source and ref, SLSA v1 and v0.2")
struct VerifyProvenanceTests {
    @Test("A real GitHub-signed SLSA v1 bundle whose provenance names another builder is refused")
    func signerMustBeTheBuilder() throws {
        let cases = TestPaths.conformance("sigstore-conformance")
        let result = try ProcessRunner.hallmark([
            "verify-provenance", cases + "/bundle-verify/a.txt", "--bundle", cases + "/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
            "--source-uri", "github.com/loosebazooka/aa-test", "--source-branch", "main",
            "--trusted-root", cases + "/default-trust/production_trusted_root.json",
        ])
        #expect(result.status == 1)
        #expect(result.stdout.contains("builder: the provenance claims builder https://github.com/loosebazooka/aa-test"), "\(result.stdout)")
    }

    @Test(arguments: ["v1", "v0.2"])
    func keyedProvenance(_ version: String) throws {
        let dir = try TemporaryDirectory()
        try dir.write("app.tar.gz", "app")
        let predicate = version == "v1"
            ? #"{"buildDefinition":{"buildType":"https://hallmark.dev/release/v1","externalParameters":{"repository":"https://github.com/example/greet","ref":"refs/tags/v1.0.0"}},"runDetails":{"builder":{"id":"https://hallmark.dev/builders/local"}}}"#
            : #"{"builder":{"id":"https://hallmark.dev/builders/local"},"buildType":"https://example.com/b","invocation":{"configSource":{"uri":"git+https://github.com/example/greet@refs/tags/v1.0.0","digest":{"sha1":"0000000000000000000000000000000000000000"}}}}"#
        try dir.write("predicate.json", predicate)
        #expect(try ProcessRunner.hallmark(["keys", "generate", "--out", "k"], in: dir.path).status == 0)
        let attest = try ProcessRunner.hallmark(["attest", "--predicate-type", "https://slsa.dev/provenance/\(version)", "--predicate", "predicate.json",
                                                 "--subject", "app.tar.gz", "--key", "k.key", "--output", "p.intoto.jsonl", "--bundle", "p.sigstore.json"], in: dir.path)
        #expect(attest.status == 0, "\(attest.stderr)")
        func run(_ extra: [String], artifact: String = "app.tar.gz") throws -> ProcessOutput {
            try ProcessRunner.hallmark(["verify-provenance", artifact, "--bundle", "p.sigstore.json", "--key", "k.pub"] + extra, in: dir.path)
        }
        let ok = try run(["--source-uri", "github.com/example/greet", "--source-tag", "v1.0.0", "--builder-id", "https://hallmark.dev/builders/local", "--print-provenance"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("verified: app.tar.gz built by https://hallmark.dev/builders/local") && ok.stdout.contains("\"predicateType\""))
        let tag = try run(["--source-uri", "github.com/example/greet", "--source-tag", "v2.0.0"])
        #expect(tag.status == 1 && tag.stdout.contains("not refs/tags/v2.0.0"))
        let branch = try run(["--source-uri", "github.com/example/greet", "--source-branch", "main"])
        #expect(branch.status == 1 && branch.stdout.contains("not refs/heads/main"))
        let source = try run(["--source-uri", "github.com/evil/greet"])
        #expect(source.status == 1 && source.stdout.contains("source:"))
        let builder = try run(["--source-uri", "github.com/example/greet", "--builder-id", "https://github.com/slsa-framework/slsa-github-generator"])
        #expect(builder.status == 1 && builder.stdout.contains("builder:"))
        try dir.write("other.tar.gz", "other")
        let subject = try run(["--source-uri", "github.com/example/greet"], artifact: "other.tar.gz")
        #expect(subject.status == 1 && subject.stdout.contains("subject"))
    }
}
