import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark verify-provenance`: SLSA provenance for an artifact, decided as slsa-verifier decides it. The bundle
/// verifies (certificate chain, transparency log, time); the signer is a trusted builder (one of
/// ``SLSABuilders/trustedByDefault``, or the `--builder-id` the user trusts) at a release tag; the provenance names
/// that builder; the artifact is a subject (by any digest the Statement lists); and the source repository, ref and
/// commit come from the signing certificate, with which the predicate must agree. With `--key`, the key is the
/// trust and the predicate is read as written.
public struct ProvenanceVerification: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public static let githubIssuer = "https://token.actions.githubusercontent.com"

    public struct Request: Sendable {
        public var artifact: String
        /// A Sigstore bundle, or an npm attestations file (`{"attestations": [...]}`).
        public var bundle: String
        public var sourceURI: String
        public var sourceTag: String?
        public var sourceVersionedTag: String?
        public var sourceBranch: String?
        public var builderID: String?
        public var trustedRoot: String?
        public var key: String?
        public var issuer: String

        public init(
            artifact: String, bundle: String, sourceURI: String, sourceTag: String? = nil, sourceVersionedTag: String? = nil,
            sourceBranch: String? = nil, builderID: String? = nil, trustedRoot: String? = nil, key: String? = nil,
            issuer: String = ProvenanceVerification.githubIssuer
        ) {
            self.artifact = artifact
            self.bundle = bundle
            self.sourceURI = sourceURI
            self.sourceTag = sourceTag
            self.sourceVersionedTag = sourceVersionedTag
            self.sourceBranch = sourceBranch
            self.builderID = builderID
            self.trustedRoot = trustedRoot
            self.key = key
            self.issuer = issuer
        }
    }

    /// Where the source facts were read.
    public enum SourceOrigin: String, Codable, Sendable {
        /// The Fulcio certificate's extensions (a certificate-signed bundle).
        case certificate
        /// The predicate, as written (a key-signed bundle: the key is the trust).
        case predicate
    }

    /// Provenance that verified.
    public struct VerifiedProvenance: Sendable {
        public let bundle: VerifiedBundle
        public let predicateType: String
        /// The builder that produced the provenance (its id in the predicate).
        public let builderID: String
        /// Why the builder is trusted: `default`, `--builder-id` or `--key`.
        public let builderTrust: String
        public let sourceRepository: String
        public let sourceRef: String?
        public let sourceCommit: String?
        public let sourceOrigin: SourceOrigin
    }

    public struct Report: Codable, Sendable {
        public var schemaVersion = VerificationReportSchema.version
        public var artifact: String
        public var bundle: String
        public var verified: Bool
        public var problems: [VerificationProblem]
        public var notes: [VerificationProblem]
        public var predicateType: String?
        public var builderId: String?
        public var builderTrust: String?
        public var signer: String?
        public var sourceRepository: String?
        public var sourceRef: String?
        public var sourceCommit: String?
        public var sourceOrigin: SourceOrigin?
        public var statement: JSONValue?
    }

    /// The source facts a certificate or a predicate states.
    struct SourceClaims {
        var repositories: [(field: String, value: String)] = []
        var refs: [(field: String, value: String)] = []
        var commits: [(field: String, value: String)] = []
    }

    // MARK: - Reading

    /// The bundle to verify: the file itself, or the SLSA provenance entry of an npm attestations file.
    func bundle(at path: String) throws(HallmarkError) -> SigstoreBundle {
        let data = try FileIO.read(try context.resolve(path), display: path, limit: 16 << 20)
        let json: JSONValue
        do { json = try JSONValue(parsing: data) } catch {
            throw .invalidInput("\(path): malformed bundle: not JSON (\(error.description))", problem: .bundleMalformed)
        }
        guard let attestations = json["attestations"]?.arrayValue else { return try SigstoreBundle(parsing: data, source: path) }
        let provenance = attestations.filter { ($0["predicateType"]?.stringValue ?? "").hasPrefix("https://slsa.dev/provenance/") }
        guard provenance.count == 1, let bundle = provenance[0]["bundle"] else {
            throw .invalidInput(
                "\(path): an attestations file must hold exactly one SLSA provenance attestation with a bundle (it holds \(provenance.count))",
                problem: .bundleMalformed)
        }
        return try SigstoreBundle(parsing: bundle.canonicalData, source: "\(path) (SLSA provenance attestation)")
    }

    /// `github.com/org/repo` from `git+https://github.com/org/repo.git@refs/tags/v1` and the like.
    static func normalizeRepository(_ uri: String) -> String {
        var text = uri
        if text.hasPrefix("git+") { text.removeFirst(4) }
        if let scheme = text.range(of: "://") { text = String(text[scheme.upperBound...]) }
        if let at = text.firstIndex(of: "@") { text = String(text[..<at]) }
        if text.hasSuffix(".git") { text.removeLast(4) }
        while text.hasSuffix("/") { text.removeLast() }
        return text.lowercased().hasPrefix("github.com/") ? "github.com/" + text.dropFirst("github.com/".count) : text
    }

    static func refFrom(_ uri: String) -> String? {
        guard let at = uri.lastIndex(of: "@") else { return nil }
        let ref = String(uri[uri.index(after: at)...])
        return ref.hasPrefix("refs/") ? ref : nil
    }

    /// What the certificate's Fulcio extensions say of the source (the new arcs, and the deprecated GitHub ones).
    static func certificateSource(_ claims: FulcioClaims) -> SourceClaims {
        var source = SourceClaims()
        if let uri = claims[.sourceRepositoryURI] { source.repositories.append(("certificate SourceRepositoryURI", uri)) }
        if let repository = claims[.githubWorkflowRepository] {
            source.repositories.append(("certificate GitHub workflow repository", "https://github.com/" + repository))
        }
        if let ref = claims[.sourceRepositoryRef] { source.refs.append(("certificate SourceRepositoryRef", ref)) }
        if let ref = claims[.githubWorkflowRef] { source.refs.append(("certificate GitHub workflow ref", ref)) }
        if let digest = claims[.sourceRepositoryDigest] { source.commits.append(("certificate SourceRepositoryDigest", digest)) }
        if let sha = claims[.githubWorkflowSHA] { source.commits.append(("certificate GitHub workflow sha", sha)) }
        return source
    }

    /// What the predicate says of the source.
    static func predicateSource(_ predicate: JSONValue, v1: Bool) -> SourceClaims {
        var source = SourceClaims()
        func uri(_ value: String?, _ field: String) {
            guard let value else { return }
            source.repositories.append((field, value))
            if let ref = refFrom(value) { source.refs.append((field, ref)) }
        }
        func commit(_ digest: JSONValue?, _ field: String) {
            for key in ["gitCommit", "sha1"] {
                if let value = digest?[key]?.stringValue { source.commits.append(("\(field).\(key)", value)) }
            }
        }
        if v1 {
            let external = predicate["buildDefinition"]?["externalParameters"]
            if let workflow = external?["workflow"] {
                uri(workflow["repository"]?.stringValue, "externalParameters.workflow.repository")
                if let ref = workflow["ref"]?.stringValue { source.refs.append(("externalParameters.workflow.ref", ref)) }
            }
            uri(external?["repository"]?.stringValue, "externalParameters.repository")
            if let ref = external?["ref"]?.stringValue { source.refs.append(("externalParameters.ref", ref)) }
            uri(external?["source"]?["uri"]?.stringValue ?? external?["source"]?.stringValue, "externalParameters.source")
            if let first = predicate["buildDefinition"]?["resolvedDependencies"]?.arrayValue?.first {
                uri(first["uri"]?.stringValue, "resolvedDependencies[0].uri")
                commit(first["digest"], "resolvedDependencies[0].digest")
            }
            let internals = predicate["buildDefinition"]?["internalParameters"]
            if let ref = internals?["GITHUB_REF"]?.stringValue { source.refs.append(("internalParameters.GITHUB_REF", ref)) }
            if let sha = internals?["GITHUB_SHA"]?.stringValue { source.commits.append(("internalParameters.GITHUB_SHA", sha)) }
        } else {
            let config = predicate["invocation"]?["configSource"]
            uri(config?["uri"]?.stringValue, "invocation.configSource.uri")
            commit(config?["digest"], "invocation.configSource.digest")
            if let first = predicate["materials"]?.arrayValue?.first {
                uri(first["uri"]?.stringValue, "materials[0].uri")
                commit(first["digest"], "materials[0].digest")
            }
            let environment = predicate["invocation"]?["environment"]
            if let ref = environment?["github_ref"]?.stringValue { source.refs.append(("invocation.environment.github_ref", ref)) }
            if let sha = environment?["github_sha1"]?.stringValue { source.commits.append(("invocation.environment.github_sha1", sha)) }
        }
        return source
    }

    // MARK: - Verifying

    /// Verifies the bundle for the artifact, then the provenance it signs: the builder, and the source the request
    /// expects. Returns the verdict and its report.
    public func verify(_ request: Request) async throws(HallmarkError) -> (verdict: Verdict<VerifiedProvenance>, report: Report) {
        let expectedBuilder = try Self.checkFlags(request)
        let operation = BundleVerification(context: context)
        let bundleRequest = BundleVerification.Request(bundle: request.bundle, artifact: request.artifact, trustedRoot: request.trustedRoot, key: request.key)
        let policy = try bundlePolicy(for: request, expectedBuilder: expectedBuilder)
        let bundle = try bundle(at: request.bundle)
        let root = try operation.trustedRoot(for: bundleRequest, bundle: bundle, policy: policy)
        let artifact = try operation.artifact(request.artifact)
        let bundleVerdict = await BundleVerifier(trustedRoot: root).verify(bundle, artifact: artifact, policy: policy, file: request.bundle)

        var report = Report(artifact: request.artifact, bundle: request.bundle, verified: false, problems: [], notes: bundleVerdict.value?.notes ?? [])
        guard let verified = bundleVerdict.value else {
            report.problems = Self.namingUntrustedBuilders(bundleVerdict.problems, bundle: bundle, expected: expectedBuilder)
            return (.failed(report.problems), report)
        }
        report.statement = verified.signature.statement
        var problems = ProblemList()
        let file = request.bundle
        report.signer = Self.describe(verified.signer)

        // The Statement must be SLSA provenance.
        let statement = verified.signature.statement
        let predicateType = statement?["predicateType"]?.stringValue
        report.predicateType = predicateType
        let v1 = Self.isProvenanceV1(predicateType)
        guard let statement, let v1, let predicateType else {
            problems.add(.provenanceNotProvenance, statement == nil
                ? "the bundle holds a message signature, not an in-toto Statement: it is not provenance"
                : "predicate type \(predicateType ?? "none") is not SLSA provenance v1 or v0.2", file: file)
            report.problems = problems.all
            return (.failed(problems.all), report)
        }
        let predicate = statement["predicate"] ?? .null
        let builderText = v1 ? predicate["runDetails"]?["builder"]?["id"]?.stringValue : predicate["builder"]?["id"]?.stringValue
        report.builderId = builderText

        let builderTrust = checkBuilder(
            named: builderText, signer: verified.signer, expected: expectedBuilder, problems: &problems, file: file)
        let source = try checkSource(
            of: predicate, v1: v1, signer: verified.signer, request: request, problems: &problems, file: file)
        report.sourceRepository = source.repository
        report.sourceRef = source.ref
        report.sourceCommit = source.commit
        report.sourceOrigin = source.origin

        let verdict = problems.verdict({ () -> VerifiedProvenance? in
            guard let builderText, let builderTrust, let repository = source.repository else { return nil }
            return VerifiedProvenance(
                bundle: verified, predicateType: predicateType, builderID: builderText, builderTrust: builderTrust,
                sourceRepository: repository, sourceRef: source.ref, sourceCommit: source.commit, sourceOrigin: source.origin)
        }, subject: "the provenance", file: file)
        report.verified = verdict.isVerified
        report.problems = verdict.problems
        report.builderTrust = verdict.value?.builderTrust
        return (verdict, report)
    }

    /// The source the provenance is from, as decided: the first repository (normalised), ref and commit of the
    /// claims that count, and where those were read.
    private struct SourceFacts {
        let repository: String?
        let ref: String?
        let commit: String?
        let origin: SourceOrigin
    }

    /// The signer as the report names it: the certificate's identity, or `key ID`.
    private static func describe(_ signer: VerifiedBundle.Signer) -> String {
        switch signer {
        case .certificate(let identity, _, _): identity.identity
        case .key(let keyID): "key \(keyID)"
        }
    }

    /// Whether `predicateType` is SLSA provenance v1 (true) or v0.2 (false); nil for anything else.
    private static func isProvenanceV1(_ predicateType: String?) -> Bool? {
        switch predicateType {
        case "https://slsa.dev/provenance/v1": true
        case "https://slsa.dev/provenance/v0.2": false
        default: nil
        }
    }

    /// Refuses more than one ref flag and malformed `--source-versioned-tag` or `--builder-id`; returns the builder
    /// `--builder-id` names.
    private static func checkFlags(_ request: Request) throws(HallmarkError) -> SLSABuilders.BuilderID? {
        let refFlags = [request.sourceTag, request.sourceVersionedTag, request.sourceBranch].compactMap { $0 }
        guard refFlags.count <= 1 else { throw .usage("pass one of --source-tag, --source-versioned-tag and --source-branch") }
        if let versioned = request.sourceVersionedTag { _ = try SLSABuilders.versionedTagMatches(provenanceTag: "v0", expected: versioned) }
        guard let text = request.builderID else { return nil }
        do { return try SLSABuilders.BuilderID(parsing: text) } catch { throw .usage("--builder-id: \(error.message)") }
    }

    /// The bundle's policy: the `--key`, or a signer that is a trusted builder's workflow (or a delegator, whose
    /// builder the provenance names) certified by the expected issuer.
    private func bundlePolicy(for request: Request, expectedBuilder: SLSABuilders.BuilderID?) throws(HallmarkError) -> BundlePolicy {
        if let key = request.key {
            return try BundlePolicy(key: try KeyResolver(context: context).publicKey(key))
        }
        var names = Set(SLSABuilders.trustedByDefault)
        if let expectedBuilder { names.insert(expectedBuilder.name) }
        return try BundlePolicy(identity: IdentityPolicy(san: .workflow(names: names), issuer: .exact(request.issuer)))
    }

    /// The bundle's problems, with an identity outside the trusted builders reported as an untrusted builder.
    private static func namingUntrustedBuilders(
        _ problems: [VerificationProblem], bundle: SigstoreBundle, expected: SLSABuilders.BuilderID?
    ) -> [VerificationProblem] {
        var signer = "a certificate without an identity"
        if case .certificate(let leaf, _) = bundle.material, let first = leaf.identities.first { signer = first }
        let trusted = expected.map { "the builder \($0)" } ?? "a builder Hallmark trusts by default (DESIGN.md lists them)"
        return problems.map { problem in
            guard problem.code == .identityMismatch else { return problem }
            return VerificationProblem(
                .provenanceUntrustedBuilder, "the provenance was signed by \(signer), which is not \(trusted); pass --builder-id to trust another builder",
                file: problem.file)
        }
    }

    /// The builder: the provenance must name one, and it must be trusted as the signer requires (a certified
    /// builder, or the one `--builder-id` names under `--key`). Returns how it is trusted, or nil.
    private func checkBuilder(
        named builderText: String?, signer: VerifiedBundle.Signer, expected expectedBuilder: SLSABuilders.BuilderID?,
        problems: inout ProblemList, file: String
    ) -> String? {
        var provenanceBuilder: SLSABuilders.BuilderID?
        if let builderText {
            do { provenanceBuilder = try SLSABuilders.BuilderID(parsing: builderText) } catch {
                problems.add(.provenanceBuilderMismatch, "the provenance's \(error.message)", file: file)
            }
        } else {
            problems.add(.provenanceBuilderMismatch, "the provenance names no builder id", file: file)
        }
        switch signer {
        case .certificate(let identity, _, _):
            return checkCertifiedBuilder(
                signer: SLSABuilders.BuilderID(workflowIdentity: identity.identity), provenance: provenanceBuilder,
                expected: expectedBuilder, problems: &problems, file: file)
        case .key:
            if let expectedBuilder, let provenanceBuilder, !provenanceBuilder.matchesLoose(expectedBuilder) {
                problems.add(.provenanceBuilderMismatch, "the builder is \(provenanceBuilder), not \(expectedBuilder)", file: file)
            }
            return "--key"
        }
    }

    /// The source: from the certificate, which the predicate must agree with; or the predicate (key-signed). Its
    /// repository and ref must be the ones the request expects.
    private func checkSource(
        of predicate: JSONValue, v1: Bool, signer: VerifiedBundle.Signer, request: Request, problems: inout ProblemList,
        file: String
    ) throws(HallmarkError) -> SourceFacts {
        let predicateClaims = Self.predicateSource(predicate, v1: v1)
        var origin = SourceOrigin.predicate
        var claims = predicateClaims
        if case .certificate(let identity, _, _) = signer {
            origin = .certificate
            claims = Self.certificateSource(identity.claims)
            if claims.repositories.isEmpty {
                problems.add(.provenanceSourceMismatch, "the signing certificate records no source repository", file: file)
            }
            agree(predicateClaims, with: claims, problems: &problems, file: file)
        }
        agree(claims, with: claims, problems: &problems, file: file)  // a source's own claims must agree with each other
        let facts = SourceFacts(
            repository: claims.repositories.first.map { Self.normalizeRepository($0.value) }, ref: claims.refs.first?.value,
            commit: claims.commits.first?.value, origin: origin)
        if let repository = facts.repository {
            if repository != Self.normalizeRepository(request.sourceURI) {
                problems.add(.provenanceSourceMismatch, "the source is \(repository) (from the \(origin.rawValue)), not \(Self.normalizeRepository(request.sourceURI))", file: file)
            }
        } else if origin == .predicate {
            problems.add(.provenanceSourceMismatch, "the provenance records no source repository", file: file)
        }
        try checkRef(facts.ref, request: request, origin: origin, problems: &problems, file: file)
        return facts
    }

    /// The certificate's signer must be a trusted builder at a release tag, and the provenance must name it (or,
    /// for a delegator, name a builder of the generator or the one `--builder-id` gives). Returns how it is trusted.
    func checkCertifiedBuilder(
        signer: SLSABuilders.BuilderID, provenance: SLSABuilders.BuilderID?, expected: SLSABuilders.BuilderID?,
        problems: inout ProblemList, file: String
    ) -> String? {
        let before = problems.all.count
        let generator = signer.name.hasPrefix(SLSABuilders.generatorRepository + "/")
        if generator, !SLSABuilders.isReleaseTagRef(signer.version ?? "") {
            problems.add(.provenanceUntrustedBuilder, "the builder \(signer.name) ran at \(signer.version ?? "no ref"), not at a release tag refs/tags/vX.Y.Z", file: file)
        }
        let trust: String
        if SLSABuilders.delegators.contains(signer.name) {
            // Bring-your-own-builder: the provenance names the builder that ran, at a release tag.
            trust = expected == nil ? "default" : "--builder-id"
            guard let provenance else { return nil }
            if !(provenance.version.map(SLSABuilders.isReleaseTagRef) ?? false) {
                problems.add(.provenanceUntrustedBuilder, "the delegated builder \(provenance) is not at a release tag refs/tags/vX.Y.Z", file: file)
            }
            if let expected {
                if !provenance.matchesLoose(expected) {
                    problems.add(.provenanceBuilderMismatch, "the builder is \(provenance), not \(expected)", file: file)
                }
            } else if !provenance.name.hasPrefix(SLSABuilders.workflows) {
                problems.add(.provenanceUntrustedBuilder, "the delegated builder \(provenance.name) is not a workflow of \(SLSABuilders.generatorRepository); pass --builder-id to trust it", file: file)
            }
        } else {
            if let expected {
                trust = "--builder-id"
                if !signer.matchesLoose(expected) {
                    problems.add(.provenanceBuilderMismatch, "the provenance was signed by \(signer), not the builder \(expected)", file: file)
                }
            } else {
                trust = "default"
                if !SLSABuilders.trustedArtifactBuilders.contains(signer.name) {
                    problems.add(.provenanceUntrustedBuilder, "\(signer.name) is not a builder Hallmark trusts by default; pass --builder-id to trust it", file: file)
                }
            }
            if let provenance, !provenance.matchesFull(signer) {
                problems.add(.provenanceBuilderMismatch, "the provenance claims builder \(provenance), but it was signed by \(signer)", file: file)
            }
        }
        return problems.all.count == before ? trust : nil
    }

    /// Every repository, ref and commit `claims` states must be one of `reference`'s (normalised for repositories).
    func agree(_ claims: SourceClaims, with reference: SourceClaims, problems: inout ProblemList, file: String) {
        func check(_ stated: [(field: String, value: String)], _ trusted: [(field: String, value: String)], _ what: String, _ normalize: (String) -> String) {
            guard let anchor = trusted.first else { return }
            for claim in stated where normalize(claim.value) != normalize(anchor.value) {
                problems.add(.provenancePredicateMismatch, "the \(what) in \(claim.field) (\(normalize(claim.value))) disagrees with the \(anchor.field) (\(normalize(anchor.value)))", file: file)
            }
        }
        check(claims.repositories, reference.repositories, "source repository", Self.normalizeRepository)
        check(claims.refs, reference.refs, "source ref") { $0 }
        check(claims.commits, reference.commits, "source commit") { $0.lowercased() }
    }

    func checkRef(_ ref: String?, request: Request, origin: SourceOrigin, problems: inout ProblemList, file: String) throws(HallmarkError) {
        let from = "(from the \(origin.rawValue))"
        if let tag = request.sourceTag, ref != "refs/tags/\(tag)" {
            problems.add(.provenanceRefMismatch, "the source ref is \(ref ?? "missing") \(from), not refs/tags/\(tag)", file: file)
        }
        if let branch = request.sourceBranch, ref != "refs/heads/\(branch)" {
            problems.add(.provenanceRefMismatch, "the source ref is \(ref ?? "missing") \(from), not refs/heads/\(branch)", file: file)
        }
        if let versioned = request.sourceVersionedTag {
            guard let ref, ref.hasPrefix("refs/tags/") else {
                problems.add(.provenanceRefMismatch, "the source ref is \(ref ?? "missing") \(from), not a tag", file: file)
                return
            }
            let tag = String(ref.dropFirst("refs/tags/".count))
            if try !SLSABuilders.versionedTagMatches(provenanceTag: tag, expected: versioned) {
                problems.add(.provenanceRefMismatch, "the source tag \(tag) \(from) does not match the versioned tag \(versioned)", file: file)
            }
        }
    }
}
