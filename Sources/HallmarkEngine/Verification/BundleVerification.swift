import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark verify-bundle`: a Sigstore bundle, checked offline against a trusted root.
public struct BundleVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Request: Sendable {
        public var bundle: String
        /// A path, or `sha256:<hex>` (also `sha384:`, `sha512:`).
        public var artifact: String
        public var trustedRoot: String?
        public var key: String?
        public var identity: String?
        public var identityRegex: String?
        public var issuer: String?
        public var issuerRegex: String?
        public var claims: [IdentityPolicy.Claim]
        /// Verified transparency-log entries required (default: 1 for certificates, 0 for keys).
        public var minTransparencyLogEntries: Int?
        /// Verified time sources required (default: 1 for certificates, 0 for keys).
        public var minTimestamps: Int?
        /// Accept a certificate-signed bundle without a transparency-log entry (unsafe).
        public var insecureIgnoreTransparencyLog: Bool

        public init(
            bundle: String, artifact: String, trustedRoot: String? = nil, key: String? = nil, identity: String? = nil,
            identityRegex: String? = nil, issuer: String? = nil, issuerRegex: String? = nil, claims: [IdentityPolicy.Claim] = [],
            minTransparencyLogEntries: Int? = nil, minTimestamps: Int? = nil, insecureIgnoreTransparencyLog: Bool = false
        ) {
            self.bundle = bundle
            self.artifact = artifact
            self.trustedRoot = trustedRoot
            self.key = key
            self.identity = identity
            self.identityRegex = identityRegex
            self.issuer = issuer
            self.issuerRegex = issuerRegex
            self.claims = claims
            self.minTransparencyLogEntries = minTransparencyLogEntries
            self.minTimestamps = minTimestamps
            self.insecureIgnoreTransparencyLog = insecureIgnoreTransparencyLog
        }
    }

    /// The GitHub workflow claims cosign checks, by Fulcio extension arc (1.3.6.1.4.1.57264.1.N).
    public static let githubClaims: [(flag: String, arc: UInt, name: String)] = [
        ("certificate-github-workflow-trigger", 2, "GitHub workflow trigger"),
        ("certificate-github-workflow-sha", 3, "GitHub workflow sha"),
        ("certificate-github-workflow-name", 4, "GitHub workflow name"),
        ("certificate-github-workflow-repository", 5, "GitHub workflow repository"),
        ("certificate-github-workflow-ref", 6, "GitHub workflow ref"),
    ]

    /// The identity claims the `--certificate-github-workflow-*` flags ask for (nil: not asked).
    public static func githubClaims(
        trigger: String?, sha: String?, name: String?, repository: String?, ref: String?
    ) -> [IdentityPolicy.Claim] {
        var claims: [IdentityPolicy.Claim] = []
        for (value, entry) in zip([trigger, sha, name, repository, ref], githubClaims) {
            if let value { claims.append(.init(arc: entry.arc, name: entry.name, value: value)) }
        }
        return claims
    }

    /// What `verify-bundle --format json` prints.
    public struct Report: Codable, Sendable {
        public struct TimeSource: Codable, Sendable {
            public var time: String
            public var source: String
            public var authority: String
        }

        public var schemaVersion = VerificationReportSchema.version
        public var bundle: String
        public var artifact: String
        public var verified: Bool
        public var problems: [VerificationProblem]
        /// Problems that did not decide the result (a timestamp that did not verify beside enough that did).
        public var notes: [VerificationProblem]
        public var mediaType: String
        /// `certificate` or `key`, when verified.
        public var signer: String?
        public var identity: String?
        public var issuer: String?
        public var certificateAuthority: String?
        public var keyId: String?
        public var signingTime: String?
        public var signingTimeSource: String?
        public var logIndex: Int64?
        public var verifiedLogEntries: Int
        public var timeSources: [TimeSource]
        public var statement: JSONValue?

        init(request: Request, bundle: SigstoreBundle, verdict: Verdict<VerifiedBundle>) {
            self.bundle = request.bundle
            artifact = request.artifact
            verified = verdict.isVerified
            problems = verdict.problems
            mediaType = bundle.mediaType
            let value = verdict.value
            notes = value?.notes ?? []
            verifiedLogEntries = value?.logEntries.count ?? 0
            timeSources = (value?.times ?? []).map {
                TimeSource(time: RFC3339.format(unixSeconds: Int64($0.time.timeIntervalSince1970)), source: $0.source.rawValue, authority: $0.authority)
            }
            if let value {
                switch value.signer {
                case .certificate(let identity, let path, _):
                    signer = "certificate"
                    self.identity = identity.identity
                    issuer = identity.issuer
                    certificateAuthority = path.authority
                case .key:
                    signer = "key"
                }
                keyId = value.signature.keyID
                statement = value.signature.statement
                logIndex = value.logEntries.first?.logIndex
                if let first = value.signingTime {
                    signingTime = RFC3339.format(unixSeconds: Int64(first.time.timeIntervalSince1970))
                    signingTimeSource = first.source.rawValue
                }
            }
        }
    }

    /// The policy a request asks for; usage errors for contradictory or missing flags.
    func policy(for request: Request) throws(HallmarkError) -> BundlePolicy {
        if let key = request.key {
            guard request.identity == nil, request.identityRegex == nil, request.issuer == nil, request.issuerRegex == nil, request.claims.isEmpty else {
                throw .usage("pass either --key or the certificate identity flags, not both")
            }
            guard !request.insecureIgnoreTransparencyLog else { throw .usage("--insecure-ignore-tlog is for certificate-signed bundles; with --key no log entry is required") }
            return try BundlePolicy(
                key: try KeyResolver(context: context).publicKey(key),
                minTransparencyLogEntries: request.minTransparencyLogEntries ?? 0, minTimestamps: request.minTimestamps ?? 0)
        }
        let san: SANMatcher
        switch (request.identity, request.identityRegex) {
        case (let exact?, nil): san = .exact(exact)
        case (nil, let pattern?): san = try .regex(pattern)
        case (nil, nil):
            throw .usage("pass --certificate-identity or --certificate-identity-regexp (or --key for a key-signed bundle)")
        case (.some, .some):
            throw .usage("pass --certificate-identity or --certificate-identity-regexp, not both")
        }
        let issuer: IssuerMatcher
        switch (request.issuer, request.issuerRegex) {
        case (let exact?, nil): issuer = .exact(exact)
        case (nil, let pattern?): issuer = try .regex(pattern, flag: "--certificate-oidc-issuer-regexp")
        case (nil, nil): throw .usage("pass --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp) with the certificate identity")
        case (.some, .some): throw .usage("pass --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both")
        }
        var minimumLog = request.minTransparencyLogEntries ?? 1
        if request.insecureIgnoreTransparencyLog {
            guard request.minTransparencyLogEntries == nil || request.minTransparencyLogEntries == 0 else {
                throw .usage("--insecure-ignore-tlog contradicts --min-tlog-entries \(minimumLog)")
            }
            minimumLog = 0
        }
        return try BundlePolicy(
            identity: IdentityPolicy(san: san, issuer: issuer, claims: request.claims), minTransparencyLogEntries: minimumLog,
            minTimestamps: request.minTimestamps ?? 1, allowNoTransparencyLogUnsafe: request.insecureIgnoreTransparencyLog)
    }

    /// The trusted root the request names, or the installed one; the empty root when a key-signed bundle needs
    /// nothing from one.
    func trustedRoot(for request: Request, bundle: SigstoreBundle, policy: BundlePolicy) throws(HallmarkError) -> TrustedRoot {
        // --trusted-root is a path like any other (under the context's root); the installed one is the host's own
        // setting, checked and read at the same place.
        if let given = request.trustedRoot {
            return try TrustedRoot(parsing: try FileIO.read(try context.resolve(given), display: given, limit: 8 << 20), source: given)
        }
        if let installed = context.settings.trustedRootPath, FileIO.isFile(installed) {
            return try TrustedRoot(parsing: try FileIO.read(installed, display: installed, limit: 8 << 20), source: installed)
        }
        if case .key = policy.signer, bundle.tlogEntries.isEmpty, bundle.timestamps.isEmpty {
            return .empty  // nothing in the bundle needs a trusted log or timestamp authority
        }
        throw .usage("pass --trusted-root trusted_root.json, or install one with `hallmark trust update` (verification never reaches for the network)")
    }

    /// The artifact: a file, or `ALGORITHM:HEX` for sha256, sha384 or sha512.
    func artifact(_ text: String) throws(HallmarkError) -> BundleVerifier.Artifact {
        for algorithm in DigestAlgorithm.allCases where text.hasPrefix(algorithm.rawValue + ":") {
            guard let digest = Hex.decode(text.dropFirst(algorithm.rawValue.count + 1)), digest.count == algorithm.byteCount else {
                throw .usage("\(text): \(algorithm.rawValue): must be followed by \(algorithm.byteCount * 2) hex digits")
            }
            return .digest(algorithm, digest)
        }
        let path = try context.resolve(text)
        guard FileIO.isFile(path) else { throw .io("\(text): No such file") }
        do {
            return .bytes(try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped))
        } catch {
            throw .io("\(text): cannot read: \(error.localizedDescription)")
        }
    }

    /// Parses the bundle at `path` (16 MiB cap).
    func bundle(at path: String) throws(HallmarkError) -> SigstoreBundle {
        try SigstoreBundle(parsing: try FileIO.read(try context.resolve(path), display: path, limit: 16 << 20), source: path)
    }

    /// Verifies a bundle; malformed inputs and bad flags throw, everything else is in the verdict.
    public func verify(_ request: Request) async throws(HallmarkError) -> (verdict: Verdict<VerifiedBundle>, report: Report) {
        let policy = try policy(for: request)
        let bundle = try bundle(at: request.bundle)
        let root = try trustedRoot(for: request, bundle: bundle, policy: policy)
        let artifact = try artifact(request.artifact)
        let verdict = await BundleVerifier(trustedRoot: root).verify(bundle, artifact: artifact, policy: policy, file: request.bundle)
        return (verdict, Report(request: request, bundle: bundle, verdict: verdict))
    }
}
