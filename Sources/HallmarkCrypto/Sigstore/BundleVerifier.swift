import Crypto
import CryptoExtras
import Foundation
import HallmarkCore
import SwiftASN1
import X509

/// Verifies a Sigstore bundle offline, step by step, each step producing the piece it establishes: the signer
/// (a certificate matching the policy's identity, validated to the trusted root at every verified signing time,
/// with a verified SCT; or the given key), the signature over the artifact or DSSE envelope, every
/// transparency-log entry, and the time sources. The bundle is verified only when every piece the policy
/// requires exists; a step that cannot run leaves its piece missing, which fails the verification.
public struct BundleVerifier: Sendable {
    /// The artifact: its bytes, or only a digest of it.
    public enum Artifact: Sendable {
        case bytes(Data)
        case digest(DigestAlgorithm, [UInt8])

        /// The artifact's digest by `algorithm`, when it can be had.
        func digest(_ algorithm: DigestAlgorithm) -> [UInt8]? {
            switch self {
            case .bytes(let data):
                switch algorithm {
                case .sha256: Array(SHA256.hash(data: data))
                case .sha384: Array(SHA384.hash(data: data))
                case .sha512: Array(SHA512.hash(data: data))
                }
            case .digest(let given, let value): given == algorithm ? value : nil
            }
        }
    }

    public let trustedRoot: TrustedRoot

    public init(trustedRoot: TrustedRoot) { self.trustedRoot = trustedRoot }

    /// Verifies `bundle` for `artifact` under `policy`. `file` names the bundle in problems.
    public func verify(_ bundle: SigstoreBundle, artifact: Artifact, policy: BundlePolicy, file: String? = nil) async -> Verdict<VerifiedBundle> {
        var problems = ProblemList()

        // 1. The signer's material must be what the policy trusts.
        let (leaf, key) = Self.signerMaterial(of: bundle, policy: policy, problems: &problems, file: file)

        // 2. The signature, with the signer's key.
        var signature: VerifiedSignature?
        if let key {
            switch Self.verifySignature(bundle.content, artifact: artifact, key: key) {
            case .success(let verified): signature = verified
            case .failure(let problem): problems.add(problem, defaultFile: file)
            }
        }

        // 3. Every transparency-log entry must verify.
        let expected = LogEntryVerifier.Expected(
            content: bundle.content, artifact: artifact, certificateDER: leaf?.der, keySPKI: key?.spkiDER)
        let entries = verifyLogEntries(of: bundle, expected: expected, policy: policy, problems: &problems, file: file)

        // 4. Time sources: signed entry timestamps and RFC 3161 timestamps.
        let (times, rejected) = await signingTimes(
            of: bundle, logTimes: entries.compactMap(\.integratedTime), policy: policy, problems: &problems, file: file)

        // 5. The certificate: fit to sign code, a path to the trusted root at every verified time, a verified SCT,
        // and the identity the policy names.
        var certified: Certified?
        if let leaf, case .identity(let identity) = policy.signer {
            certified = await certify(leaf, identity: identity, times: times, problems: &problems, file: file)
        }

        // 6. Verified only from a full set of pieces.
        return problems.verdict({ () -> VerifiedBundle? in
            guard let signature, entries.count >= policy.minTransparencyLogEntries, entries.count == bundle.tlogEntries.count,
                times.count >= policy.minTimestamps
            else { return nil }
            let signer: VerifiedBundle.Signer
            switch (policy.signer, bundle.material) {
            case (.identity, .certificate):
                guard let certified else { return nil }
                signer = .certificate(identity: certified.identity, path: certified.path, sct: certified.sct)
            case (.key(let given), .publicKey):
                signer = .key(keyID: given.keyID)
            default:
                return nil
            }
            return VerifiedBundle(
                mediaType: bundle.mediaType, signer: signer, signature: signature, logEntries: entries, times: times, notes: rejected)
        }, subject: "the bundle", file: file)
    }

    /// What step 5 establishes of a signing certificate: the identity it matched, its path to the trusted root,
    /// and its verified SCT.
    private typealias Certified = (identity: MatchedIdentity, path: ValidatedPath, sct: VerifiedSCT)

    /// Step 1: the signing certificate (when the policy trusts an identity) and the key to check the signature
    /// with, when the bundle's material is what the policy trusts; each mismatch is recorded.
    private static func signerMaterial(
        of bundle: SigstoreBundle, policy: BundlePolicy, problems: inout ProblemList, file: String?
    ) -> (leaf: SigningCertificate?, key: PublicKey?) {
        switch (bundle.material, policy.signer) {
        case (.publicKey, .key(let given)):
            return (nil, given)
        case (.publicKey, .identity):
            problems.add(.init(.materialMismatch, "the bundle was signed with a key, not a certificate; verify it with --key"), defaultFile: file)
            return (nil, nil)
        case (.certificate(let signing, let bundled), .identity):
            if bundled.contains(where: { Self.isSelfSignedCA($0.certificate) }) {
                problems.add(.init(.chainBundledRoot, "the bundle includes a root certificate; only the trusted root may anchor a chain"), defaultFile: file)
            }
            guard let signingKey = signing.publicKey else {
                problems.add(.init(.certificateUnsupportedKey, "the signing certificate's public key is of a type Hallmark cannot verify with"), defaultFile: file)
                return (signing, nil)
            }
            return (signing, signingKey)
        case (.certificate, .key):
            problems.add(.init(.materialMismatch, "the bundle carries a certificate; verify it with --certificate-identity and --certificate-oidc-issuer, not --key"), defaultFile: file)
            return (nil, nil)
        }
    }

    /// Step 3: the bundle's transparency-log entries that verify (each that does not is recorded), and a problem
    /// when the bundle has fewer than the policy requires.
    private func verifyLogEntries(
        of bundle: SigstoreBundle, expected: LogEntryVerifier.Expected, policy: BundlePolicy, problems: inout ProblemList,
        file: String?
    ) -> [VerifiedLogEntry] {
        var entries: [VerifiedLogEntry] = []
        for entry in bundle.tlogEntries {
            switch LogEntryVerifier(trustedRoot: trustedRoot).verify(entry, expected: expected) {
            case .success(let verified): entries.append(verified)
            case .failure(let problem): problems.add(problem, defaultFile: file)
            }
        }
        if bundle.tlogEntries.count < policy.minTransparencyLogEntries {
            problems.add(.init(.tlogMissing, "the bundle has \(bundle.tlogEntries.count) transparency-log entr\(bundle.tlogEntries.count == 1 ? "y" : "ies"); \(policy.minTransparencyLogEntries) must verify"), defaultFile: file)
        }
        return entries
    }

    /// Step 4: the verified signing times (the log entries' `logTimes`, then one per timestamp authority from the
    /// bundle's RFC 3161 timestamps) and the timestamps not counted. A timestamp that does not verify is not
    /// counted, and vetoes nothing by itself: the rejected ones become problems only when too few times verified.
    private func signingTimes(
        of bundle: SigstoreBundle, logTimes: [VerifiedTime], policy: BundlePolicy, problems: inout ProblemList, file: String?
    ) async -> (times: [VerifiedTime], rejected: [VerificationProblem]) {
        var times = logTimes
        var rejected: [VerificationProblem] = []
        for (index, der) in bundle.timestamps.enumerated() {
            let label = bundle.timestamps.count > 1 ? "timestamp \(index + 1)" : "timestamp"
            do {
                let stamp = try RFC3161Timestamp(der: der)
                switch await stamp.verify(covering: bundle.signature, authorities: trustedRoot.timestampAuthorities) {
                case .success(let time) where times.contains(where: { $0.source == .rfc3161 && $0.authority == time.authority }):
                    // One time per timestamp authority counts; a second stamp from it adds nothing.
                    rejected.append(.init(.timestampInvalid, "\(label): a second timestamp from \(time.authority) is not counted", file: file))
                case .success(let time): times.append(time)
                case .failure(let problem): rejected.append(.init(problem.code, "\(label): \(problem.message)", file: file))
                }
            } catch {
                rejected.append(.init(error.problem ?? .timestampInvalid, "\(label): \(error.message)", file: file))
            }
        }
        if times.count < policy.minTimestamps {
            let kinds = "signed entry timestamps and RFC 3161 timestamps"
            problems.add(.init(.timestampMissing, "\(times.count) verified signing time\(times.count == 1 ? "" : "s") (\(kinds)); \(policy.minTimestamps) required"), defaultFile: file)
            for problem in rejected { problems.add(problem, defaultFile: file) }
        }
        return (times, rejected)
    }

    /// Step 5: the certificate fit to sign code, validated to the trusted root at every verified time (none when no
    /// time verified), with a verified SCT, and matching `identity`. Nil, with the reasons recorded, when any
    /// piece is missing.
    private func certify(
        _ leaf: SigningCertificate, identity: IdentityPolicy, times: [VerifiedTime], problems: inout ProblemList, file: String?
    ) async -> Certified? {
        if let reason = CodeSigningLeafPolicy.problem(with: leaf.certificate) {
            problems.add(.init(.certificateInvalidLeaf, reason), defaultFile: file)
        }
        var validated: (path: ValidatedPath, issuer: Certificate)?
        if !times.isEmpty {
            switch await CertificatePathValidator.validate(
                leaf.certificate, purpose: .codeSigning, authorities: trustedRoot.certificateAuthorities, at: times.map(\.time))
            {
            case .success(let path): validated = (path, path.issuer)
            case .failure(let problem): problems.add(problem, defaultFile: file)
            }
        }
        var sct: VerifiedSCT?
        if let validated {
            switch leaf.verifySCT(issuer: validated.issuer, ctlogs: trustedRoot.ctlogs) {
            case .success(let verified): sct = verified
            case .failure(let problem): problems.add(problem, defaultFile: file)
            }
        }
        let matched = Self.match(leaf, identity, problems: &problems, file: file)
        guard let matched, let validated, let sct else { return nil }
        return (matched, validated.path, sct)
    }

    static func isSelfSignedCA(_ certificate: Certificate) -> Bool {
        certificate.subject == certificate.issuer && SigningCertificate.isCA(certificate)
            && certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// The signature over the artifact (message signature) or over the envelope's PAE, whose Statement must then
    /// name the artifact by a digest it lists.
    static func verifySignature(_ content: SigstoreBundle.Content, artifact: Artifact, key: PublicKey) -> Result<VerifiedSignature, VerificationProblem> {
        switch content {
        case .messageSignature(let algorithmName, let stated, let signature):
            if let stated {
                let algorithm: DigestAlgorithm? = switch algorithmName ?? "SHA2_256" {
                case "SHA2_256": .sha256
                case "SHA2_384": .sha384
                case "SHA2_512": .sha512
                default: nil
                }
                guard let algorithm else {
                    return .failure(.init(.artifactDigestMismatch, "the bundle's message digest uses \(algorithmName ?? "?"), which Hallmark cannot compute"))
                }
                guard let actual = artifact.digest(algorithm) else {
                    return .failure(.init(.artifactDigestMismatch, "the bundle states a \(algorithm.rawValue) digest; pass the artifact itself, or its \(algorithm.rawValue)"))
                }
                guard actual == stated else {
                    return .failure(.init(.artifactDigestMismatch, "the bundle's message digest does not match the artifact"))
                }
            }
            let valid: Bool
            switch artifact {
            case .bytes(let data): valid = key.isValidSignature(signature, for: data)
            case .digest(.sha256, let digest): valid = key.isValidSignature(signature, forSHA256: digest)
            case .digest:
                return .failure(.init(.signatureInvalid, "a message signature is checked over the artifact or its sha256; pass one of them"))
            }
            guard valid else {
                let hint = key.algorithm == .ed25519 && artifact.isDigest ? " (an Ed25519 signature covers the whole artifact: pass the file, not its digest)" : ""
                return .failure(.init(.signatureInvalid, "the signature does not verify for the artifact with the signer's key\(hint)"))
            }
            return .success(VerifiedSignature(form: .messageSignature, keyID: key.keyID, statement: nil, subjectMatchedBy: nil))
        case .dsse(let envelope, let signature, let payload):
            let pae = DSSEEnvelope.pae(payloadType: envelope.payloadType, payload: Data(payload))
            guard key.isValidSignature(signature, for: pae) else {
                return .failure(.init(.signatureInvalid, "the DSSE envelope's signature does not verify with the signer's key"))
            }
            guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
                return .failure(.init(.payloadInvalid, "the DSSE payload type is \(envelope.payloadType), not \(DSSEEnvelope.inTotoPayloadType)"))
            }
            let statement: JSONValue
            do { statement = try JSONValue(parsing: Data(payload)) } catch {
                return .failure(.init(.payloadInvalid, "the DSSE payload is not an in-toto Statement (\(error.description))"))
            }
            guard let subjects = statement["subject"]?.arrayValue, !subjects.isEmpty else {
                return .failure(.init(.payloadInvalid, "the in-toto Statement has no subjects"))
            }
            switch matchSubject(subjects, artifact: artifact) {
            case .success(let algorithm):
                return .success(VerifiedSignature(form: .dsse, keyID: key.keyID, statement: statement, subjectMatchedBy: algorithm))
            case .failure(let problem):
                return .failure(problem)
            }
        }
    }

    /// The algorithm by which the artifact matches one of `subjects`: any digest the subject lists that Hallmark
    /// can compute (sha256, sha384, sha512).
    static func matchSubject(_ subjects: [JSONValue], artifact: Artifact) -> Result<DigestAlgorithm, VerificationProblem> {
        var tried: Set<DigestAlgorithm> = []
        for subject in subjects {
            for algorithm in DigestAlgorithm.allCases {
                guard let listed = subject["digest"]?[algorithm.rawValue]?.stringValue, let value = Hex.decode(listed.lowercased()) else { continue }
                tried.insert(algorithm)
                if let actual = artifact.digest(algorithm), actual == value { return .success(algorithm) }
            }
        }
        if tried.isEmpty {
            return .failure(.init(.subjectMismatch, "no subject of the in-toto Statement has a sha256, sha384 or sha512 digest"))
        }
        let names = tried.map(\.rawValue).sorted().joined(separator: ", ")
        return .failure(.init(.subjectMismatch, "the artifact is not a subject of the in-toto Statement (compared by \(names))"))
    }

    /// The certificate's identity against the policy: a SAN, the issuer, and each required claim.
    static func match(_ leaf: SigningCertificate, _ policy: IdentityPolicy, problems: inout ProblemList, file: String?) -> MatchedIdentity? {
        let sans = leaf.identities
        let matchedSAN = sans.first(where: policy.san.matches)
        if matchedSAN == nil {
            problems.add(.identityMismatch, "the certificate's identity is \(sans.isEmpty ? "empty" : sans.joined(separator: ", ")), not \(policy.san)", file: file)
        }
        let issuer = leaf.oidcIssuer
        if !(issuer.map(policy.issuer.matches) ?? false) {
            problems.add(.issuerMismatch, "the certificate's OIDC issuer is \(issuer ?? "missing"), not \(policy.issuer)", file: file)
        }
        var claims: [String: String] = [:]
        for claim in policy.claims {
            let value = leaf.fulcioExtension(claim.arc)
            if value == claim.value {
                claims[claim.name] = claim.value
            } else {
                problems.add(.claimMismatch, "the certificate's \(claim.name) is \(value ?? "missing"), not \(claim.value)", file: file)
            }
        }
        guard let matchedSAN, let issuer, policy.issuer.matches(issuer), claims.count == policy.claims.count else { return nil }
        return MatchedIdentity(identity: matchedSAN, issuer: issuer, requiredClaims: claims, claims: FulcioClaims(leaf))
    }
}

extension BundleVerifier.Artifact {
    var isDigest: Bool {
        if case .digest = self { return true }
        return false
    }
}

extension PublicKey {
    /// ECDSA (and RSA) verification against a SHA-256 digest given as bytes (no message at hand). Ed25519 signs
    /// whole messages, so it never verifies here.
    public func isValidSignature(_ signature: [UInt8], forSHA256 digest: [UInt8]) -> Bool {
        guard let d = PrecomputedSHA256(digest) else { return false }
        func parse<S>(_ make: () throws -> S) -> S? {
            switch Result(catching: make) {
            case .success(let value): value
            case .failure: nil
            }
        }
        switch backing {
        case .p256(let k):
            if let s = parse({ try P256.Signing.ECDSASignature(derRepresentation: signature) }) { return k.isValidSignature(s, for: d) }
            if let s = parse({ try P256.Signing.ECDSASignature(rawRepresentation: signature) }) { return k.isValidSignature(s, for: d) }
            return false
        case .p384(let k):
            if let s = parse({ try P384.Signing.ECDSASignature(derRepresentation: signature) }) { return k.isValidSignature(s, for: d) }
            if let s = parse({ try P384.Signing.ECDSASignature(rawRepresentation: signature) }) { return k.isValidSignature(s, for: d) }
            return false
        case .rsa(let k):
            let s = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return k.isValidSignature(s, for: d, padding: .insecurePKCS1v1_5) || k.isValidSignature(s, for: d, padding: .PSS)
        case .ed25519:
            return false
        }
    }
}

extension ProblemList {
    /// Records `problem`, naming `defaultFile` when the problem names no file of its own.
    fileprivate mutating func add(_ problem: VerificationProblem, defaultFile: String?) {
        add(problem.code, problem.message, file: problem.file ?? defaultFile)
    }
}
