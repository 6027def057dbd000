import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark keys id` and `keys public`: what a key is, and its public half in the form another tool reads.
public struct KeyInspection: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// A key's id (hex SHA-256 of its SubjectPublicKeyInfo DER), algorithm, public PEM and SSH fingerprint.
    public struct Info: Codable, Sendable {
        public var keyId: String
        public var algorithm: String
        public var publicKey: String
        public var sshFingerprint: String?
    }

    /// The forms `keys public` writes.
    public enum PublicFormat: String, Sendable, CaseIterable {
        case pem, minisign, signify
    }

    /// What the key `reference` names (a private or public key; a path or `env://VAR`) is.
    public func info(_ reference: String) throws(HallmarkError) -> Info {
        let key = try KeyResolver(context: context).publicKey(reference)
        return Info(keyId: key.keyID, algorithm: key.algorithm.rawValue, publicKey: key.pemText, sshFingerprint: key.sshFingerprint)
    }

    /// The public half of the key `reference` names, as PEM or as a minisign or signify public key file (Ed25519
    /// only; the key id is the first 8 bytes of the SHA-256 of the SubjectPublicKeyInfo).
    public func publicKeyText(_ reference: String, format: PublicFormat) throws(HallmarkError) -> String {
        let key = try KeyResolver(context: context).publicKey(reference)
        switch format {
        case .pem: return key.pemText
        case .minisign, .signify:
            let converted = try Minisign.PublicKey(key: key, keyID: Minisign.keyID(for: key))
            return format == .minisign ? converted.minisignText : converted.signifyText
        }
    }

    /// The id of the signing key `reference` names (or the one in `HALLMARK_SIGNING_KEY`).
    public func signingKeyID(_ reference: String?) throws(HallmarkError) -> String {
        try KeyResolver(context: context).signingKey(reference).publicKey.keyID
    }
}
