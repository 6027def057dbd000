import Foundation
import HallmarkCore
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// A Fulcio signing certificate: an end-entity (not a CA), with the code-signing extended key usage, a digital
/// signature key usage when it states one, and at least one subject alternative name. It also handles the
/// critical extensions such a leaf carries (SAN, key and extended key usage), so an unknown critical extension
/// still refuses the path.
struct CodeSigningLeafPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.subjectAlternativeName, .X509ExtensionID.extendedKeyUsage, .X509ExtensionID.keyUsage,
    ]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        switch Self.problem(with: chain.leaf) {
        case nil: .meetsPolicy
        case let reason?: .failsToMeetPolicy(reason: reason)
        }
    }

    /// What makes `leaf` unfit to sign code, or nil.
    static func problem(with leaf: Certificate) -> String? {
        if SigningCertificate.isCA(leaf) { return "the signing certificate is a CA certificate" }
        switch Result(catching: { try leaf.extensions.extendedKeyUsage }) {
        case .success(let usage?) where usage.contains(.codeSigning): break
        case .success: return "the signing certificate lacks the code-signing extended key usage"
        case .failure(let error): return "the signing certificate's extended key usage is malformed (\(error))"
        }
        switch Result(catching: { try leaf.extensions.keyUsage }) {
        case .success(let usage?) where !usage.digitalSignature: return "the signing certificate's key usage does not allow signatures"
        case .success: break
        case .failure(let error): return "the signing certificate's key usage is malformed (\(error))"
        }
        switch Result(catching: { try leaf.extensions.subjectAlternativeNames }) {
        case .success(let names?) where !names.isEmpty: break
        case .success: return "the signing certificate names no identity (no subject alternative name)"
        case .failure(let error): return "the signing certificate's subject alternative names are malformed (\(error))"
        }
        return nil
    }
}

/// A timestamp authority's certificate (RFC 3161 §2.3): an end-entity whose extended key usage is time stamping,
/// and nothing else.
struct TimeStampingLeafPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage, .X509ExtensionID.keyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let leaf = chain.leaf
        if SigningCertificate.isCA(leaf) { return .failsToMeetPolicy(reason: "the timestamp authority's certificate is a CA certificate") }
        guard leaf.extensions[oid: .X509ExtensionID.extendedKeyUsage]?.critical == true else {
            return .failsToMeetPolicy(reason: "the timestamp authority's extended key usage is not marked critical (RFC 3161 §2.3)")
        }
        switch Result(catching: { try leaf.extensions.extendedKeyUsage }) {
        case .success(let usage?) where Array(usage) == [.timeStamping]: return .meetsPolicy
        case .success: return .failsToMeetPolicy(reason: "the timestamp authority's certificate is not for time stamping only")
        case .failure(let error): return .failsToMeetPolicy(reason: "the timestamp authority's extended key usage is malformed (\(error))")
        }
    }
}

/// Every issuing certificate may sign certificates: when it states a key usage, keyCertSign is in it.
/// (Basic constraints and path lengths are RFC5280Policy's.)
struct IssuerKeyUsagePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.keyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        for issuer in chain.dropFirst() {
            switch Result(catching: { try issuer.extensions.keyUsage }) {
            case .success(let usage?) where !usage.keyCertSign:
                return .failsToMeetPolicy(reason: "\(issuer.subject) may not sign certificates (key usage lacks keyCertSign)")
            case .success: continue
            case .failure(let error): return .failsToMeetPolicy(reason: "\(issuer.subject)'s key usage is malformed (\(error))")
            }
        }
        return .meetsPolicy
    }
}

/// Validates certificate paths to the authorities of a trusted root with swift-certificates' `Verifier`:
/// RFC 5280 (signatures, names, validity at the given time, basic constraints and path length, name constraints,
/// unknown critical extensions) plus a purpose policy for the leaf and key usage for issuers.
public enum CertificatePathValidator {
    public enum Purpose: Sendable {
        /// A Fulcio signing certificate.
        case codeSigning
        /// A timestamp authority's certificate.
        case timeStamping
    }

    /// A path from `leaf` to one of `authorities`, valid at every one of `times` (each inside the authority's
    /// trusted window), or the problem that stopped every authority that issued it.
    static func validate(
        _ leaf: Certificate, purpose: Purpose, authorities: [TrustedRoot.Authority], at times: [Date]
    ) async -> Result<ValidatedPath, VerificationProblem> {
        let untrusted: ProblemCode = purpose == .codeSigning ? .chainUntrusted : .timestampUntrusted
        let expired: ProblemCode = purpose == .codeSigning ? .chainExpired : .timestampOutsideValidity
        let outside: ProblemCode = purpose == .codeSigning ? .chainOutsideValidity : .timestampOutsideValidity
        let what = purpose == .codeSigning ? "the signing certificate" : "the timestamp authority's certificate"
        guard !times.isEmpty else {
            return .failure(.init(.timestampMissing, "\(what) cannot be validated: there is no verified time to validate it at"))
        }
        var best = VerificationProblem(untrusted, "\(what) does not chain to a certificate authority of the trusted root")
        for authority in authorities {
            let certificates = authority.certificates
            guard let root = certificates.last else { continue }
            // Only the authority that issued the leaf can say why it fails; the others simply do not apply.
            let issuedHere = certificates.contains(leaf) || certificates.contains { candidate in
                candidate.subject == leaf.issuer && candidate.publicKey.isValidSignature(leaf.signature, for: leaf)
            }
            guard issuedHere else { continue }
            var failure: VerificationProblem?
            var issuer: Certificate?
            for time in times {
                let stamp = RFC3339.format(unixSeconds: Int64(time.timeIntervalSince1970))
                guard authority.validity.contains(time) else {
                    failure = .init(outside, "\(authority.uri) is not trusted at \(stamp) (outside its validity window in the trusted root)")
                    break
                }
                var verifier = Verifier(rootCertificates: CertificateStore([root])) {
                    RFC5280Policy(fixedExpiryValidationTime: time)
                    IssuerKeyUsagePolicy()
                    switch purpose {
                    case .codeSigning: CodeSigningLeafPolicy()
                    case .timeStamping: TimeStampingLeafPolicy()
                    }
                }
                let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(certificates.dropLast()))
                switch result {
                case .validCertificate(let chain):
                    issuer = Array(chain).dropFirst().first ?? leaf
                case .couldNotValidate(let failures):
                    let path = [leaf] + certificates
                    if path.contains(where: { !($0.notValidBefore <= time && time <= $0.notValidAfter) }) {
                        failure = .init(expired, "a certificate of \(what)'s path is not valid at the verified time \(stamp)")
                    } else {
                        let reason = failures.first.map { "\($0.policyFailureReason)" } ?? "no path satisfies RFC 5280 and the \(purpose == .codeSigning ? "code-signing" : "time-stamping") policy"
                        failure = .init(untrusted, "\(what) does not validate to \(authority.uri): \(reason)")
                    }
                }
                if failure != nil { break }
            }
            guard failure == nil, let issuer else {
                best = failure ?? best
                continue
            }
            return .success(ValidatedPath(authority: authority.uri, length: certificates.count + 1, validatedAt: times, issuer: issuer))
        }
        return .failure(best)
    }
}
