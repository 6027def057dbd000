import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkTestSupport
import Testing

/// The DSSE specification vector and its derived negatives (../shared/conformance/dsse-spec).
@Suite struct DSSEConformanceTests {
    static func key() throws -> PublicKey {
        let pem = try String(contentsOfFile: TestPaths.conformance("dsse-spec/public_key_p256.pem"), encoding: .utf8)
        return try PublicKey(pem: pem, source: "public_key_p256.pem")
    }

    static func envelope(_ name: String) throws -> DSSEEnvelope {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.conformance("dsse-spec/" + name)))
        return try #require(try DSSEEnvelope.parseAll(data, source: name).first)
    }

    @Test(arguments: ["envelope.json", "envelope-with-keyid.json", "derived/urlsafe-base64-sig.json", "derived/multi-sig-one-valid.json"])
    func validEnvelopesVerify(_ name: String) throws {
        let result = try DSSESigning.verify(try Self.envelope(name), keys: [try Self.key()], source: name)
        #expect(result.isVerified)
        #expect(String(decoding: result.payload, as: UTF8.self) == "hello world")
    }

    @Test(arguments: ["derived/tampered-payload.json", "derived/tampered-payloadtype.json", "derived/tampered-signature.json", "derived/no-signatures.json"])
    func tamperedEnvelopesFail(_ name: String) throws {
        let result = try DSSESigning.verify(try Self.envelope(name), keys: [try Self.key()], source: name)
        #expect(!result.isVerified)
    }

    @Test func signAndVerifyRoundTripWithEveryAlgorithm() throws {
        for algorithm in [KeyAlgorithm.ed25519, .ecdsaP256, .ecdsaP384] {
            let key = try PrivateKey.generate(algorithm)
            let envelope = try DSSESigning.sign(payload: Data("{}".utf8), payloadType: "application/vnd.in-toto+json", keys: [key])
            #expect(envelope.signatures.first?.keyid == key.publicKey.keyID)
            #expect(try DSSESigning.verify(envelope, keys: [key.publicKey], source: "x").isVerified)
            let other = try PrivateKey.generate(algorithm).publicKey
            #expect(try !DSSESigning.verify(envelope, keys: [other], source: "x").isVerified)
        }
    }

    @Test func thresholdCountsDistinctKeys() throws {
        let a = try PrivateKey.generate(.ed25519)
        let b = try PrivateKey.generate(.ecdsaP256)
        let envelope = try DSSESigning.sign(payload: Data("p".utf8), payloadType: "t", keys: [a, b])
        #expect(try DSSESigning.verify(envelope, keys: [a.publicKey, b.publicKey], threshold: 2, source: "x").isVerified)
        #expect(try !DSSESigning.verify(envelope, keys: [a.publicKey, a.publicKey], threshold: 2, source: "x").isVerified)
    }
}
