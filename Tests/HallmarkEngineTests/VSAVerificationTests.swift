import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkEngine
import HallmarkTestSupport
import Testing

/// verify-vsa on summaries signed here: every check broken on its own, each named by its code.
@Suite struct VSAVerificationTests {
    static let verifier = "https://verifier.example/vsa/v1"
    static let resource = "pkg:npm/example@1.0.0"
    static let digest = String(repeating: "ab", count: 32)

    static func statement(
        predicateType: String = VSAVerification.predicateType, verifier: String = verifier, resource: String = resource,
        result: String = "PASSED", levels: [String] = ["SLSA_BUILD_LEVEL_2", "BCID_L1"]
    ) -> JSONValue {
        .object([
            "_type": .string(InTotoStatement.typeV1),
            "subject": .array([.object(["name": .string("example"), "digest": .object(["sha256": .string(digest), "gitCommit": .string("c0ffee")])])]),
            "predicateType": .string(predicateType),
            "predicate": .object([
                "verifier": .object(["id": .string(verifier)]),
                "timeVerified": .string("2026-01-01T00:00:00Z"),
                "resourceUri": .string(resource),
                "verificationResult": .string(result),
                "verifiedLevels": .array(levels.map(JSONValue.string)),
            ]),
        ])
    }

    /// A DER ECDSA signature as raw r‖s (IEEE P1363).
    static func raw(_ der: [UInt8], size: Int) -> [UInt8] {
        var index = 2
        var out: [UInt8] = []
        for _ in 0..<2 {
            let length = Int(der[index + 1])
            var value = Array(der[(index + 2)..<(index + 2 + length)])
            while value.count > size && value.first == 0 { value.removeFirst() }
            out += [UInt8](repeating: 0, count: size - value.count) + value
            index += 2 + length
        }
        return out
    }

    struct Fixture {
        let dir: TemporaryDirectory
        let key: PrivateKey
        var context: EngineContext { EngineContext(environment: [:], workingDirectory: dir.path) }

        init(_ algorithm: KeyAlgorithm = .ecdsaP256) throws {
            dir = try TemporaryDirectory()
            key = try PrivateKey.generate(algorithm)
            try dir.write("vsa.pub", key.publicKey.pemText)
        }

        /// Writes an envelope over `statement` signed by `signer` (default: the fixture's key).
        func write(_ statement: JSONValue, keyid: String?, rawSignature: Bool = false, signer: PrivateKey? = nil, payloadType: String = DSSEEnvelope.inTotoPayloadType) throws {
            let payload = statement.canonicalData
            let pae = DSSEEnvelope.pae(payloadType: payloadType, payload: payload)
            var signature = try (signer ?? key).signature(for: pae)
            if rawSignature { signature = VSAVerificationTests.raw(signature, size: 32) }
            let envelope = DSSEEnvelope(payload: payload, payloadType: payloadType, signatures: [.init(keyid: keyid, sig: Base64.encode(signature))])
            try dir.write("vsa.jsonl", try CanonicalJSON.canonicalData(envelope))
        }

        func verify(keyID: String? = nil, digests: [String] = ["sha256:" + VSAVerificationTests.digest], verifier: String = VSAVerificationTests.verifier,
                    resource: String = VSAVerificationTests.resource, levels: [String] = ["SLSA_BUILD_LEVEL_1"]) throws -> Verdict<VSAVerification.VerifiedVSA> {
            try VSAVerification(context: context).verify(.init(
                attestation: "vsa.jsonl", key: "vsa.pub", keyID: keyID, subjectDigests: digests, verifierID: verifier, resourceURI: resource,
                verifiedLevels: levels)).verdict
        }
    }

    @Test("Signed with DER or raw r‖s signatures, named by the key's SSH fingerprint, another key id, or none")
    func verifies() throws {
        let fixture = try Fixture()
        let fingerprint = try #require(fixture.key.publicKey.sshFingerprint)
        try fixture.write(Self.statement(), keyid: fingerprint)
        #expect(try fixture.verify().isVerified)
        try fixture.write(Self.statement(), keyid: fingerprint, rawSignature: true)
        #expect(try fixture.verify().isVerified)
        try fixture.write(Self.statement(), keyid: "")
        #expect(try fixture.verify().isVerified)
        try fixture.write(Self.statement(), keyid: "keystore://example:prod:vsa")
        #expect(try fixture.verify(keyID: "keystore://example:prod:vsa").isVerified)
        // All the digests asked for, from any subject; levels imply the lower ones of their track.
        try fixture.write(Self.statement(), keyid: nil)
        #expect(try fixture.verify(digests: ["sha256:" + Self.digest, "gitCommit:c0ffee"], levels: ["SLSA_BUILD_LEVEL_0", "SLSA_BUILD_LEVEL_2", "BCID_L1"]).isVerified)
        #expect(try fixture.verify(levels: []).isVerified)
    }

    @Test("Each check broken on its own fails with its code")
    func eachCheckHasItsCode() throws {
        let fixture = try Fixture()
        let other = try PrivateKey.generate(.ecdsaP256)
        let cases: [(String, () throws -> Verdict<VSAVerification.VerifiedVSA>, ProblemCode)] = [
            ("another key signed it", { try fixture.write(Self.statement(), keyid: nil, signer: other); return try fixture.verify() }, .signatureInvalid),
            ("the signature names another key id", { try fixture.write(Self.statement(), keyid: "keystore://other"); return try fixture.verify() }, .vsaKeyIDMismatch),
            ("--key-id differs from the envelope's", { try fixture.write(Self.statement(), keyid: "a"); return try fixture.verify(keyID: "b") }, .vsaKeyIDMismatch),
            ("not a VSA", { try fixture.write(Self.statement(predicateType: "https://slsa.dev/provenance/v1"), keyid: nil); return try fixture.verify() }, .vsaNotVSA),
            ("another payload type", { try fixture.write(Self.statement(), keyid: nil, payloadType: "application/json"); return try fixture.verify() }, .payloadInvalid),
            ("a digest no subject lists", { try fixture.write(Self.statement(), keyid: nil); return try fixture.verify(digests: ["sha256:" + String(repeating: "cd", count: 32)]) }, .subjectMismatch),
            ("one of two digests missing", { try fixture.write(Self.statement(), keyid: nil); return try fixture.verify(digests: ["sha256:" + Self.digest, "sha512:00"]) }, .subjectMismatch),
            ("another verifier", { try fixture.write(Self.statement(verifier: "https://evil.example"), keyid: nil); return try fixture.verify() }, .vsaVerifierMismatch),
            ("another resource", { try fixture.write(Self.statement(resource: "pkg:npm/other@1.0.0"), keyid: nil); return try fixture.verify() }, .vsaResourceMismatch),
            ("FAILED", { try fixture.write(Self.statement(result: "FAILED"), keyid: nil); return try fixture.verify() }, .vsaNotPassed),
            ("a higher level than granted", { try fixture.write(Self.statement(), keyid: nil); return try fixture.verify(levels: ["SLSA_BUILD_LEVEL_3"]) }, .vsaLevelMissing),
            ("a track not granted", { try fixture.write(Self.statement(), keyid: nil); return try fixture.verify(levels: ["SLSA_SOURCE_LEVEL_1"]) }, .vsaLevelMissing),
            ("another named level", { try fixture.write(Self.statement(), keyid: nil); return try fixture.verify(levels: ["FEDRAMP_LOW"]) }, .vsaLevelMissing),
        ]
        for (label, run, code) in cases {
            let verdict = try run()
            #expect(!verdict.isVerified, "\(label) verified")
            #expect(verdict.problems.map(\.code).contains(code), "\(label): \(verdict.problems.map(\.code))")
        }
        // Malformed expectations are usage errors.
        try fixture.write(Self.statement(), keyid: nil)
        #expect(throws: HallmarkError.usage("")) { _ = try fixture.verify(digests: []) }
        #expect(throws: HallmarkError.usage("")) { _ = try fixture.verify(digests: ["nocolon"]) }
        #expect(throws: HallmarkError.usage("")) { _ = try fixture.verify(levels: ["SLSA_BUILD_LEVEL_X"]) }
    }

    @Test(arguments: [KeyAlgorithm.ed25519, .ecdsaP384])
    func otherAlgorithms(_ algorithm: KeyAlgorithm) throws {
        let fixture = try Fixture(algorithm)
        try fixture.write(Self.statement(), keyid: fixture.key.publicKey.sshFingerprint)
        #expect(try fixture.verify().isVerified)
    }
}
