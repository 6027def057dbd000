import Foundation
import HallmarkCore

/// The Fulcio extensions (1.3.6.1.4.1.57264.1.ARC) of a signing certificate, by arc: what the certificate
/// authority recorded about the signer from its OIDC token. Only a verified certificate's claims are handed out
/// (``MatchedIdentity/claims``), so they can be trusted as much as the certificate.
public struct FulcioClaims: Sendable, Codable {
    /// Arc → value, for every Fulcio extension the certificate carries.
    public let values: [String: String]

    init(_ certificate: SigningCertificate) {
        var values: [String: String] = [:]
        for arc in UInt(1)...UInt(22) {
            if let value = certificate.fulcioExtension(arc) { values[String(arc)] = value }
        }
        self.values = values
    }

    public subscript(_ arc: Arc) -> String? { values[String(arc.rawValue)] }

    /// The extensions Fulcio defines (docs/oid-info.md in sigstore/fulcio).
    public enum Arc: UInt, Sendable, CaseIterable {
        case issuerV1 = 1, githubWorkflowTrigger, githubWorkflowSHA, githubWorkflowName, githubWorkflowRepository, githubWorkflowRef
        case otherName = 7
        case issuer = 8
        case buildSignerURI, buildSignerDigest, runnerEnvironment
        case sourceRepositoryURI, sourceRepositoryDigest, sourceRepositoryRef, sourceRepositoryIdentifier
        case sourceRepositoryOwnerURI, sourceRepositoryOwnerIdentifier
        case buildConfigURI, buildConfigDigest, buildTrigger, runInvocationURI, sourceRepositoryVisibilityAtSigning
    }
}
