import Foundation
import HallmarkCore

/// Writes Sigstore bundles (v0.3) for signatures made with a plain key: a public-key hint as verification
/// material and no transparency log entry (nothing is uploaded anywhere).
public enum KeyedBundle {
    public static let mediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

    /// A message-signature bundle over an artifact whose SHA-256 is `digest`.
    public static func messageSignature(digest: [UInt8], signature: [UInt8], keyHint: String) -> JSONValue {
        .object([
            "mediaType": .string(mediaType),
            "verificationMaterial": .object(["publicKey": .object(["hint": .string(keyHint)])]),
            "messageSignature": .object([
                "messageDigest": .object(["algorithm": .string("SHA2_256"), "digest": .string(Base64.encode(digest))]),
                "signature": .string(Base64.encode(signature)),
            ]),
        ])
    }

    /// A DSSE bundle around a signed envelope.
    public static func dsse(_ envelope: DSSEEnvelope, keyHint: String) -> JSONValue {
        .object([
            "mediaType": .string(mediaType),
            "verificationMaterial": .object(["publicKey": .object(["hint": .string(keyHint)])]),
            "dsseEnvelope": .object([
                "payload": .string(envelope.payload),
                "payloadType": .string(envelope.payloadType),
                "signatures": .array(envelope.signatures.map { .object(["keyid": .string($0.keyid ?? ""), "sig": .string($0.sig)]) }),
            ]),
        ])
    }
}
