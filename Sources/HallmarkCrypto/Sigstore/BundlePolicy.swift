import Foundation
import HallmarkCore

/// How a certificate's subject alternative names must match. There is no "any": an identity policy always
/// names whom it expects.
public enum SANMatcher: Sendable, CustomStringConvertible {
    case exact(String)
    /// A regular expression matched against the whole SAN (anchored at both ends).
    case regex(pattern: String, expression: RegexBox)
    /// A workflow identity `NAME@REF` whose NAME (before the last `@`) is one of these: the builders a
    /// provenance verifier trusts. The ref is checked by the caller.
    case workflow(names: Set<String>)

    /// `pattern`, anchored, or a usage error naming the flag when it does not compile.
    public static func regex(_ pattern: String, flag: String = "--certificate-identity-regexp") throws(HallmarkError) -> SANMatcher {
        .regex(pattern: pattern, expression: try RegexBox(pattern, flag: flag))
    }

    public func matches(_ value: String) -> Bool {
        switch self {
        case .exact(let expected): value == expected
        case .regex(_, let expression): expression.matchesWhole(value)
        case .workflow(let names):
            if let at = value.lastIndex(of: "@") { names.contains(String(value[..<at])) } else { false }
        }
    }

    public var description: String {
        switch self {
        case .exact(let value): value
        case .regex(let pattern, _): "/\(pattern)/"
        case .workflow(let names): "one of \(names.sorted().joined(separator: ", ")) (at a ref)"
        }
    }
}

/// The same for the OIDC issuer.
public typealias IssuerMatcher = SANMatcher

/// A compiled regular expression, matched whole.
public struct RegexBox: @unchecked Sendable {  // NSRegularExpression is immutable and thread-safe once built
    let expression: NSRegularExpression

    init(_ pattern: String, flag: String) throws(HallmarkError) {
        do {
            // \A and \z: `$` would also match before a final newline.
            expression = try NSRegularExpression(pattern: "\\A(?:\(pattern))\\z")
        } catch {
            throw .usage("\(flag) \(pattern) is not a valid regular expression")
        }
    }

    func matchesWhole(_ value: String) -> Bool {
        expression.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
    }
}

/// Whom a certificate-signed bundle must come from: a SAN matcher and an issuer matcher are required, plus any
/// Fulcio extension claims (GitHub workflow repository, ref…).
public struct IdentityPolicy: Sendable {
    public struct Claim: Sendable {
        /// The Fulcio extension arc: 1.3.6.1.4.1.57264.1.ARC.
        public var arc: UInt
        public var name: String
        public var value: String

        public init(arc: UInt, name: String, value: String) {
            self.arc = arc
            self.name = name
            self.value = value
        }
    }

    public let san: SANMatcher
    public let issuer: IssuerMatcher
    public let claims: [Claim]

    public init(san: SANMatcher, issuer: IssuerMatcher, claims: [Claim] = []) {
        self.san = san
        self.issuer = issuer
        self.claims = claims
    }
}

/// What a bundle verification requires.
public struct BundlePolicy: Sendable {
    public enum Signer: Sendable {
        /// A Fulcio certificate for this identity, chained to the trusted root.
        case identity(IdentityPolicy)
        /// A key the caller trusts; the key is the trust, so no certificate, log entry or timestamp is needed.
        case key(PublicKey)
    }

    public let signer: Signer
    /// How many transparency-log entries must verify (every entry present must verify regardless).
    public let minTransparencyLogEntries: Int
    /// How many verified time sources (signed entry timestamps, RFC 3161 timestamps) are needed.
    public let minTimestamps: Int

    /// A certificate-signed bundle, as the reference clients verify it: at least one verified log entry and one
    /// verified time source. A threshold of 0 log entries needs `allowNoTransparencyLogUnsafe`; a certificate is
    /// validated at a verified time, so at least one time source is always required.
    public init(
        identity: IdentityPolicy, minTransparencyLogEntries: Int = 1, minTimestamps: Int = 1, allowNoTransparencyLogUnsafe: Bool = false
    ) throws(HallmarkError) {
        guard minTransparencyLogEntries >= 0, minTimestamps >= 0 else { throw .usage("thresholds cannot be negative") }
        if minTransparencyLogEntries == 0 && !allowNoTransparencyLogUnsafe {
            throw .usage("accepting a certificate-signed bundle without a transparency-log entry is unsafe; pass --insecure-ignore-tlog to do it anyway")
        }
        guard minTimestamps >= 1 else {
            throw .usage("a signing certificate is checked at a verified signing time: --min-timestamps must be at least 1")
        }
        signer = .identity(identity)
        self.minTransparencyLogEntries = minTransparencyLogEntries
        self.minTimestamps = minTimestamps
    }

    /// A key-signed bundle: the key is the trust (thresholds default to 0; a log entry the bundle carries is
    /// still verified).
    public init(key: PublicKey, minTransparencyLogEntries: Int = 0, minTimestamps: Int = 0) throws(HallmarkError) {
        guard minTransparencyLogEntries >= 0, minTimestamps >= 0 else { throw .usage("thresholds cannot be negative") }
        signer = .key(key)
        self.minTransparencyLogEntries = minTransparencyLogEntries
        self.minTimestamps = minTimestamps
    }
}
