import Foundation
import HallmarkCore
@testable import HallmarkCrypto
import HallmarkTestSupport
import Testing

/// An adversarial corpus made from the sigstore-conformance happy paths: each forgery changes one thing and must
/// fail with the problem code of the check it attacks; the originals must verify.
@Suite("Forged Sigstore bundles: each fails with the code of the check it attacks")
struct BundleForgeryTests {
    static let corpus = TestPaths.conformance("sigstore-conformance")
    static let identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
    static let issuer = "https://token.actions.githubusercontent.com"

    /// The bases: a v0.3 message signature with a Rekor v1 entry; a Rekor v2 entry with an RFC 3161 timestamp;
    /// DSSE with a dsse entry; the v0.2 certificate-chain form; a Rekor v2 DSSE; a key-signed bundle.
    enum Base: String, CaseIterable, Sendable {
        case rekorV1 = "happy-path-v0.3"
        case rekorV2 = "rekor2-happy-path"
        case dsse = "happy-path-intoto-in-dsse-v3"
        case chain = "happy-path-v0.2"
        case rekorV2DSSE = "rekor2-dsse-happy-path"
        case keyed = "managed-key-happy-path"

        var directory: String { BundleForgeryTests.corpus + "/bundle-verify/" + rawValue }

        func json() throws -> JSONValue { try JSONValue(parsing: try Data(contentsOf: URL(fileURLWithPath: directory + "/bundle.sigstore.json"))) }

        func trustedRoot() throws -> TrustedRoot {
            let own = directory + "/trusted_root.json"
            let path = FileManager.default.fileExists(atPath: own) ? own : BundleForgeryTests.corpus + "/default-trust/production_trusted_root.json"
            return try TrustedRoot(parsing: try Data(contentsOf: URL(fileURLWithPath: path)), source: path)
        }

        func artifact() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: BundleForgeryTests.corpus + "/bundle-verify/a.txt")) }

        func policy() throws -> BundlePolicy {
            if self == .keyed {
                let pem = try String(contentsOfFile: directory + "/key.pub", encoding: .utf8)
                return try BundlePolicy(key: try PublicKey(pem: pem, source: "key.pub"))
            }
            return try BundlePolicy(identity: IdentityPolicy(san: .exact(BundleForgeryTests.identity), issuer: .exact(BundleForgeryTests.issuer)))
        }
    }

    struct Forgery: Sendable, CustomStringConvertible {
        var name: String
        var base: Base
        var expected: ProblemCode
        var mutate: @Sendable (JSONValue) throws -> JSONValue = { $0 }
        /// Text edits for what a JSON value cannot say (duplicate members).
        var text: (@Sendable (String) -> String)?
        var policy: (@Sendable () throws -> BundlePolicy)?
        var artifact: Data?
        var description: String { "\(base.rawValue): \(name)" }
    }

    // MARK: Mutations

    static let garbage = JSONValue.string(Base64.encode(Array("not a certificate at all".utf8)))

    static func entry(_ path: [PathStep]) -> [PathStep] { [.key("verificationMaterial"), .key("tlogEntries"), .index(0)] + path }

    static func otherBundle(_ base: Base) throws -> JSONValue { try base.json() }

    /// A base64 field with one bit flipped in its first byte.
    static func flip(_ value: JSONValue?) -> JSONValue {
        guard let text = value?.stringValue, var bytes = Base64.decode(text).map(Array.init), !bytes.isEmpty else { return .string("AAAA") }
        bytes[0] ^= 0x01
        return .string(Base64.encode(bytes))
    }

    static func reencodedBody(_ json: JSONValue, _ change: (inout String) -> Void) -> JSONValue {
        let path = entry([.key("canonicalizedBody")])
        guard let text = json[path]?.stringValue, let body = Base64.decode(text) else { return json }
        var decoded = String(decoding: body, as: UTF8.self)
        change(&decoded)
        return json.setting(path, to: .string(Base64.encode(Array(decoded.utf8))))
    }

    static let forgeries: [Forgery] = {
        var all: [Forgery] = []
        func add(_ name: String, _ base: Base, _ expected: ProblemCode, _ mutate: @escaping @Sendable (JSONValue) throws -> JSONValue) {
            all.append(Forgery(name: name, base: base, expected: expected, mutate: mutate))
        }
        let cert: [PathStep] = [.key("verificationMaterial"), .key("certificate"), .key("rawBytes")]
        let chain: [PathStep] = [.key("verificationMaterial"), .key("x509CertificateChain"), .key("certificates")]
        let signature: [PathStep] = [.key("messageSignature"), .key("signature")]
        let dsseSignature: [PathStep] = [.key("dsseEnvelope"), .key("signatures"), .index(0), .key("sig")]
        let timestamps: [PathStep] = [.key("verificationMaterial"), .key("timestampVerificationData"), .key("rfc3161Timestamps")]

        // Signing certificates.
        add("garbage leaf", .rekorV1, .certificateUnparsable) { $0.setting(cert, to: garbage) }
        add("garbage leaf, no log entry, a real timestamp (the forgery anyone can make)", .rekorV2, .certificateUnparsable) {
            $0.setting(cert, to: garbage).setting([.key("verificationMaterial"), .key("tlogEntries")], to: .array([]))
        }
        add("chain element 0 garbage", .chain, .certificateUnparsable) { $0.setting(chain + [.index(0), .key("rawBytes")], to: garbage) }
        add("leaf of another signer swapped in", .rekorV1, .signatureInvalid) {
            $0.setting(cert, to: try otherBundle(.dsse)[[.key("verificationMaterial"), .key("certificate"), .key("rawBytes")]] ?? .null)
        }
        add("leaf from a bundle of another instance", .rekorV1, .signatureInvalid) {
            $0.setting(cert, to: try otherBundle(.rekorV2)[cert] ?? .null)
        }
        add("a CA certificate as the leaf", .chain, .certificateInvalidLeaf) { json in
            let root = try Base.chain.trustedRoot()
            let ca = root.certificateAuthorities.last?.chain.first ?? []
            return json.setting(chain + [.index(0), .key("rawBytes")], to: .string(Base64.encode(ca)))
        }
        add("the trusted root's own root certificate appended to the chain", .chain, .chainBundledRoot) { json in
            let root = try Base.chain.trustedRoot()
            let anchor = root.certificateAuthorities.last?.chain.last ?? []
            var certificates = json[chain]?.arrayValue ?? []
            certificates.append(.object(["rawBytes": .string(Base64.encode(anchor))]))
            return json.setting(chain, to: .array(certificates))
        }
        add("key material instead of a certificate", .rekorV1, .materialMismatch) {
            $0.setting([.key("verificationMaterial"), .key("certificate")], to: nil)
                .setting([.key("verificationMaterial"), .key("publicKey")], to: .object(["hint": .string("x")]))
        }

        // Signatures and digests.
        add("signature zeroed", .rekorV1, .signatureInvalid) { $0.setting(signature, to: .string(Base64.encode([UInt8](repeating: 0, count: 70)))) }
        add("signature from another bundle", .rekorV1, .signatureInvalid) { $0.setting(signature, to: try otherBundle(.chain)[signature] ?? .null) }
        add("signature bit flipped", .rekorV2, .signatureInvalid) { $0.setting(signature, to: flip($0[signature])) }
        add("message digest changed", .rekorV1, .artifactDigestMismatch) {
            $0.setting([.key("messageSignature"), .key("messageDigest"), .key("digest")], to: .string(Base64.encode([UInt8](repeating: 7, count: 32))))
        }
        add("message digest algorithm changed", .rekorV1, .artifactDigestMismatch) {
            $0.setting([.key("messageSignature"), .key("messageDigest"), .key("algorithm")], to: .string("SHA2_512"))
        }
        add("DSSE payload changed", .dsse, .signatureInvalid) { json in
            guard let text = json[[.key("dsseEnvelope"), .key("payload")]]?.stringValue, let payload = Base64.decode(text) else { return json }
            let changed = String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "a.txt", with: "b.txt")
            return json.setting([.key("dsseEnvelope"), .key("payload")], to: .string(Base64.encode(Array(changed.utf8))))
        }
        add("DSSE payloadType changed", .dsse, .signatureInvalid) {
            $0.setting([.key("dsseEnvelope"), .key("payloadType")], to: .string("application/vnd.in-toto+json; x=1"))
        }
        add("DSSE signature zeroed", .dsse, .signatureInvalid) { $0.setting(dsseSignature, to: .string(Base64.encode([UInt8](repeating: 0, count: 72)))) }
        add("DSSE signature from another envelope", .rekorV2DSSE, .signatureInvalid) { $0.setting(dsseSignature, to: try otherBundle(.dsse)[dsseSignature] ?? .null) }
        add("an extra invalid DSSE signature", .dsse, .bundleMalformed) { json in
            var signatures = json[[.key("dsseEnvelope"), .key("signatures")]]?.arrayValue ?? []
            signatures.append(.object(["keyid": .string(""), "sig": .string(Base64.encode([UInt8](repeating: 1, count: 70)))]))
            return json.setting([.key("dsseEnvelope"), .key("signatures")], to: .array(signatures))
        }

        // Transparency-log entries.
        add("no log entry", .rekorV1, .tlogMissing) { $0.setting([.key("verificationMaterial"), .key("tlogEntries")], to: .array([])) }
        add("log entry removed, timestamp kept", .rekorV2, .tlogMissing) { $0.setting([.key("verificationMaterial"), .key("tlogEntries")], to: .array([])) }
        add("log body: another digest", .rekorV1, .tlogBodyMismatch) { json in
            reencodedBody(json) { body in
                if let range = body.range(of: "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf") {
                    body.replaceSubrange(range, with: String(repeating: "0", count: 64))
                }
            }
        }
        add("log body: not JSON", .rekorV1, .tlogBodyMismatch) { $0.setting(entry([.key("canonicalizedBody")]), to: .string(Base64.encode(Array("{nope".utf8)))) }
        add("log body of a Rekor v2 entry: another signature", .rekorV2, .tlogBodyMismatch) { json in
            let sig = json[signature]?.stringValue ?? ""
            return reencodedBody(json) { body in body = body.replacingOccurrences(of: sig, with: Base64.encode([UInt8](repeating: 9, count: 70))) }
        }
        add("log index changed (Rekor v1: the SET covers it)", .rekorV1, .tlogSETInvalid) { $0.setting(entry([.key("logIndex")]), to: .string("1")) }
        add("log index changed (Rekor v2: the proof's index differs)", .rekorV2, .tlogInclusionProofInvalid) { $0.setting(entry([.key("logIndex")]), to: .string("734")) }
        add("integrated time changed", .rekorV1, .tlogSETInvalid) { json in
            let time = Int64(json[entry([.key("integratedTime")])]?.stringValue ?? "0") ?? 0
            return json.setting(entry([.key("integratedTime")]), to: .string(String(time - 60)))
        }
        add("signed entry timestamp flipped", .rekorV1, .tlogSETInvalid) { json in
            json.setting(entry([.key("inclusionPromise"), .key("signedEntryTimestamp")]), to: flip(json[entry([.key("inclusionPromise"), .key("signedEntryTimestamp")])]))
        }
        add("inclusion proof hash flipped", .rekorV1, .tlogInclusionProofInvalid) { json in
            json.setting(entry([.key("inclusionProof"), .key("hashes"), .index(0)]), to: flip(json[entry([.key("inclusionProof"), .key("hashes"), .index(0)])]))
        }
        add("inclusion proof root hash flipped", .rekorV2, .tlogInclusionProofInvalid) { json in
            json.setting(entry([.key("inclusionProof"), .key("rootHash")]), to: flip(json[entry([.key("inclusionProof"), .key("rootHash")])]))
        }
        add("inclusion proof tree size changed", .rekorV1, .tlogInclusionProofInvalid) { json in
            let size = Int64(json[entry([.key("inclusionProof"), .key("treeSize")])]?.stringValue ?? "0") ?? 0
            return json.setting(entry([.key("inclusionProof"), .key("treeSize")]), to: .string(String(size + 1)))
        }
        add("inclusion proof hash dropped", .rekorV2, .tlogInclusionProofInvalid) { json in
            let hashes = json[entry([.key("inclusionProof"), .key("hashes")])]?.arrayValue ?? []
            return json.setting(entry([.key("inclusionProof"), .key("hashes")]), to: .array(Array(hashes.dropLast())))
        }
        add("checkpoint removed", .rekorV1, .tlogCheckpointInvalid) { $0.setting(entry([.key("inclusionProof"), .key("checkpoint")]), to: nil) }
        add("checkpoint size changed", .rekorV2, .tlogCheckpointInvalid) { json in
            let path = entry([.key("inclusionProof"), .key("checkpoint"), .key("envelope")])
            let text = json[path]?.stringValue ?? ""
            return json.setting(path, to: .string(text.replacingOccurrences(of: "\n736\n", with: "\n737\n")))
        }
        add("checkpoint signature flipped", .rekorV1, .tlogCheckpointInvalid) { json in
            let path = entry([.key("inclusionProof"), .key("checkpoint"), .key("envelope")])
            var lines = (json[path]?.stringValue ?? "").components(separatedBy: "\n")
            if let index = lines.firstIndex(where: { $0.hasPrefix("\u{2014} ") }), let space = lines[index].lastIndex(of: " ") {
                let sig = String(lines[index][lines[index].index(after: space)...])
                lines[index] = String(lines[index][...space]) + (flip(.string(sig)).stringValue ?? "")
                if var bytes = Base64.decode(sig).map(Array.init), bytes.count > 10 {
                    bytes[bytes.count - 1] ^= 0x01
                    lines[index] = String(lines[index][...space]) + Base64.encode(bytes)
                }
            }
            return json.setting(path, to: .string(lines.joined(separator: "\n")))
        }
        add("log id of a log nobody trusts", .rekorV1, .tlogUntrustedLog) { $0.setting(entry([.key("logId"), .key("keyId")]), to: .string(Base64.encode([UInt8](repeating: 3, count: 32)))) }
        add("unknown entry kind", .rekorV1, .tlogUnknownKind) { $0.setting(entry([.key("kindVersion"), .key("kind")]), to: .string("rekord")) }
        add("unknown entry version", .rekorV2, .tlogUnknownKind) { $0.setting(entry([.key("kindVersion"), .key("version")]), to: .string("0.0.9")) }
        add("duplicate log entry", .rekorV1, .bundleMalformed) { json in
            let entries = json[[.key("verificationMaterial"), .key("tlogEntries")]]?.arrayValue ?? []
            return json.setting([.key("verificationMaterial"), .key("tlogEntries")], to: .array(entries + entries))
        }

        // Time sources.
        add("timestamp removed (Rekor v2 gives no time)", .rekorV2, .timestampMissing) { $0.setting(timestamps, to: .array([])) }
        add("timestamp over other bytes", .rekorV2, .timestampInvalid) { $0.setting(timestamps, to: try otherBundle(.rekorV2DSSE)[timestamps] ?? .null) }
        add("timestamp garbage", .rekorV2, .timestampInvalid) { $0.setting(timestamps, to: .array([.object(["signedTimestamp": .string(Base64.encode(Array("junk".utf8)))])])) }
        add("timestamp outer tag changed", .rekorV2, .timestampInvalid) { json in
            json.setting(timestamps + [.index(0), .key("signedTimestamp")], to: flip(json[timestamps + [.index(0), .key("signedTimestamp")]]))
        }
        add("timestamp signature's last byte flipped", .rekorV2, .timestampMissing) { json in
            let path = timestamps + [.index(0), .key("signedTimestamp")]
            guard var bytes = json[path]?.stringValue.flatMap(Base64.decode).map(Array.init), !bytes.isEmpty else { return json }
            bytes[bytes.count - 1] ^= 0x01
            return json.setting(path, to: .string(Base64.encode(bytes)))
        }
        add("duplicate timestamp", .rekorV2, .bundleMalformed) { json in
            let stamps = json[timestamps]?.arrayValue ?? []
            return json.setting(timestamps, to: .array(stamps + stamps))
        }
        add("33 timestamps", .rekorV2, .bundleMalformed) { json in
            let stamp = json[timestamps + [.index(0), .key("signedTimestamp")]]?.stringValue ?? ""
            let many = (0..<33).map { i in JSONValue.object(["signedTimestamp": .string(stamp + String(repeating: "A", count: i % 2 == 0 ? 0 : 4))]) }
            return json.setting(timestamps, to: .array(many))
        }

        // Keyed bundles: the key is the trust, but what they carry is checked.
        add("keyed: signature flipped", .keyed, .signatureInvalid) { $0.setting(signature, to: flip($0[signature])) }
        add("keyed: log body of another key", .keyed, .tlogBodyMismatch) { json in
            reencodedBody(json) { body in body = body.replacingOccurrences(of: "\"content\":\"LS0t", with: "\"content\":\"LS1t") }
        }
        add("keyed: a certificate instead of the key", .keyed, .materialMismatch) {
            $0.setting([.key("verificationMaterial"), .key("publicKey")], to: nil)
                .setting([.key("verificationMaterial"), .key("certificate")], to: try otherBundle(.rekorV1)[[.key("verificationMaterial"), .key("certificate")]] ?? .null)
        }

        // Policies off by one character, and the wrong artifact.
        func policy(_ name: String, _ expected: ProblemCode, san: SANMatcher, issuer: String = issuer) {
            all.append(Forgery(name: name, base: .rekorV1, expected: expected, policy: {
                try BundlePolicy(identity: IdentityPolicy(san: san, issuer: .exact(issuer)))
            }))
        }
        policy("identity off by one character", .identityMismatch, san: .exact(String(identity.dropLast()) + "N"))
        policy("identity one character short", .identityMismatch, san: .exact(String(identity.dropLast())))
        policy("issuer off by one character", .issuerMismatch, san: .exact(identity), issuer: issuer + "/")
        policy("identity regexp matching only a part", .identityMismatch, san: .regex(pattern: "sigstore-conformance", expression: try! RegexBox("sigstore-conformance", flag: "x")))
        all.append(Forgery(name: "another artifact", base: .rekorV1, expected: .artifactDigestMismatch, artifact: Data("b\n".utf8)))
        all.append(Forgery(name: "DSSE: another artifact", base: .dsse, expected: .subjectMismatch, artifact: Data("b\n".utf8)))

        // Duplicate JSON members: two parsers could read two different bundles.
        all.append(Forgery(name: "duplicate mediaType member", base: .rekorV1, expected: .bundleMalformed, text: { text in
            text.replacingOccurrences(of: "{\"mediaType\":", with: "{\"mediaType\": \"x\", \"mediaType\":")
        }))
        all.append(Forgery(name: "duplicate signature member", base: .rekorV1, expected: .bundleMalformed, text: { text in
            guard let range = text.range(of: "\"signature\":") else { return text }
            return text.replacingCharacters(in: range, with: "\"signature\": \"AAAA\", \"signature\":")
        }))
        return all
    }()

    // MARK: Running

    static func run(_ forgery: Forgery) async throws -> (thrown: ProblemCode?, problems: [ProblemCode]) {
        var data = try forgery.mutate(try forgery.base.json()).canonicalData
        if let text = forgery.text {
            data = try Data(contentsOf: URL(fileURLWithPath: forgery.base.directory + "/bundle.sigstore.json"))
            data = Data(text(String(decoding: data, as: UTF8.self)).utf8)
        }
        let bundle: SigstoreBundle
        do {
            bundle = try SigstoreBundle(parsing: data, source: "forged")
        } catch {
            return (error.problem, [])
        }
        let policy = try forgery.policy?() ?? forgery.base.policy()
        let artifact = try forgery.artifact ?? forgery.base.artifact()
        let verdict = await BundleVerifier(trustedRoot: try forgery.base.trustedRoot()).verify(bundle, artifact: .bytes(artifact), policy: policy)
        return (nil, verdict.problems.map(\.code))
    }

    @Test func corpusIsLarge() {
        #expect(Self.forgeries.count >= 40)
    }

    @Test("The unmutated originals verify", arguments: Base.allCases)
    func originals(_ base: Base) async throws {
        let bundle = try SigstoreBundle(parsing: try base.json().canonicalData, source: base.rawValue)
        let verdict = await BundleVerifier(trustedRoot: try base.trustedRoot()).verify(bundle, artifact: .bytes(try base.artifact()), policy: try base.policy())
        #expect(verdict.isVerified, "\(verdict.problems)")
    }

    @Test(arguments: forgeries)
    func forgeryFails(_ forgery: Forgery) async throws {
        let (thrown, problems) = try await Self.run(forgery)
        if let thrown {
            #expect(thrown == forgery.expected, "\(forgery): thrown \(thrown)")
        } else {
            #expect(!problems.isEmpty, "\(forgery) verified")
            #expect(problems.contains(forgery.expected), "\(forgery): \(problems)")
        }
    }

    @Test("A certificate-signed bundle without a log entry passes only with the unsafe option; thresholds count")
    func thresholds() async throws {
        let base = Base.rekorV2
        let stripped = try base.json().setting([.key("verificationMaterial"), .key("tlogEntries")], to: .array([]))
        let bundle = try SigstoreBundle(parsing: stripped.canonicalData, source: "stripped")
        let identity = IdentityPolicy(san: .exact(Self.identity), issuer: .exact(Self.issuer))
        #expect(throws: HallmarkError.usage("")) { try BundlePolicy(identity: identity, minTransparencyLogEntries: 0) }
        #expect(throws: HallmarkError.usage("")) { try BundlePolicy(identity: identity, minTimestamps: 0) }
        let unsafe = try BundlePolicy(identity: identity, minTransparencyLogEntries: 0, allowNoTransparencyLogUnsafe: true)
        let verifier = BundleVerifier(trustedRoot: try base.trustedRoot())
        #expect(await verifier.verify(bundle, artifact: .bytes(try base.artifact()), policy: unsafe).isVerified)
        // Two time sources required, one present.
        let original = try SigstoreBundle(parsing: try base.json().canonicalData, source: "original")
        let two = try BundlePolicy(identity: identity, minTimestamps: 2)
        #expect(await verifier.verify(original, artifact: .bytes(try base.artifact()), policy: two).problems.map(\.code) == [.timestampMissing])
        // A key-signed bundle needs nothing by default, but a threshold asked for counts.
        let keyed = Base.keyed
        let keyBundle = try SigstoreBundle(parsing: try keyed.json().canonicalData, source: "keyed")
        let key = try PublicKey(pem: try String(contentsOfFile: keyed.directory + "/key.pub", encoding: .utf8), source: "key.pub")
        let keyVerifier = BundleVerifier(trustedRoot: try keyed.trustedRoot())
        #expect(await keyVerifier.verify(keyBundle, artifact: .bytes(try keyed.artifact()), policy: try BundlePolicy(key: key, minTransparencyLogEntries: 2))
            .problems.map(\.code) == [.tlogMissing])
    }

    @Test("A timestamp that does not verify is a note, not a veto, when the other sources meet the thresholds")
    func failedTimestampIsANote() async throws {
        // happy-path-v0.3 has its time from the signed entry timestamp; add a timestamp made over other bytes.
        let base = Base.rekorV1
        let foreign = try Base.rekorV2.json()[[.key("verificationMaterial"), .key("timestampVerificationData")]] ?? .null
        let json = try base.json().setting([.key("verificationMaterial"), .key("timestampVerificationData")], to: foreign)
        let bundle = try SigstoreBundle(parsing: json.canonicalData, source: "with-foreign-timestamp")
        let verdict = await BundleVerifier(trustedRoot: try base.trustedRoot()).verify(bundle, artifact: .bytes(try base.artifact()), policy: try base.policy())
        let verified = try #require(verdict.value, "\(verdict.problems)")
        #expect(verified.notes.map(\.code) == [.timestampInvalid] || verified.notes.map(\.code) == [.timestampUntrusted])
        #expect(verified.times.map(\.source) == [.signedEntryTimestamp])
    }
}

// MARK: - Editing JSON values by path

enum PathStep: Sendable {
    case key(String)
    case index(Int)
}

extension JSONValue {
    subscript(path: [PathStep]) -> JSONValue? {
        var current: JSONValue? = self
        for step in path {
            switch step {
            case .key(let key): current = current?[key]
            case .index(let index):
                guard let array = current?.arrayValue, array.indices.contains(index) else { return nil }
                current = array[index]
            }
        }
        return current
    }

    /// A copy with the value at `path` replaced (or removed, for nil and an object member).
    func setting(_ path: [PathStep], to value: JSONValue?) -> JSONValue {
        guard let first = path.first else { return value ?? .null }
        let rest = Array(path.dropFirst())
        switch (self, first) {
        case (.object(var members), .key(let key)):
            if rest.isEmpty {
                members[key] = value
            } else {
                members[key] = (members[key] ?? .object([:])).setting(rest, to: value)
            }
            return .object(members)
        case (.array(var items), .index(let index)) where items.indices.contains(index):
            if rest.isEmpty {
                if let value { items[index] = value } else { items.remove(at: index) }
            } else {
                items[index] = items[index].setting(rest, to: value)
            }
            return .array(items)
        default:
            return self
        }
    }
}

@Suite struct IdentityMatcherTests {
    @Test("Regular expressions match whole identities, not a line of one")
    func anchoring() throws {
        let matcher = try SANMatcher.regex("https://github\\.com/org/.*")
        #expect(matcher.matches("https://github.com/org/repo/.github/workflows/r.yml@refs/tags/v1"))
        #expect(!matcher.matches("https://github.com/org/repo\n"))
        #expect(!matcher.matches("xhttps://github.com/org/repo"))
        #expect(!matcher.matches("https://github.com/org/repo\nhttps://evil"))
        #expect(try !SANMatcher.regex("a|b").matches("ab"))
        #expect(throws: HallmarkError.usage("")) { _ = try SANMatcher.regex("(") }
    }
}
