import Foundation
import HallmarkCore

/// Signing and verifying DSSE envelopes.
public enum DSSESigning {
    /// Signs `payload` as `payloadType` with each key; the key id hint is the hex SHA-256 of the key's SPKI DER.
    public static func sign(payload: Data, payloadType: String, keys: [PrivateKey]) throws(HallmarkError) -> DSSEEnvelope {
        let pae = DSSEEnvelope.pae(payloadType: payloadType, payload: payload)
        var envelope = DSSEEnvelope(payload: payload, payloadType: payloadType)
        for key in keys {
            let sig = try key.signature(for: pae)
            envelope.signatures.append(.init(keyid: key.publicKey.keyID, sig: Base64.encode(sig)))
        }
        return envelope
    }

    /// The outcome of checking an envelope's signatures against trusted keys.
    public struct Verification: Sendable {
        /// Key ids of the distinct trusted keys that produced a valid signature.
        public var verifiedKeyIDs: [String]
        /// The payload bytes (authenticated only when `verifiedKeyIDs.count` meets the threshold).
        public var payload: Data
        public var isVerified: Bool
    }

    /// Checks that at least `threshold` distinct trusted keys signed PAE(payloadType, payload).
    /// Key id hints are ignored: every signature is tried against every key.
    public static func verify(
        _ envelope: DSSEEnvelope, keys: [PublicKey], threshold: Int = 1, source: String
    ) throws(HallmarkError) -> Verification {
        let payload = try envelope.payloadBytes(source: source)
        let content = SignedContent(bytes: DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: payload))
        var verified: [String] = []
        for key in keys where !verified.contains(key.keyID) {
            for signature in envelope.signatures {
                guard let bytes = Base64.decode(signature.sig) else { continue }
                if key.isValidSignature(Array(bytes), for: content) {
                    verified.append(key.keyID)
                    break
                }
            }
        }
        return Verification(verifiedKeyIDs: verified, payload: payload, isVerified: verified.count >= max(threshold, 1))
    }
}
