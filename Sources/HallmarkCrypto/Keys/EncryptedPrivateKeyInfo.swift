import Crypto
import CryptoExtras
import Foundation
import HallmarkCore
import SwiftASN1

/// PKCS#8 `EncryptedPrivateKeyInfo` with PBES2 (PBKDF2 + AES-CBC), the form `openssl genpkey -aes-256-cbc` writes.
enum EncryptedPrivateKeyInfo {
    /// PBKDF2 rounds for keys Hallmark encrypts; openssl reads any count.
    static let defaultRounds = 600_000

    /// Decrypts an `ENCRYPTED PRIVATE KEY` DER blob to the PKCS#8 `PrivateKeyInfo` DER inside it.
    static func decrypt(_ der: [UInt8], passphrase: String, source: String) throws(HallmarkError) -> [UInt8] {
        let parameters: (salt: [UInt8], rounds: Int, keyLength: Int?, prf: String, cipher: String, iv: [UInt8], data: [UInt8])
        do {
            let top = try DERReader.children(try DER.parse(der))
            guard top.count == 2 else { throw DERReader.Malformed() }
            let (scheme, schemeParameters) = try DERReader.algorithmIdentifier(top[0])
            guard scheme == OID.pbes2, let pbes2 = schemeParameters else {
                throw HallmarkError.invalidKey(
                    "\(source): the key is encrypted with \(scheme), not PBES2; re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`")
            }
            let pbes2Parts = try DERReader.children(pbes2)
            guard pbes2Parts.count == 2 else { throw DERReader.Malformed() }
            let (kdf, kdfParameters) = try DERReader.algorithmIdentifier(pbes2Parts[0])
            guard kdf == OID.pbkdf2, let kdfNode = kdfParameters else {
                throw HallmarkError.invalidKey(
                    "\(source): the key's passphrase is stretched with \(kdf == OID.scrypt ? "scrypt" : kdf), which Hallmark does not read; re-encrypt it with PBKDF2 (`openssl pkcs8 -topk8 -v2 aes-256-cbc`)")
            }
            let kdfParts = try DERReader.children(kdfNode)
            guard kdfParts.count >= 2 else { throw DERReader.Malformed() }
            let salt = try DERReader.octets(kdfParts[0])
            let rounds = try Int(derEncoded: kdfParts[1])
            var keyLength: Int?
            var prf = OID.hmacWithSHA1
            for node in kdfParts.dropFirst(2) {
                if node.identifier == .integer {
                    keyLength = try Int(derEncoded: node)
                } else {
                    prf = try DERReader.algorithmIdentifier(node).oid
                }
            }
            let (cipher, ivNode) = try DERReader.algorithmIdentifier(pbes2Parts[1])
            guard let ivNode else { throw DERReader.Malformed() }
            parameters = (salt, rounds, keyLength, prf, cipher, try DERReader.octets(ivNode), try DERReader.octets(top[1]))
        } catch let error as HallmarkError {
            throw error
        } catch {
            throw .invalidKey("\(source): the encrypted key is not valid PKCS#8 (EncryptedPrivateKeyInfo): the file is damaged")
        }

        let keyBytes: Int
        switch parameters.cipher {
        case OID.aes128CBC: keyBytes = 16
        case OID.aes192CBC: keyBytes = 24
        case OID.aes256CBC: keyBytes = 32
        default:
            throw .invalidKey("\(source): the key is encrypted with cipher \(parameters.cipher); Hallmark reads AES-CBC (re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`)")
        }
        let hash: KDF.Insecure.PBKDF2.HashFunction
        switch parameters.prf {
        case OID.hmacWithSHA1: hash = .insecureSHA1
        case OID.hmacWithSHA256: hash = .sha256
        case OID.hmacWithSHA384: hash = .sha384
        case OID.hmacWithSHA512: hash = .sha512
        default: throw .invalidKey("\(source): the key uses PBKDF2 with PRF \(parameters.prf), which Hallmark does not read")
        }
        guard parameters.rounds > 0, parameters.rounds <= 10_000_000 else {
            throw .invalidKey("\(source): the key asks for \(parameters.rounds) PBKDF2 rounds; refusing counts outside 1…10,000,000")
        }
        do {
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: Array(passphrase.utf8), salt: parameters.salt, using: hash,
                outputByteCount: parameters.keyLength ?? keyBytes, unsafeUncheckedRounds: parameters.rounds)
            let plaintext = try AES._CBC.decrypt(
                parameters.data, using: key, iv: try AES._CBC.IV(ivBytes: parameters.iv))
            // The plaintext must at least be a DER SEQUENCE: a wrong passphrase almost never gets this far.
            _ = try DER.parse(Array(plaintext))
            return Array(plaintext)
        } catch {
            throw .invalidKey("\(source): wrong passphrase, or the encrypted key is damaged (check HALLMARK_KEY_PASSWORD)")
        }
    }

    /// Encrypts PKCS#8 `PrivateKeyInfo` DER with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC).
    static func encrypt(_ privateKeyInfo: [UInt8], passphrase: String, rounds: Int = defaultRounds) throws -> [UInt8] {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = generator.next() }
        let iv = AES._CBC.IV()
        let ivBytes = Array(iv)
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(passphrase.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds)
        let ciphertext = try AES._CBC.encrypt(privateKeyInfo, using: key, iv: iv)

        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(try ASN1ObjectIdentifier(dotRepresentation: OID.pbes2))
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try s.serialize(try ASN1ObjectIdentifier(dotRepresentation: OID.pbkdf2))
                        try s.appendConstructedNode(identifier: .sequence) { s in
                            try s.serialize(ASN1OctetString(contentBytes: salt[...]))
                            try s.serialize(rounds)
                            try s.appendConstructedNode(identifier: .sequence) { s in
                                try s.serialize(try ASN1ObjectIdentifier(dotRepresentation: OID.hmacWithSHA256))
                                try s.serialize(ASN1Null())
                            }
                        }
                    }
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try s.serialize(try ASN1ObjectIdentifier(dotRepresentation: OID.aes256CBC))
                        try s.serialize(ASN1OctetString(contentBytes: ivBytes[...]))
                    }
                }
            }
            try s.serialize(ASN1OctetString(contentBytes: Array(ciphertext)[...]))
        }
        return serializer.serializedBytes
    }
}
