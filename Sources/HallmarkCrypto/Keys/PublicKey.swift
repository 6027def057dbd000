import Crypto
import CryptoExtras
import Foundation
import HallmarkCore
import SwiftASN1

/// A public key Hallmark verifies with: Ed25519, ECDSA P-256/P-384, or RSA (verification only).
public struct PublicKey: Sendable {
    enum Backing: Sendable {
        case ed25519(Curve25519.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case rsa(_RSA.Signing.PublicKey)
    }

    let backing: Backing

    init(_ backing: Backing) { self.backing = backing }

    public var algorithm: KeyAlgorithm {
        switch backing {
        case .ed25519: .ed25519
        case .p256: .ecdsaP256
        case .p384: .ecdsaP384
        case .rsa: .rsa
        }
    }

    /// The SubjectPublicKeyInfo DER.
    public var spkiDER: [UInt8] {
        switch backing {
        case .ed25519(let k): Array(k.derRepresentation)
        case .p256(let k): Array(k.derRepresentation)
        case .p384(let k): Array(k.derRepresentation)
        case .rsa(let k): Array(k.derRepresentation)
        }
    }

    /// The SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    public var pemText: String { PEMDocument(label: "PUBLIC KEY", der: spkiDER).pemText }

    /// The key id: hex SHA-256 of the SubjectPublicKeyInfo DER.
    public var keyID: String { Hex.encode(SHA256.hash(data: spkiDER)) }

    /// The raw 32-byte Ed25519 key, for formats that carry it bare (minisign, signify).
    public var rawEd25519: [UInt8]? {
        if case .ed25519(let k) = backing { return Array(k.rawRepresentation) }
        return nil
    }

    /// Parses a public key from PEM: SPKI (`PUBLIC KEY`), PKCS#1 (`RSA PUBLIC KEY`), or a private key whose
    /// public half is taken.
    public init(pem text: String, source: String, passphrase: @Sendable () -> String? = { nil }) throws(HallmarkError) {
        let document = try PEMDocument(parsing: text, source: source)
        switch document.label {
        case "PUBLIC KEY":
            try self.init(spki: document.der, source: source)
        case "RSA PUBLIC KEY":
            do {
                self.init(.rsa(try _RSA.Signing.PublicKey(unsafeDERRepresentation: document.der)))
            } catch {
                throw .invalidKey("\(source): the RSA public key is damaged or truncated")
            }
        default:
            self = try PrivateKey(pem: text, source: source, passphrase: passphrase).publicKey
        }
    }

    /// Parses a SubjectPublicKeyInfo DER.
    /// An Ed25519 key from its 32 raw bytes (as minisign, signify and TUF carry it).
    public init(rawEd25519 raw: [UInt8], source: String) throws(HallmarkError) {
        guard raw.count == 32 else { throw .invalidKey("\(source): an Ed25519 key is 32 bytes, not \(raw.count)") }
        // SubjectPublicKeyInfo for Ed25519 (RFC 8410): a fixed prefix, then the key.
        try self.init(spki: [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00] + raw, source: source)
    }

    public init(spki der: [UInt8], source: String) throws(HallmarkError) {
        let algorithm: String
        let curve: String?
        do {
            let parts = try DERReader.children(try DER.parse(der))
            guard parts.count == 2 else { throw DERReader.Malformed() }
            let identifier = try DERReader.algorithmIdentifier(parts[0])
            algorithm = identifier.oid
            curve = identifier.oid == OID.ecPublicKey ? try identifier.parameters.map(DERReader.oid) : nil
        } catch {
            throw .invalidKey("\(source): the public key is not valid SubjectPublicKeyInfo DER: it is damaged or truncated")
        }
        do {
            switch (algorithm, curve) {
            case (OID.ed25519, _): self.init(.ed25519(try Curve25519.Signing.PublicKey(derRepresentation: der)))
            case (OID.ecPublicKey, OID.p256): self.init(.p256(try P256.Signing.PublicKey(derRepresentation: der)))
            case (OID.ecPublicKey, OID.p384): self.init(.p384(try P384.Signing.PublicKey(derRepresentation: der)))
            case (OID.rsaEncryption, _): self.init(.rsa(try _RSA.Signing.PublicKey(unsafeDERRepresentation: der)))
            case (OID.ecPublicKey, let curve):
                throw HallmarkError.invalidKey("\(source): ECDSA curve \(curve ?? "?") is not supported; use P-256 or P-384")
            default:
                throw HallmarkError.invalidKey("\(source): public key algorithm \(algorithm) is not supported; use Ed25519, ECDSA P-256/P-384 or RSA")
            }
        } catch let error as HallmarkError {
            throw error
        } catch {
            throw .invalidKey("\(source): the public key's bits are invalid for its algorithm: the key is damaged")
        }
    }
}
