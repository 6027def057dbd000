import Foundation
import HallmarkTestSupport
import Testing

/// verify-provenance against certificate-signed bundles made here under a private Sigstore-like PKI (a Fulcio-style
/// CA, a CT log, a Rekor-style log), so the builder, source and ref rules run on certificates whose Fulcio claims
/// the test chooses: trusted builders at tags and branches, a signer's own workflow, delegators, and predicates
/// that disagree with the certificate.
@Suite("verify-provenance: certificate-signed provenance under a private PKI", .serialized)
struct ProvenancePKITests {
    /// Writes `trusted_root.json`, and one bundle per case of `cases.json`: `{name: {san, issuer, claims {arc: value},
    /// predicate (the SLSA predicate), predicateType}}`, each a DSSE envelope about `artifact.tgz` with a dsse
    /// entry and a signed entry timestamp.
    static let generator = #"""
        import base64, datetime, hashlib, json, os, sys
        from cryptography import x509
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        out = sys.argv[1]
        NOW = datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc)
        b64 = lambda b: base64.b64encode(b).decode()
        canonical = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":")).encode()
        spki = lambda k: k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        ca_key, ct_key, log_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
        ct_id, log_id = hashlib.sha256(spki(ct_key)).digest(), hashlib.sha256(spki(log_key)).digest()
        ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hallmark.test"), x509.NameAttribute(NameOID.COMMON_NAME, "test-fulcio")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key()).serial_number(1)
              .not_valid_before(NOW - datetime.timedelta(days=365)).not_valid_after(NOW + datetime.timedelta(days=365))
              .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
              .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        valid = {"start": "2020-01-01T00:00:00Z"}
        key = lambda k, i: {"rawBytes": b64(spki(k)), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": valid}
        json.dump({"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                   "tlogs": [{"baseUrl": "https://log.hallmark.test", "hashAlgorithm": "SHA2_256", "publicKey": key(log_key, log_id), "logId": {"keyId": b64(log_id)}}],
                   "ctlogs": [{"baseUrl": "https://ct.hallmark.test", "hashAlgorithm": "SHA2_256", "publicKey": key(ct_key, ct_id), "logId": {"keyId": b64(ct_id)}}],
                   "certificateAuthorities": [{"uri": "https://fulcio.hallmark.test", "validFor": valid,
                                               "certChain": {"certificates": [{"rawBytes": b64(ca.public_bytes(serialization.Encoding.DER))}]}}],
                   "timestampAuthorities": []}, open(f"{out}/trusted_root.json", "w"))

        def der_length(n):
            if n < 0x80: return bytes([n])
            b = n.to_bytes((n.bit_length() + 7) // 8, "big"); return bytes([0x80 | len(b)]) + b
        utf8 = lambda s: b"\x0c" + der_length(len(s.encode())) + s.encode()

        def leaf(san, claims, signer):
            def builder():
                b = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(ca_name).public_key(signer.public_key()).serial_number(7)
                     .not_valid_before(NOW - datetime.timedelta(minutes=5)).not_valid_after(NOW + datetime.timedelta(minutes=10))
                     .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
                     .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
                     .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san)]), critical=True))
                for arc, value in sorted(claims.items(), key=lambda kv: int(kv[0])):
                    raw = utf8(value) if int(arc) >= 8 else value.encode()
                    b = b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier(f"1.3.6.1.4.1.57264.1.{arc}"), raw), critical=False)
                return b
            # RFC 6962 precertificate entry: the TBSCertificate without the SCT list, and the issuer's key hash.
            tbs = builder().sign(ca_key, hashes.SHA256()).tbs_certificate_bytes
            stamp = int(NOW.timestamp() * 1000).to_bytes(8, "big")
            signed = b"\x00\x00" + stamp + b"\x00\x01" + hashlib.sha256(spki(ca_key)).digest() + len(tbs).to_bytes(3, "big") + tbs + b"\x00\x00"
            sig = ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
            sct = b"\x00" + ct_id + stamp + b"\x00\x00\x04\x03" + len(sig).to_bytes(2, "big") + sig
            listed = len(sct).to_bytes(2, "big") + sct
            listed = len(listed).to_bytes(2, "big") + listed
            ext = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2"), b"\x04" + der_length(len(listed)) + listed)
            return builder().add_extension(ext, critical=False).sign(ca_key, hashes.SHA256())

        artifact = open(f"{out}/artifact.tgz", "rb").read()
        for name, case in json.load(open(f"{out}/cases.json")).items():
            signer = ec.generate_private_key(ec.SECP256R1())
            cert = leaf(case["san"], case["claims"], signer)
            statement = {"_type": "https://in-toto.io/Statement/v1", "predicateType": case["predicateType"], "predicate": case["predicate"],
                         "subject": [{"name": "artifact.tgz", "digest": {"sha256": hashlib.sha256(artifact).hexdigest()}}]}
            payload, ptype = canonical(statement), "application/vnd.in-toto+json"
            sig = signer.sign(b"DSSEv1 %d %s %d " % (len(ptype), ptype.encode(), len(payload)) + payload, ec.ECDSA(hashes.SHA256()))
            body = canonical({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
                "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
                "signatures": [{"signature": b64(sig), "verifier": b64(cert.public_bytes(serialization.Encoding.PEM))}]}})
            integrated, index = int(NOW.timestamp()), 42
            promise = log_key.sign(canonical({"body": b64(body), "integratedTime": integrated, "logID": log_id.hex(), "logIndex": index}), ec.ECDSA(hashes.SHA256()))
            json.dump({"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
                       "verificationMaterial": {"x509CertificateChain": {"certificates": [{"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))}]},
                           "tlogEntries": [{"logIndex": str(index), "logId": {"keyId": b64(log_id)}, "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                                            "integratedTime": str(integrated), "inclusionPromise": {"signedEntryTimestamp": b64(promise)},
                                            "canonicalizedBody": b64(body)}]},
                       "dsseEnvelope": {"payload": b64(payload), "payloadType": ptype, "signatures": [{"sig": b64(sig), "keyid": ""}]}},
                      open(f"{out}/{name}.sigstore.json", "w"))
        """#

    static let generic = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"
    static let delegator = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/delegator_generic_slsa3.yml"
    static let maven = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_maven_slsa3.yml"
    static let github = "https://token.actions.githubusercontent.com"
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    /// Fulcio claims for a build of `repository` at `ref`.
    static func claims(repository: String = "https://github.com/org/repo", ref: String = "refs/tags/v1.4.2", issuer: String = github) -> [String: String] {
        ["8": issuer, "12": repository, "13": commit, "14": ref, "9": generic + "@refs/tags/v2.1.0"]
    }

    /// A SLSA v1 predicate as the generic generator writes it.
    static func v1(builder: String, repository: String = "https://github.com/org/repo", ref: String = "refs/tags/v1.4.2", commit: String = commit) -> [String: Any] {
        [
            "buildDefinition": [
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": ["workflow": ["repository": repository, "ref": ref, "path": ".github/workflows/release.yml"]],
                "internalParameters": ["GITHUB_REF": ref, "GITHUB_SHA": commit],
                "resolvedDependencies": [["uri": "git+\(repository)@\(ref)", "digest": ["gitCommit": commit]]],
            ],
            "runDetails": ["builder": ["id": builder]],
        ]
    }

    static func v02(builder: String, repository: String = "https://github.com/org/repo", ref: String = "refs/tags/v1.4.2") -> [String: Any] {
        [
            "builder": ["id": builder], "buildType": "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
            "invocation": ["configSource": ["uri": "git+\(repository)@\(ref)", "digest": ["sha1": commit], "entryPoint": ".github/workflows/release.yml"],
                           "environment": ["github_ref": ref, "github_sha1": commit]],
            "materials": [["uri": "git+\(repository)@\(ref)", "digest": ["sha1": commit]]],
        ]
    }

    static func bundleCase(san: String, claims: [String: String], predicate: [String: Any], version: String = "v1") -> [String: Any] {
        ["san": san, "claims": claims, "predicate": predicate, "predicateType": "https://slsa.dev/provenance/\(version)"]
    }

    static var cases: [String: [String: Any]] { [
        "trusted": bundleCase(san: generic + "@refs/tags/v2.1.0", claims: claims(), predicate: v1(builder: generic + "@refs/tags/v2.1.0")),
        "trusted-v02": bundleCase(san: generic + "@refs/tags/v2.1.0", claims: claims(), predicate: v02(builder: generic + "@refs/tags/v2.1.0"), version: "v0.2"),
        "builder-at-branch": bundleCase(san: generic + "@refs/heads/main", claims: claims(), predicate: v1(builder: generic + "@refs/heads/main")),
        "own-workflow": bundleCase(san: "https://github.com/evil/repo/.github/workflows/p.yml@refs/heads/main",
                                   claims: claims(repository: "https://github.com/evil/repo", ref: "refs/heads/main"),
                                   predicate: v1(builder: generic + "@refs/tags/v2.1.0")),
        "predicate-claims-another-source": bundleCase(san: generic + "@refs/tags/v2.1.0", claims: claims(repository: "https://github.com/evil/repo"),
                                                      predicate: v1(builder: generic + "@refs/tags/v2.1.0")),
        "predicate-claims-another-ref": bundleCase(san: generic + "@refs/tags/v2.1.0", claims: claims(ref: "refs/heads/main"),
                                                   predicate: v1(builder: generic + "@refs/tags/v2.1.0")),
        "predicate-claims-another-commit": bundleCase(san: generic + "@refs/tags/v2.1.0", claims: claims(),
                                                      predicate: v1(builder: generic + "@refs/tags/v2.1.0", commit: String(repeating: "f", count: 40))),
        "provenance-names-another-builder": bundleCase(san: generic + "@refs/tags/v2.1.0", claims: claims(), predicate: v1(builder: generic + "@refs/tags/v2.0.0")),
        "another-issuer": bundleCase(san: generic + "@refs/tags/v2.1.0", claims: claims(issuer: "https://accounts.google.com"),
                                     predicate: v1(builder: generic + "@refs/tags/v2.1.0")),
        "delegated": bundleCase(san: delegator + "@refs/tags/v2.1.0", claims: claims(), predicate: v1(builder: maven + "@refs/tags/v2.1.0")),
        "delegated-to-own-builder": bundleCase(san: delegator + "@refs/tags/v2.1.0", claims: claims(),
                                               predicate: v1(builder: "https://github.com/evil/builder/.github/workflows/b.yml@refs/tags/v1.0.0")),
    ] }

    static func make() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        try dir.write("artifact.tgz", Data("the released artifact\n".utf8))
        try dir.write("cases.json", try JSONSerialization.data(withJSONObject: cases))
        try dir.write("make.py", generator)
        let made = try ProcessRunner.run("python3", [dir.url("make.py"), dir.path])
        guard made.status == 0 else { throw FixtureError("make.py: \(made.stderr)") }
        return dir
    }

    @Test("Each rule broken on its own fails with its code; the genuine cases verify")
    func rules() throws {
        let dir = try Self.make()
        func verify(_ name: String, _ extra: [String] = []) throws -> (status: Int32, codes: [String], output: String) {
            let result = try ProcessRunner.hallmark([
                "verify-provenance", "artifact.tgz", "--bundle", "\(name).sigstore.json", "--trusted-root", "trusted_root.json",
                "--source-uri", "github.com/org/repo", "--format", "json",
            ] + extra, in: dir.path)
            let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
            let codes = (object?["problems"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            return (result.status, codes, result.stdout + result.stderr)
        }
        for name in ["trusted", "trusted-v02", "delegated"] {
            let ok = try verify(name, ["--source-tag", "v1.4.2"])
            #expect(ok.status == 0, "\(name): \(ok.output)")
        }
        let trusted = try verify("trusted", ["--source-versioned-tag", "v1.4"])
        #expect(trusted.status == 0, "\(trusted.output)")
        #expect(trusted.output.contains("\"sourceOrigin\" : \"certificate\"") || trusted.output.contains("\"sourceOrigin\": \"certificate\""), "\(trusted.output)")
        #expect(try verify("trusted", ["--builder-id", Self.generic + "@v2.1.0"]).status == 0)
        #expect(try verify("trusted", ["--builder-id", Self.generic + "@refs/tags/v2.1.0"]).status == 0)
        let failures: [(String, [String], String)] = [
            ("trusted", ["--source-tag", "v1.4.3"], "provenance.ref-mismatch"),
            ("trusted", ["--source-versioned-tag", "v1.5"], "provenance.ref-mismatch"),
            ("trusted", ["--source-branch", "main"], "provenance.ref-mismatch"),
            ("trusted", ["--builder-id", Self.generic + "@v2.0.9"], "provenance.builder-mismatch"),
            ("builder-at-branch", [], "provenance.untrusted-builder"),
            ("own-workflow", [], "provenance.untrusted-builder"),
            ("predicate-claims-another-source", [], "provenance.source-mismatch"),
            ("predicate-claims-another-source", [], "provenance.predicate-mismatch"),
            ("predicate-claims-another-ref", [], "provenance.predicate-mismatch"),
            ("predicate-claims-another-commit", [], "provenance.predicate-mismatch"),
            ("provenance-names-another-builder", [], "provenance.builder-mismatch"),
            ("another-issuer", [], "issuer.mismatch"),
            ("delegated-to-own-builder", [], "provenance.untrusted-builder"),
        ]
        for (name, extra, code) in failures {
            let result = try verify(name, extra)
            #expect(result.status == 1, "\(name) \(extra): \(result.output)")
            #expect(result.codes.contains(code), "\(name) \(extra): \(result.codes)")
        }
        // The signer's own workflow, trusted by --builder-id: the certificate's source decides, not the predicate.
        let own = "https://github.com/evil/repo/.github/workflows/p.yml"
        let trustedOwn = try verify("own-workflow", ["--builder-id", own])
        #expect(trustedOwn.codes.contains("provenance.builder-mismatch") && trustedOwn.codes.contains("provenance.source-mismatch"), "\(trustedOwn.codes)")
        // The delegated builder named by --builder-id.
        #expect(try verify("delegated-to-own-builder", ["--builder-id", "https://github.com/evil/builder/.github/workflows/b.yml"]).status == 0)
    }
}
