import Crypto
import Foundation
import CryptoExtras
import HallmarkCore
import SwiftASN1

/// A private key Hallmark signs with: Ed25519 or ECDSA P-256/P-384.
public struct PrivateKey: Sendable {
    enum Backing: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
    }

    let backing: Backing

    init(_ backing: Backing) { self.backing = backing }

    /// Generates a fresh key.
    public static func generate(_ algorithm: KeyAlgorithm) throws(HallmarkError) -> PrivateKey {
        switch algorithm {
        case .ed25519: PrivateKey(.ed25519(Curve25519.Signing.PrivateKey()))
        case .ecdsaP256: PrivateKey(.p256(P256.Signing.PrivateKey()))
        case .ecdsaP384: PrivateKey(.p384(P384.Signing.PrivateKey()))
        case .rsa: throw .usage("Hallmark does not generate RSA keys; choose ed25519 or ecdsa-p256")
        }
    }

    public var algorithm: KeyAlgorithm { publicKey.algorithm }

    public var publicKey: PublicKey {
        switch backing {
        case .ed25519(let k): PublicKey(.ed25519(k.publicKey))
        case .p256(let k): PublicKey(.p256(k.publicKey))
        case .p384(let k): PublicKey(.p384(k.publicKey))
        }
    }

    /// The unencrypted PKCS#8 `PrivateKeyInfo` DER.
    public var pkcs8DER: [UInt8] {
        get throws {
            switch backing {
            case .ed25519(let k): return try PEMDocument(parsing: k.pemRepresentation, source: "generated key").der
            case .p256(let k): return try PEMDocument(parsing: k.pemRepresentation, source: "generated key").der
            case .p384(let k): return try PEMDocument(parsing: k.pemRepresentation, source: "generated key").der
            }
        }
    }

    /// The key as PKCS#8 PEM, encrypted with PBES2 (PBKDF2-SHA256, AES-256-CBC) when a passphrase is given.
    public func pemText(passphrase: String?) throws -> String {
        let der = try pkcs8DER
        guard let passphrase else { return PEMDocument(label: "PRIVATE KEY", der: der).pemText }
        let encrypted = try EncryptedPrivateKeyInfo.encrypt(der, passphrase: passphrase)
        return PEMDocument(label: "ENCRYPTED PRIVATE KEY", der: encrypted).pemText
    }

    /// Parses a private key from PEM: PKCS#8, SEC1 (`EC PRIVATE KEY`) or encrypted PKCS#8; `passphrase` is
    /// asked for only when the key is encrypted.
    public init(pem text: String, source: String, passphrase: @Sendable () -> String?) throws(HallmarkError) {
        let document = try PEMDocument(parsing: text, source: source)
        switch document.label {
        case "PRIVATE KEY":
            try self.init(pkcs8: document.der, source: source)
        case "ENCRYPTED PRIVATE KEY":
            guard let phrase = passphrase() else {
                throw .invalidKey("\(source): the key is encrypted; set HALLMARK_KEY_PASSWORD to its passphrase")
            }
            let der = try EncryptedPrivateKeyInfo.decrypt(document.der, passphrase: phrase, source: source)
            try self.init(pkcs8: der, source: source)
        case "EC PRIVATE KEY":
            if case .success(let key) = Result(catching: { try P256.Signing.PrivateKey(derRepresentation: document.der) }) {
                self.init(.p256(key))
            } else if case .success(let key) = Result(catching: { try P384.Signing.PrivateKey(derRepresentation: document.der) }) {
                self.init(.p384(key))
            } else {
                throw .invalidKey("\(source): the EC private key is damaged, or not on P-256/P-384")
            }
        case "RSA PRIVATE KEY":
            throw .invalidKey("\(source): RSA keys can verify but not sign in Hallmark; generate an Ed25519 key with `hallmark keys generate`")
        case "OPENSSH PRIVATE KEY":
            throw .invalidKey("\(source): OpenSSH private keys are not read; convert with `ssh-keygen -p -m PKCS8 -f KEY` or use `hallmark keys generate`")
        case "PUBLIC KEY", "RSA PUBLIC KEY":
            throw .invalidKey("\(source): this is a public key; signing needs the private key (NAME.key, not NAME.pub)")
        default:
            throw .invalidKey("\(source): PEM block \"\(document.label)\" is not a private key")
        }
    }

    /// Parses an unencrypted PKCS#8 `PrivateKeyInfo`.
    init(pkcs8 der: [UInt8], source: String) throws(HallmarkError) {
        let algorithm: String
        let curve: String?
        do {
            let parts = try DERReader.children(try DER.parse(der))
            guard parts.count >= 3 else { throw DERReader.Malformed() }
            let identifier = try DERReader.algorithmIdentifier(parts[1])
            algorithm = identifier.oid
            curve = identifier.oid == OID.ecPublicKey ? try identifier.parameters.map(DERReader.oid) : nil
        } catch {
            throw .invalidKey("\(source): the private key is not valid PKCS#8 DER: it is damaged or truncated")
        }
        do {
            switch (algorithm, curve) {
            case (OID.ed25519, _): self.init(.ed25519(try Curve25519.Signing.PrivateKey(derRepresentation: der)))
            case (OID.ecPublicKey, OID.p256): self.init(.p256(try P256.Signing.PrivateKey(derRepresentation: der)))
            case (OID.ecPublicKey, OID.p384): self.init(.p384(try P384.Signing.PrivateKey(derRepresentation: der)))
            case (OID.rsaEncryption, _), (OID.rsaPSS, _):
                throw HallmarkError.invalidKey("\(source): RSA keys can verify but not sign in Hallmark; generate an Ed25519 key with `hallmark keys generate`")
            case (OID.ecPublicKey, let curve):
                throw HallmarkError.invalidKey("\(source): ECDSA curve \(curve ?? "?") is not supported; use P-256 or P-384")
            default:
                throw HallmarkError.invalidKey("\(source): private key algorithm \(algorithm) is not supported; use Ed25519 or ECDSA P-256/P-384")
            }
        } catch let error as HallmarkError {
            throw error
        } catch {
            throw .invalidKey("\(source): the private key's bits are invalid for its algorithm: the key is damaged")
        }
    }
}
