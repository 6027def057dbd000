import Crypto
import HallmarkCore

/// The signature algorithms Hallmark signs or verifies with.
public enum KeyAlgorithm: String, Sendable, CaseIterable {
    case ed25519
    case ecdsaP256 = "ecdsa-p256"
    case ecdsaP384 = "ecdsa-p384"
    case rsa

    /// The name recorded in `signatures.json`: the key type and the digest the signature covers.
    public var signatureAlgorithmName: String {
        switch self {
        case .ed25519: "ed25519"
        case .ecdsaP256: "ecdsa-p256-sha256"
        case .ecdsaP384: "ecdsa-p384-sha384"
        case .rsa: "rsa"
        }
    }
}

/// Object identifiers of the key and encryption algorithms Hallmark reads and writes.
enum OID {
    static let ed25519 = "1.3.101.112"
    static let ecPublicKey = "1.2.840.10045.2.1"
    static let p256 = "1.2.840.10045.3.1.7"
    static let p384 = "1.3.132.0.34"
    static let p521 = "1.3.132.0.35"
    static let rsaEncryption = "1.2.840.113549.1.1.1"
    static let rsaPSS = "1.2.840.113549.1.1.10"
    static let pbes2 = "1.2.840.113549.1.5.13"
    static let pbkdf2 = "1.2.840.113549.1.5.12"
    static let scrypt = "1.3.6.1.4.1.11591.4.11"
    static let hmacWithSHA1 = "1.2.840.113549.2.7"
    static let hmacWithSHA256 = "1.2.840.113549.2.9"
    static let hmacWithSHA384 = "1.2.840.113549.2.10"
    static let hmacWithSHA512 = "1.2.840.113549.2.11"
    static let aes128CBC = "2.16.840.1.101.3.4.1.2"
    static let aes192CBC = "2.16.840.1.101.3.4.1.22"
    static let aes256CBC = "2.16.840.1.101.3.4.1.42"
}
