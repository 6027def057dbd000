import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark verify-provenance`: a SLSA provenance bundle checked the way slsa-verifier checks one — the bundle
/// verifies, the signer is the builder the provenance names (and the one expected), the artifact is a subject,
/// and the source repository and ref are the expected ones. SLSA v1 and v0.2 predicates.
public struct ProvenanceVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Request: Sendable {
        public var artifact: String
        public var bundle: String
        public var sourceURI: String
        public var sourceTag: String?
        public var sourceBranch: String?
        public var builderID: String?
        public var trustedRoot: String?
        public var key: String?
        public var issuer: String

        public init(artifact: String, bundle: String, sourceURI: String, sourceTag: String?, sourceBranch: String?, builderID: String?,
                    trustedRoot: String?, key: String?, issuer: String = "https://token.actions.githubusercontent.com") {
            self.artifact = artifact
            self.bundle = bundle
            self.sourceURI = sourceURI
            self.sourceTag = sourceTag
            self.sourceBranch = sourceBranch
            self.builderID = builderID
            self.trustedRoot = trustedRoot
            self.key = key
            self.issuer = issuer
        }
    }

    public struct Result: Codable, Sendable {
        public var verified: Bool
        public var problems: [String]
        public var predicateType: String?
        public var builderId: String?
        public var sourceRepository: String?
        public var sourceRef: String?
        public var signer: String?
        public var statement: JSONValue?
    }

    /// `github.com/org/repo` from `git+https://github.com/org/repo.git@refs/tags/v1` and the like.
    static func normalizeRepository(_ uri: String) -> String {
        var text = uri
        if text.hasPrefix("git+") { text.removeFirst(4) }
        if let scheme = text.range(of: "://") { text = String(text[scheme.upperBound...]) }
        if let at = text.firstIndex(of: "@") { text = String(text[..<at]) }
        if text.hasSuffix(".git") { text.removeLast(4) }
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// The builder id without its `@ref`, for comparing a signer with the builder a provenance names.
    static func builderName(_ id: String) -> String {
        guard let at = id.lastIndex(of: "@") else { return id }
        return String(id[..<at])
    }

    /// The source repository and ref a predicate records.
    static func source(of predicate: JSONValue, v1: Bool) -> (repository: String?, ref: String?) {
        if v1 {
            let external = predicate["buildDefinition"]?["externalParameters"]
            if let workflow = external?["workflow"], let repo = workflow["repository"]?.stringValue {
                return (repo, workflow["ref"]?.stringValue)
            }
            if let repo = external?["repository"]?.stringValue { return (repo, external?["ref"]?.stringValue) }
            if let source = external?["source"]?["uri"]?.stringValue ?? external?["source"]?.stringValue { return (source, refFrom(source)) }
            if let uri = predicate["buildDefinition"]?["resolvedDependencies"]?.arrayValue?.first?["uri"]?.stringValue { return (uri, refFrom(uri)) }
            return (nil, nil)
        }
        let uri = predicate["invocation"]?["configSource"]?["uri"]?.stringValue ?? predicate["materials"]?.arrayValue?.first?["uri"]?.stringValue
        return (uri, uri.flatMap(refFrom))
    }

    static func refFrom(_ uri: String) -> String? {
        guard let at = uri.lastIndex(of: "@") else { return nil }
        let ref = String(uri[uri.index(after: at)...])
        return ref.hasPrefix("refs/") ? ref : nil
    }

    public func verify(_ request: Request) throws(HallmarkError) -> Result {
        if request.sourceTag != nil && request.sourceBranch != nil { throw .usage("pass --source-tag or --source-branch, not both") }
        let bundleResult = try BundleVerification(context: context).verify(.init(
            bundle: request.bundle, artifact: request.artifact, trustedRoot: request.trustedRoot, key: request.key,
            identity: nil, identityRegex: request.key == nil ? ".*" : nil, issuer: request.key == nil ? request.issuer : nil, claims: []))
        var problems = bundleResult.problems
        var result = Result(verified: false, problems: [], signer: bundleResult.identity ?? bundleResult.keyId, statement: bundleResult.statement)
        guard let statement = bundleResult.statement else {
            problems.append("provenance: the bundle holds no in-toto Statement (a message signature is not provenance)")
            result.problems = problems
            return result
        }
        let predicateType = statement["predicateType"]?.stringValue
        result.predicateType = predicateType
        let predicate = statement["predicate"] ?? .null
        let v1: Bool
        switch predicateType {
        case "https://slsa.dev/provenance/v1": v1 = true
        case "https://slsa.dev/provenance/v0.2": v1 = false
        default:
            problems.append("provenance: predicate type \(predicateType ?? "none") is not SLSA provenance v1 or v0.2")
            result.problems = problems
            return result
        }
        let builder = v1 ? predicate["runDetails"]?["builder"]?["id"]?.stringValue : predicate["builder"]?["id"]?.stringValue
        result.builderId = builder
        if builder == nil { problems.append("builder: the provenance names no builder id") }
        if let builder, let identity = bundleResult.identity, Self.builderName(identity) != Self.builderName(builder) {
            problems.append("builder: the provenance claims builder \(builder), but it was signed by \(identity)")
        }
        if let expected = request.builderID, let builder {
            let matches = expected.contains("@") ? builder == expected : Self.builderName(builder) == expected
            if !matches { problems.append("builder: the builder is \(builder), not \(expected)") }
        }
        let (repository, ref) = Self.source(of: predicate, v1: v1)
        result.sourceRepository = repository
        result.sourceRef = ref
        if let repository {
            if Self.normalizeRepository(repository) != Self.normalizeRepository(request.sourceURI) {
                problems.append("source: the provenance's source is \(Self.normalizeRepository(repository)), not \(Self.normalizeRepository(request.sourceURI))")
            }
        } else {
            problems.append("source: the provenance records no source repository")
        }
        if let tag = request.sourceTag, ref != "refs/tags/\(tag)" {
            problems.append("source: the provenance's ref is \(ref ?? "missing"), not refs/tags/\(tag)")
        }
        if let branch = request.sourceBranch, ref != "refs/heads/\(branch)" {
            problems.append("source: the provenance's ref is \(ref ?? "missing"), not refs/heads/\(branch)")
        }
        var seen = Set<String>()
        result.problems = problems.filter { seen.insert($0).inserted }
        result.verified = result.problems.isEmpty
        return result
    }
}
