import Crypto
import CryptoExtras
import Foundation
import HallmarkCore

/// A key as TUF metadata states it (`keytype`, `scheme`, `keyval.public`), verifying signatures by its scheme
/// only: an RSA-PSS key does not accept a PKCS#1 v1.5 signature, an ECDSA key needs the DER form securesystemslib
/// writes.
public struct TUFKey: Sendable {
    public var keyType: String
    public var scheme: String
    public var publicKey: PublicKey
    /// What makes two key entries the same key (the SPKI DER): two key ids naming one key count once toward a
    /// threshold.
    public var identity: [UInt8] { publicKey.spkiDER }

    /// Schemes this verifier knows. A key of another type or scheme verifies nothing (TUF clients ignore such keys).
    static let schemes: Set<String> = [
        "ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
        "rsassa-pss-sha256", "rsassa-pss-sha384", "rsassa-pss-sha512",
        "rsa-pkcs1v15-sha256", "rsa-pkcs1v15-sha384", "rsa-pkcs1v15-sha512",
    ]

    /// Reads a TUF key object; nil for a key type, scheme or value this verifier cannot use.
    public init?(_ object: JSONValue, source: String) {
        guard let type = object["keytype"]?.stringValue, let scheme = object["scheme"]?.stringValue,
            let value = object["keyval"]?["public"]?.stringValue, Self.schemes.contains(scheme)
        else { return nil }
        let parsed: Result<PublicKey, HallmarkError>
        switch (type, scheme) {
        case ("ed25519", "ed25519"):
            guard let raw = Hex.decode(value) else { return nil }
            parsed = Result { () throws(HallmarkError) in try PublicKey(rawEd25519: raw, source: source) }
        case ("ecdsa", "ecdsa-sha2-nistp256"), ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"),
            ("ecdsa", "ecdsa-sha2-nistp384"), ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384"):
            parsed = Result { () throws(HallmarkError) in try PublicKey(pem: value, source: source) }
        case ("rsa", _) where scheme.hasPrefix("rsa"):
            parsed = Result { () throws(HallmarkError) in try PublicKey(pem: value, source: source) }
        default:
            return nil
        }
        guard case .success(let key) = parsed else { return nil }
        switch (key.backing, scheme) {
        case (.ed25519, "ed25519"), (.p256, "ecdsa-sha2-nistp256"), (.p384, "ecdsa-sha2-nistp384"): break
        case (.rsa, _) where scheme.hasPrefix("rsa"): break
        default: return nil  // the key's value is not of the type its scheme names
        }
        keyType = type
        self.scheme = scheme
        publicKey = key
    }

    /// Whether `signature` is this key's signature over `message`, by the key's scheme.
    public func isValidSignature(_ signature: [UInt8], over message: [UInt8]) -> Bool {
        guard !signature.isEmpty else { return false }
        switch publicKey.backing {
        case .ed25519(let key):
            return signature.count == 64 && key.isValidSignature(signature, for: message)
        case .p256(let key):
            guard
                case .success(let parsed) = Result(catching: {
                    try P256.Signing.ECDSASignature(derRepresentation: signature)
                })
            else {
                return false
            }
            return key.isValidSignature(parsed, for: SHA256.hash(data: message))
        case .p384(let key):
            guard
                case .success(let parsed) = Result(catching: {
                    try P384.Signing.ECDSASignature(derRepresentation: signature)
                })
            else {
                return false
            }
            return key.isValidSignature(parsed, for: SHA384.hash(data: message))
        case .rsa(let key):
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: signature)
            let padding: _RSA.Signing.Padding = scheme.hasPrefix("rsassa-pss") ? .PSS : .insecurePKCS1v1_5
            switch scheme.suffix(6) {
            case "sha256": return key.isValidSignature(parsed, for: SHA256.hash(data: message), padding: padding)
            case "sha384": return key.isValidSignature(parsed, for: SHA384.hash(data: message), padding: padding)
            case "sha512": return key.isValidSignature(parsed, for: SHA512.hash(data: message), padding: padding)
            default: return false
            }
        }
    }
}
