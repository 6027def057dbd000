import Crypto
import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkTestSupport
import Testing

@Suite struct KeyTests {
    @Test(arguments: [KeyAlgorithm.ed25519, .ecdsaP256, .ecdsaP384])
    func pemRoundTripKeepsTheKeyID(_ algorithm: KeyAlgorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        let reloaded = try PrivateKey(pem: try key.pemText(passphrase: nil), source: "k", passphrase: { nil })
        #expect(reloaded.publicKey.keyID == key.publicKey.keyID)
        let publicKey = try PublicKey(pem: key.publicKey.pemText, source: "p")
        #expect(publicKey.keyID == key.publicKey.keyID)
        #expect(publicKey.keyID == Hex.encode(SHA256.hash(data: publicKey.spkiDER)))
        #expect(key.publicKey.pemText.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
    }

    @Test func encryptedKeysNeedTheRightPassphrase() throws {
        let key = try PrivateKey.generate(.ed25519)
        let pem = try key.pemText(passphrase: "correct horse")
        #expect(pem.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        let reloaded = try PrivateKey(pem: pem, source: "k", passphrase: { "correct horse" })
        #expect(reloaded.publicKey.keyID == key.publicKey.keyID)
        #expect { _ = try PrivateKey(pem: pem, source: "k.key", passphrase: { "wrong" }) } throws: { error in
            (error as? HallmarkError)?.message.contains("wrong passphrase") == true
        }
        #expect { _ = try PrivateKey(pem: pem, source: "k.key", passphrase: { nil }) } throws: { error in
            (error as? HallmarkError)?.message.contains("HALLMARK_KEY_PASSWORD") == true
        }
    }

    @Test func garbageTruncatedAndWrongKindKeysAreNamedErrors() throws {
        let key = try PrivateKey.generate(.ed25519)
        let pem = try key.pemText(passphrase: nil)
        let truncated = String(pem.prefix(pem.count - 30))
        var flipped = Array(pem.utf8)
        flipped[40] = flipped[40] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let cases: [(String, String)] = [
            ("not a key at all", "not a PEM file"),
            (truncated, "truncated"),
            ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "damaged"),
            (key.publicKey.pemText, "this is a public key"),
        ]
        for (text, reason) in cases {
            #expect { _ = try PrivateKey(pem: text, source: "bad.key", passphrase: { nil }) } throws: { error in
                guard let error = error as? HallmarkError else { return false }
                return error.code == .invalidKey && error.message.hasPrefix("bad.key:") && error.message.contains(reason)
            }
        }
        // A flipped byte either fails to parse or yields a different key: never the same key id silently.
        if let other = try? PrivateKey(pem: String(decoding: flipped, as: UTF8.self), source: "x", passphrase: { nil }) {
            #expect(other.publicKey.keyID != key.publicKey.keyID)
        }
    }

    @Test func signingIsDeterministicForEd25519AndVerifies() throws {
        let key = try Fixtures.ed25519Key()
        let a = try key.signature(for: Data("release".utf8))
        let b = try key.signature(for: Data("release".utf8))
        #expect(a == b)
        #expect(key.publicKey.isValidSignature(a, for: Data("release".utf8)))
        #expect(!key.publicKey.isValidSignature(a, for: Data("releasE".utf8)))
        var flipped = a
        flipped[10] ^= 0x01
        #expect(!key.publicKey.isValidSignature(flipped, for: Data("release".utf8)))
    }

    @Test func aSignatureOfTheWrongAlgorithmDoesNotVerify() throws {
        let ed = try PrivateKey.generate(.ed25519)
        let ec = try PrivateKey.generate(.ecdsaP256)
        let message = Data("m".utf8)
        #expect(!ed.publicKey.isValidSignature(try ec.signature(for: message), for: message))
        #expect(!ec.publicKey.isValidSignature(try ed.signature(for: message), for: message))
        #expect(ec.publicKey.isValidSignature(try ec.signature(for: message), for: message))
    }

    @Test func rsaKeysVerifyButDoNotSign() throws {
        #expect(throws: HallmarkError.self) { _ = try PrivateKey.generate(.rsa) }
    }
}
