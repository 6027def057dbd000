import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkEngine
import HallmarkTestSupport
import Testing

@Suite struct OperationTests {
    @Test func keyGenerationWritesPrivateKeyWithMode0600AndRefusesOverwrite() throws {
        let dir = try TemporaryDirectory()
        let context = EngineContext(environment: [:], workingDirectory: dir.path)
        let result = try KeyGeneration(context: context).run(.init(algorithm: .ecdsaP256, output: "release", encrypt: false))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.url("release.key"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let publicKey = try KeyResolver(context: context).publicKey("release.pub")
        #expect(publicKey.keyID == result.keyId)
        #expect(throws: HallmarkError.self) {
            _ = try KeyGeneration(context: context).run(.init(algorithm: .ed25519, output: "release", encrypt: false))
        }
        #expect(throws: HallmarkError.self) {
            _ = try KeyGeneration(context: context).run(.init(algorithm: .ed25519, output: "other", encrypt: true))
        }
    }

    @Test func keysResolveFromEnvironmentVariables() throws {
        let key = try PrivateKey.generate(.ed25519)
        let context = EngineContext(
            environment: ["HALLMARK_SIGNING_KEY": try key.pemText(passphrase: nil), "PUB": key.publicKey.pemText],
            workingDirectory: "/")
        let resolver = KeyResolver(context: context)
        #expect(try resolver.signingKey(nil).publicKey.keyID == key.publicKey.keyID)
        #expect(try resolver.publicKey("env://PUB").keyID == key.publicKey.keyID)
        #expect { _ = try resolver.publicKey("env://NOPE") } throws: { ($0 as? HallmarkError)?.message.contains("NOPE") == true }
        #expect(throws: HallmarkError.self) { _ = try KeyResolver(context: EngineContext(environment: [:], workingDirectory: "/")).signingKey(nil) }
    }

    @Test func attestationRoundTripAndChecks() throws {
        let dir = try TemporaryDirectory()
        let context = EngineContext(environment: [:], workingDirectory: dir.path)
        try dir.write("app", "binary")
        try dir.write("other", "other")
        try dir.write("predicate.json", #"{"builder":{"id":"https://example.com/b"}}"#)
        let key = try PrivateKey.generate(.ed25519)
        let attestation = Attestation(context: context)
        _ = try attestation.attest(predicateType: "https://example.com/p/v1", predicateFile: "predicate.json",
                                   subjects: ["app"], key: key, output: "app.intoto.jsonl")
        let ok = try attestation.verify(file: "app.intoto.jsonl", keys: [key.publicKey], subjects: ["app"], predicateType: "https://example.com/p/v1")
        #expect(ok.verified, "\(ok.problems)")
        let wrongSubject = try attestation.verify(file: "app.intoto.jsonl", keys: [key.publicKey], subjects: ["other"], predicateType: nil)
        #expect(!wrongSubject.verified)
        #expect(wrongSubject.problems.first?.message.contains("other") == true)
        #expect(wrongSubject.problems.first?.code == .subjectMismatch)
        let wrongType = try attestation.verify(file: "app.intoto.jsonl", keys: [key.publicKey], subjects: [], predicateType: "x")
        #expect(wrongType.problems.first?.message.contains("predicateType") == true)
        let wrongKey = try attestation.verify(file: "app.intoto.jsonl", keys: [try PrivateKey.generate(.ed25519).publicKey], subjects: [], predicateType: nil)
        #expect(!wrongKey.verified)
        #expect(wrongKey.problems.map(\.code) == [.signatureInvalid])
        // The payload is canonical JSON, and the file is one line.
        let envelope = try #require(try DSSEEnvelope.parseAll(try dir.read("app.intoto.jsonl"), source: "a").first)
        let payload = try envelope.payloadBytes(source: "a")
        #expect(try JSONValue(parsing: payload).canonicalData == payload)
        #expect(try dir.read("app.intoto.jsonl").filter { $0 == 0x0A }.count == 1)
    }

    @Test func attestRejectsBadPredicates() throws {
        let dir = try TemporaryDirectory()
        let context = EngineContext(environment: [:], workingDirectory: dir.path)
        try dir.write("app", "binary")
        try dir.write("latin1.json", Data([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xE9, 0x22, 0x7D]))
        try dir.write("array.json", "[]")
        let key = try PrivateKey.generate(.ed25519)
        for file in ["latin1.json", "array.json", "missing.json"] {
            #expect { _ = try Attestation(context: context).attest(predicateType: "t", predicateFile: file, subjects: ["app"], key: key, output: "o") }
                throws: { ($0 as? HallmarkError)?.message.hasPrefix(file) == true }
        }
        #expect(!dir.exists("o"))
    }

    @Test func blobSignaturesVerifyInBase64AndBinary() throws {
        let dir = try TemporaryDirectory()
        let context = EngineContext(environment: [:], workingDirectory: dir.path)
        try dir.write("file", "content")
        for algorithm in [KeyAlgorithm.ed25519, .ecdsaP256, .ecdsaP384] {
            let key = try PrivateKey.generate(algorithm)
            _ = try BlobSigning(context: context).sign(files: ["file"], key: key, outputSignature: nil)
            #expect(try BlobSigning(context: context).verify(file: "file", signature: nil, keys: [key.publicKey]).verified)
            let raw = Data(base64Encoded: String(decoding: try dir.read("file.sig"), as: UTF8.self).trimmingCharacters(in: .newlines))!
            try dir.write("file.bin.sig", raw)
            #expect(try BlobSigning(context: context).verify(file: "file", signature: "file.bin.sig", keys: [key.publicKey]).verified)
        }
    }
}
