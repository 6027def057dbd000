import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark verify-bundle`: a Sigstore bundle, checked offline against a trusted root.
public struct BundleVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Request: Sendable {
        public var bundle: String
        /// A path, or `sha256:<hex>`.
        public var artifact: String
        public var trustedRoot: String?
        public var key: String?
        public var identity: String?
        public var identityRegex: String?
        public var issuer: String?
        public var claims: [(arc: UInt, name: String, value: String)]

        public init(
            bundle: String, artifact: String, trustedRoot: String?, key: String?, identity: String?, identityRegex: String?,
            issuer: String?, claims: [(arc: UInt, name: String, value: String)]
        ) {
            self.bundle = bundle
            self.artifact = artifact
            self.trustedRoot = trustedRoot
            self.key = key
            self.identity = identity
            self.identityRegex = identityRegex
            self.issuer = issuer
            self.claims = claims
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

    public func verify(_ request: Request) throws(HallmarkError) -> BundleVerifier.Result {
        let policy: BundleVerifier.Policy
        if let key = request.key {
            guard request.identity == nil, request.identityRegex == nil else {
                throw .usage("pass either --key or the certificate identity flags, not both")
            }
            policy = .key(try KeyResolver(context: context).publicKey(key))
        } else {
            guard request.identity != nil || request.identityRegex != nil else {
                throw .usage("pass --certificate-identity or --certificate-identity-regexp (or --key for a key-signed bundle)")
            }
            guard request.identity == nil || request.identityRegex == nil else {
                throw .usage("pass --certificate-identity or --certificate-identity-regexp, not both")
            }
            guard let issuer = request.issuer else { throw .usage("pass --certificate-oidc-issuer with the certificate identity") }
            policy = .identity(.init(identity: request.identity, identityRegex: request.identityRegex, issuer: issuer, claims: request.claims))
        }
        let bundle = try SigstoreBundle(parsing: try FileIO.read(context.resolve(request.bundle), display: request.bundle, limit: 16 << 20), source: request.bundle)
        let root: TrustedRoot
        let installed = TrustUpdate.defaultTrustedRootPath(environment: context.environment).flatMap { FileIO.isFile($0) ? $0 : nil }
        if let rootPath = request.trustedRoot ?? installed {
            root = try TrustedRoot(parsing: try FileIO.read(context.resolve(rootPath), display: rootPath, limit: 8 << 20), source: rootPath)
        } else if case .key = policy, bundle.tlogEntries.isEmpty, bundle.timestamps.isEmpty {
            root = .empty  // nothing in the bundle needs a trusted log or timestamp authority
        } else {
            throw .usage("pass --trusted-root trusted_root.json, or install one with `hallmark trust update` (verification never reaches for the network)")
        }

        let artifact: BundleVerifier.Artifact
        if request.artifact.hasPrefix("sha256:") {
            guard let digest = Hex.decode(request.artifact.dropFirst(7)), digest.count == 32 else {
                throw .usage("\(request.artifact): sha256: must be followed by 64 hex digits")
            }
            artifact = .sha256(digest)
        } else {
            let path = context.resolve(request.artifact)
            guard FileIO.isFile(path) else { throw .io("\(request.artifact): No such file") }
            do {
                artifact = .bytes(try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped))
            } catch {
                throw .io("\(request.artifact): cannot read: \(error.localizedDescription)")
            }
        }
        return BundleVerifier(trustedRoot: root).verify(bundle, artifact: artifact, policy: policy)
    }
}
