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

    /// The problem code each failing case must report (`[code]` in the output). The one case whose key does not
    /// load fails at key loading (exit 2), and is named by its file.
    static let failureChecks: [String: String] = [
        "bundle-empty-certificate-chain_fail": "bundle.malformed",
        "bundle-from-wrong-instance_fail": "tlog.untrusted-log",
        "bundle-invalid-base64-signature_fail": "bundle.malformed",
        "bundle-malformed-json_fail": "bundle.malformed",
        "bundle-negative-log-index_fail": "bundle.malformed",
        "bundle-unknown-version_fail": "bundle.malformed",
        "bundle-with-root-cert_fail": "chain.bundled-root",
        "checkpoint-bad-keyhint_fail": "tlog.checkpoint-invalid",
        "checkpoint-wrong-roothash_fail": "tlog.checkpoint-invalid",
        "dsse-invalid-sig_fail": "signature.invalid",
        "dsse-mismatch-envelope_fail": "tlog.body-mismatch",
        "dsse-mismatch-sig_fail": "tlog.body-mismatch",
        "inclusion-proof-corrupted-hash_fail": "tlog.inclusion-proof-invalid",
        "incorrect-public-key_fail": "tlog.body-mismatch",
        "integrated-time-in-future_fail": "chain.expired",
        "intoto-expired-certificate_fail": "chain.expired",
        "intoto-log-entry-mismatch_fail": "tlog.body-mismatch",
        "intoto-missing-inclusion-proof_fail": "bundle.malformed",
        "intoto-set-outside-signing-cert-validity_fail": "chain.expired",
        "intoto-tsa-timestamp-outside-cert-validity_fail": "chain.expired",
        "invalid-checkpoint-signature_fail": "tlog.checkpoint-invalid",
        "invalid-ct-key_fail": "sct.invalid",
        "invalid-inclusion-proof_fail": "tlog.inclusion-proof-invalid",
        "managed-key-no-key_fail": "material.mismatch",
        "managed-key-wrong-key_fail": "key.pub",
        "message-digest-mismatch_fail": "artifact.digest-mismatch",
        "rekor2-checkpoint-missing-log-signature_fail": "tlog.checkpoint-invalid",
        "rekor2-checkpoint-missing-origin_fail": "tlog.checkpoint-invalid",
        "rekor2-checkpoint-missing-root-hash_fail": "tlog.checkpoint-invalid",
        "rekor2-checkpoint-missing-size_fail": "tlog.checkpoint-invalid",
        "rekor2-checkpoint-no-matching-signature_fail": "tlog.checkpoint-invalid",
        "rekor2-dsse-invalid-sig_fail": "signature.invalid",
        "rekor2-dsse-mismatch-envelope_fail": "tlog.body-mismatch",
        "rekor2-dsse-mismatch-sig_fail": "tlog.body-mismatch",
        "rekor2-no-inclusion-proof_fail": "bundle.malformed",
        "rekor2-no-timestamp_fail": "timestamp.missing",
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail": "timestamp.outside-validity",
        "rekor2-timestamp-outside-tsa-cert-validity_fail": "timestamp.outside-validity",
        "rekor2-timestamp-payload-mismatch_fail": "timestamp.invalid",
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": "timestamp.untrusted",
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": "timestamp.untrusted",
        "rekor2-timestamp-with-incorrect-time_fail": "chain.expired",
        "set-invalid-signature_fail": "tlog.set-invalid",
        "signature-mismatch_fail": "signature.invalid",
        "trust-root-tlog-missing-validity-start_fail": "trusted-root.malformed",
        "wrong-hashedrekord-artifact_fail": "tlog.body-mismatch",
        "wrong-hashedrekord-cert-and-sig_fail": "tlog.body-mismatch",
        "wrong-hashedrekord-entry_fail": "tlog.body-mismatch",
        "wrong-material_fail": "artifact.digest-mismatch",
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
                let expected = check.hasSuffix(".pub") ? check : "[\(check)]"
                #expect(output.contains(expected), "\(label): the problems should include \(expected): \(output)")
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
        #expect(partial.status == 1 && partial.stdout.contains("[identity.mismatch]"))
        let wrongIssuer = try run(replacing: ["--certificate-identity", Self.defaultIdentity, "--certificate-oidc-issuer", "https://accounts.google.com"])
        #expect(wrongIssuer.status == 1 && wrongIssuer.stdout.contains("[issuer.mismatch]"))
        let repo = try run(replacing: ["--certificate-identity", Self.defaultIdentity] + issuer,
                           extra: ["--certificate-github-workflow-repository", "sigstore-conformance/extremely-dangerous-public-oidc-beacon"])
        #expect(repo.status == 0, "\(repo.stdout)\(repo.stderr)")
        let wrongRepo = try run(replacing: ["--certificate-identity", Self.defaultIdentity] + issuer,
                                extra: ["--certificate-github-workflow-repository", "someone/else"])
        #expect(wrongRepo.status == 1 && wrongRepo.stdout.contains("GitHub workflow repository") && wrongRepo.stdout.contains("[identity.claim-mismatch]"))
        let json = try run(replacing: ["--certificate-identity", Self.defaultIdentity] + issuer, extra: ["--format", "json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])
        #expect(object["identity"] as? String == Self.defaultIdentity)
        #expect(object["issuer"] as? String == Self.defaultIssuer)
        #expect(object["signingTimeSource"] as? String == "signed entry timestamp")
        #expect(object["logIndex"] as? Int != nil)
        #expect(object["schemaVersion"] as? Int == 1 && object["verified"] as? Bool == true)
        let usage = try ProcessRunner.hallmark(Array(base.prefix(5)) + [base.last!])
        #expect(usage.status == 2 && usage.stderr.contains("--certificate-identity"))
        // A thrown error is a JSON report too, with its problem code.
        let malformed = try ProcessRunner.hallmark([
            "verify-bundle", "--bundle", Self.root + "/bundle-verify/bundle-malformed-json_fail/bundle.sigstore.json", "--trusted-root",
            Self.root + "/default-trust/production_trusted_root.json", "--certificate-identity", Self.defaultIdentity,
            "--certificate-oidc-issuer", Self.defaultIssuer, Self.root + "/bundle-verify/a.txt", "--format", "json",
        ])
        #expect(malformed.status == 2 && malformed.stderr.hasSuffix("[bundle.malformed]\n"), "\(malformed.stderr)")
        let failure = try #require(try JSONSerialization.jsonObject(with: malformed.stdoutData) as? [String: Any])
        #expect(failure["verified"] as? Bool == false && failure["schemaVersion"] as? Int == 1)
        #expect((failure["error"] as? [String: Any])?["code"] as? String == "bundle.malformed")
        // Without a log entry the bundle fails by default, and passes only with the option that says it is unsafe.
        let rekor2 = Self.root + "/bundle-verify/rekor2-happy-path"
        let stripped = try TemporaryDirectory()
        var bundleJSON = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: rekor2 + "/bundle.sigstore.json"))) as? [String: Any])
        var material = try #require(bundleJSON["verificationMaterial"] as? [String: Any])
        material["tlogEntries"] = []
        bundleJSON["verificationMaterial"] = material
        try stripped.write("bundle.json", try JSONSerialization.data(withJSONObject: bundleJSON))
        let common = ["verify-bundle", "--bundle", stripped.url("bundle.json"), "--trusted-root", rekor2 + "/trusted_root.json",
                      "--certificate-identity", Self.defaultIdentity, "--certificate-oidc-issuer", Self.defaultIssuer]
        let noLog = try ProcessRunner.hallmark(common + [Self.root + "/bundle-verify/a.txt"])
        #expect(noLog.status == 1 && noLog.stdout.contains("[tlog.missing]"), "\(noLog.stdout)")
        let zero = try ProcessRunner.hallmark(common + ["--min-tlog-entries", "0", Self.root + "/bundle-verify/a.txt"])
        #expect(zero.status == 2 && zero.stderr.contains("--insecure-ignore-tlog"), "\(zero.stderr)")
        let unsafe = try ProcessRunner.hallmark(common + ["--insecure-ignore-tlog", Self.root + "/bundle-verify/a.txt"])
        #expect(unsafe.status == 0 && unsafe.stdout.contains("WITHOUT a transparency-log entry"), "\(unsafe.stdout)\(unsafe.stderr)")
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
        #expect(identity.status == 1 && identity.stdout.contains("verify it with --key") && identity.stdout.contains("[material.mismatch]"))

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
    static let beacon = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml"

    func provenance(_ extra: [String]) throws -> ProcessOutput {
        let cases = TestPaths.conformance("sigstore-conformance")
        return try ProcessRunner.hallmark([
            "verify-provenance", cases + "/bundle-verify/a.txt", "--bundle", cases + "/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
            "--trusted-root", cases + "/default-trust/production_trusted_root.json",
        ] + extra)
    }

    @Test("Provenance signed by a workflow nobody trusts is refused without --builder-id, whatever its predicate says")
    func untrustedBuilder() throws {
        // The predicate claims loosebazooka/aa-test; the certificate says another workflow signed it.
        let result = try provenance(["--source-uri", "github.com/loosebazooka/aa-test", "--source-branch", "main"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("[provenance.untrusted-builder]"), "\(result.stdout)")
        #expect(result.stdout.contains("signed by \(Self.beacon)@refs/heads/main"), "\(result.stdout)")
    }

    @Test("Trusted by --builder-id: the source comes from the certificate, and the predicate must agree with it")
    func sourceFromTheCertificate() throws {
        // The signer is trusted, but the provenance names another builder and another source than the certificate.
        let claimed = try provenance(["--builder-id", Self.beacon, "--source-uri", "github.com/loosebazooka/aa-test", "--source-branch", "main"])
        #expect(claimed.status == 1)
        #expect(claimed.stdout.contains("[provenance.builder-mismatch]"), "\(claimed.stdout)")
        #expect(claimed.stdout.contains("[provenance.source-mismatch]"), "\(claimed.stdout)")
        #expect(claimed.stdout.contains("[provenance.predicate-mismatch]"), "\(claimed.stdout)")
        // The certificate's source, with the builder mismatch still there.
        let actual = try provenance(["--builder-id", Self.beacon, "--source-uri", "github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon",
                                     "--format", "json"])
        #expect(actual.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: actual.stdoutData) as? [String: Any])
        #expect(object["sourceRepository"] as? String == "github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon")
        #expect(object["sourceOrigin"] as? String == "certificate")
        let codes = (object["problems"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes.contains("provenance.builder-mismatch") && !codes.contains("provenance.source-mismatch"), "\(codes)")
        // A builder id with another version than the signer's ref.
        let version = try provenance(["--builder-id", Self.beacon + "@v1.0.0", "--source-uri", "github.com/loosebazooka/aa-test"])
        #expect(version.status == 1 && version.stdout.contains("[provenance.builder-mismatch]"), "\(version.stdout)")
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
        #expect(tag.status == 1 && tag.stdout.contains("not refs/tags/v2.0.0") && tag.stdout.contains("[provenance.ref-mismatch]"))
        let branch = try run(["--source-uri", "github.com/example/greet", "--source-branch", "main"])
        #expect(branch.status == 1 && branch.stdout.contains("not refs/heads/main"))
        let source = try run(["--source-uri", "github.com/evil/greet"])
        #expect(source.status == 1 && source.stdout.contains("[provenance.source-mismatch]"))
        let builder = try run(["--source-uri", "github.com/example/greet", "--builder-id", "https://github.com/slsa-framework/slsa-github-generator"])
        #expect(builder.status == 1 && builder.stdout.contains("[provenance.builder-mismatch]"))
        try dir.write("other.tar.gz", "other")
        let subject = try run(["--source-uri", "github.com/example/greet"], artifact: "other.tar.gz")
        #expect(subject.status == 1 && subject.stdout.contains("[subject.mismatch]"))
    }
}
