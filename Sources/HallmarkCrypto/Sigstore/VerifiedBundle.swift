import Foundation
import HallmarkCore
import X509

// The pieces a bundle verification is built from. Each is made only by the check that establishes it (their
// initialisers are internal to this module), and a ``VerifiedBundle`` only from a full set of them.

/// An embedded signed certificate timestamp that verified with a CT log of the trusted root.
public struct VerifiedSCT: Sendable {
    /// The CT log's id (SHA-256 of its key).
    public let logID: [UInt8]
}

/// A certificate path from the signing certificate to a certificate authority of the trusted root, validated at
/// every verified signing time.
public struct ValidatedPath: Sendable {
    /// The authority's URI in the trusted root.
    public let authority: String
    /// How many certificates the path has, leaf and root included.
    public let length: Int
    /// The times it was validated at.
    public let validatedAt: [Date]
    /// The certificate that issued the leaf (for the SCT's issuer key hash).
    let issuer: Certificate
}

/// A signature that verified: over the artifact (message signature) or over a DSSE envelope whose in-toto
/// Statement names the artifact.
public struct VerifiedSignature: Sendable {
    public enum Form: String, Sendable, Codable {
        case messageSignature = "message-signature"
        case dsse
    }

    public let form: Form
    /// The key id of the key that verified it (SHA-256 of its SubjectPublicKeyInfo).
    public let keyID: String
    /// DSSE: the Statement, as signed.
    public let statement: JSONValue?
    /// DSSE: the digest algorithm by which the artifact matched a subject.
    public let subjectMatchedBy: DigestAlgorithm?
}

/// The certificate's identity, matched against the policy.
public struct MatchedIdentity: Sendable {
    /// The subject alternative name that matched.
    public let identity: String
    public let issuer: String
    /// The Fulcio extension claims that were required, with the values found.
    public let requiredClaims: [String: String]
    /// Every Fulcio extension of the verified certificate (source repository, ref, digest, build signer…).
    public let claims: FulcioClaims
}

/// A source of signing time that verified.
public struct VerifiedTime: Sendable {
    public enum Source: String, Sendable, Codable {
        case signedEntryTimestamp = "signed entry timestamp"
        case rfc3161 = "rfc3161"
    }

    public let time: Date
    public let source: Source
    /// The timestamp authority's URI, or the log's base URL.
    public let authority: String
}

/// A transparency-log entry whose body records this bundle and whose proofs verified (the Merkle inclusion proof
/// with a checkpoint signed by the log, and/or the signed entry timestamp).
public struct VerifiedLogEntry: Sendable {
    public let logIndex: Int64
    public let logBaseURL: String
    public let kind: String
    public let kindVersion: String
    public let inclusionProofVerified: Bool
    /// The integrated time, when a signed entry timestamp vouches for it.
    public let integratedTime: VerifiedTime?
}

/// A Sigstore bundle that verified: every piece the policy requires exists.
public struct VerifiedBundle: Sendable {
    public enum Signer: Sendable {
        /// A Fulcio certificate: its path to a trusted CA, its SCT, and the identity the policy asked for.
        case certificate(identity: MatchedIdentity, path: ValidatedPath, sct: VerifiedSCT)
        /// A key the verifier was given.
        case key(keyID: String)
    }

    public let mediaType: String
    public let signer: Signer
    public let signature: VerifiedSignature
    public let logEntries: [VerifiedLogEntry]
    public let times: [VerifiedTime]
    /// Problems that did not veto the result: a timestamp that did not verify while other sources met the
    /// thresholds.
    public let notes: [VerificationProblem]

    /// The earliest verified signing time.
    public var signingTime: VerifiedTime? { times.min { $0.time < $1.time } }
}
