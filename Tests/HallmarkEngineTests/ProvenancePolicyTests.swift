import Foundation
import HallmarkCore
import HallmarkCrypto
@testable import HallmarkEngine
import HallmarkTestSupport
import Testing

/// The provenance policy as slsa-verifier decides it: builder ids, release tags, versioned tags, sources.
@Suite struct ProvenancePolicyTests {
    typealias BuilderID = SLSABuilders.BuilderID
    static let generic = SLSABuilders.generatorRepository + "/.github/workflows/generator_generic_slsa3.yml"

    @Test("Builder ids: NAME, NAME@v2.1.0 and NAME@refs/tags/v2.1.0 match as slsa-verifier's MatchesLoose")
    func builderIDs() throws {
        let signer = BuilderID(workflowIdentity: Self.generic + "@refs/tags/v2.1.0")
        for (expected, matches) in [
            (Self.generic, true), (Self.generic + "@v2.1.0", true), (Self.generic + "@refs/tags/v2.1.0", true),
            (Self.generic + "@v2.1", false), (Self.generic + "@v2.1.1", false), (Self.generic + "@refs/heads/main", false),
            (Self.generic + "x", false), ("https://github.com/other/repo/.github/workflows/generator_generic_slsa3.yml", false),
        ] {
            #expect(signer.matchesLoose(try BuilderID(parsing: expected)) == matches, "\(expected)")
        }
        for malformed in ["", "a@", "a@b@c", "@v1"] {
            #expect(throws: HallmarkError.self, "\(malformed)") { _ = try BuilderID(parsing: malformed) }
        }
        // MatchesFull: the provenance's builder.id against the signer's NAME@REF.
        #expect(try BuilderID(parsing: Self.generic + "@refs/tags/v2.1.0").matchesFull(signer))
        #expect(try BuilderID(parsing: Self.generic + "@v2.1.0").matchesFull(signer))
        #expect(try !BuilderID(parsing: Self.generic).matchesFull(signer))
        #expect(try !BuilderID(parsing: Self.generic + "@v2.1.1").matchesFull(signer))
    }

    @Test("Generator workflows are trusted only at refs/tags/vX.Y.Z")
    func releaseTags() {
        for (ref, ok) in [("refs/tags/v1.2.3", true), ("refs/tags/v10.0.1", true), ("refs/tags/v1.2", false), ("refs/tags/v1", false),
                          ("refs/tags/v1.2.3-alpha", false), ("refs/tags/v1.2.3+build", false), ("refs/heads/main", false),
                          ("v1.2.3", false), ("refs/tags/1.2.3", false), ("refs/tags/v01.2.3", false)] {
            #expect(SLSABuilders.isReleaseTagRef(ref) == ok, "\(ref)")
        }
    }

    func check(_ signer: String, provenance: String?, expected: String? = nil) throws -> [ProblemCode] {
        var problems = ProblemList()
        let trust = ProvenanceVerification(context: EngineContext(environment: [:], workingDirectory: "/")).checkCertifiedBuilder(
            signer: BuilderID(workflowIdentity: signer), provenance: try provenance.map(BuilderID.init(parsing:)),
            expected: try expected.map(BuilderID.init(parsing:)), problems: &problems, file: "b")
        #expect((trust == nil) == !problems.isEmpty)
        return problems.codes
    }

    @Test("Trusted builders, delegators, and builders trusted with --builder-id")
    func builders() throws {
        let tag = "@refs/tags/v2.1.0"
        let delegator = SLSABuilders.delegators[0]
        let maven = SLSABuilders.generatorRepository + "/.github/workflows/builder_maven_slsa3.yml"
        let own = "https://github.com/org/repo/.github/workflows/release.yml"
        // The default set, at a release tag, named by the provenance.
        #expect(try check(Self.generic + tag, provenance: Self.generic + tag) == [])
        #expect(try check(Self.generic + "@refs/heads/main", provenance: Self.generic + "@refs/heads/main") == [.provenanceUntrustedBuilder])
        #expect(try check(Self.generic + tag, provenance: Self.generic + "@refs/tags/v9.9.9") == [.provenanceBuilderMismatch])
        #expect(try check(Self.generic + tag, provenance: own + tag) == [.provenanceBuilderMismatch])
        // Not in the default set without --builder-id; trusted with it.
        #expect(try check(own + "@refs/heads/main", provenance: own + "@refs/heads/main") == [.provenanceUntrustedBuilder])
        #expect(try check(own + "@refs/heads/main", provenance: own + "@refs/heads/main", expected: own) == [])
        #expect(try check(own + "@refs/heads/main", provenance: own + "@refs/heads/main", expected: own + "@v1.0.0") == [.provenanceBuilderMismatch])
        // Delegators: the provenance names the builder that ran, at a release tag, of the generator's workflows.
        #expect(try check(delegator + tag, provenance: maven + "@refs/tags/v2.0.0") == [])
        #expect(try check(delegator + tag, provenance: maven + "@refs/heads/main") == [.provenanceUntrustedBuilder])
        #expect(try check(delegator + tag, provenance: own + "@refs/tags/v1.0.0") == [.provenanceUntrustedBuilder])
        #expect(try check(delegator + tag, provenance: own + "@refs/tags/v1.0.0", expected: own) == [])
        #expect(try check(delegator + tag, provenance: maven + "@refs/tags/v2.0.0", expected: own) == [.provenanceBuilderMismatch])
    }

    /// slsa-verifier's Test_VerifyVersionedTag (verifiers/internal/gha/provenance_test.go): the provenance's tag,
    /// the flag, and whether it matches (nil: the flag is not semver, a usage error).
    static let versionedTags: [(String, String, Bool?)] = [
        ("v1.2", "1.2", nil), ("vslsa1", "vslsa1", nil), ("vslsa1", "v1.2.3", false),
        ("v1.2.3", "v1.2.3", true), ("v1.2.3", "v1.2", true), ("v1.2.3", "v1", true), ("v1.2.3", "v2", false), ("v1.2.3", "v1.3", false),
        ("v1.2.3", "v1.2.4", false), ("v1.2.3", "v1.2.2", false), ("v1.2", "v1.2", true), ("v1.2", "v1", true), ("v1.3", "v1.1", false),
        ("v1.3", "v0", false), ("v1.2", "v1.3", false), ("v1.2", "v1.2.3", false), ("v1.2", "v1.2.0", true), ("v1.2", "v1.2.0+123", true),
        ("v1.2", "v1.2+123", nil), ("v1.2", "v1.2-alpha", nil), ("v1.2", "v1-alpha", nil), ("v1.2", "v1+123", nil), ("v1.2", "v1-alpha+123", nil),
        ("v1.2", "v1.2-alpha+123", nil), ("v1.2.3-alpha", "v1.2.3-alpha", true), ("v1.2.3-alpha", "v1.2.3", false),
        ("v1.2.3-alpha+123", "v1.2.3-alpha", true), ("v1.2.3-alpha+123", "v1.2.3-alpha+123", true), ("v1.2.3-alpha+123", "v1.2.3-alpha+456", true),
        ("v1.2.3-alpha", "v1.2.3-alpha+123", true), ("v1.2.3-alpha", "v1.2.3-beta+123", false), ("v1.2.3+123", "v1.2.3-alpha+123", false),
        ("v1.2.3+123", "v1.2.3-alpha", false), ("v1.2.3+123", "v1.2.3+123", true), ("v1.2.3+123", "v1.2.3", true), ("v1.2.3+123", "v1.2.3+456", true),
        ("v1.2.3", "v1.2.3-alpha", false), ("v1.2.3-alpha", "v1.2.3-beta", false), ("v1.2", "v1.2.3-beta", false), ("v1.2.3", "v1.2.3+123", true),
        ("v1.2", "v1.2.0-alpha+123", false), ("v1.2", "v2", false), ("v1", "v1", true), ("v1", "v2", false), ("v1", "v1.2", false), ("v1", "v0", false),
        ("v1", "v1.2.3", false), ("v1", "v1.0", true), ("v1", "v1.0.0", true), ("v1", "v1-alpha", nil),
        ("v13.0.30", "v13", true), ("v14", "v14.0", true), ("v14.2", "v14.2.1", false),
    ]

    @Test("--source-versioned-tag as slsa-verifier's VerifyVersionedTag")
    func versionedTags() {
        for (tag, flag, expected) in Self.versionedTags {
            switch Result(catching: { () throws(HallmarkError) in try SLSABuilders.versionedTagMatches(provenanceTag: tag, expected: flag) }) {
            case .success(let matched): #expect(matched == expected, "\(tag) vs \(flag)")
            case .failure(let error): #expect(expected == nil && error.code == .usage, "\(tag) vs \(flag): \(error.message)")
            }
        }
    }

    @Test("Branch refs and missing refs fail --source-versioned-tag as ref mismatches")
    func versionedTagNeedsATag() throws {
        let operation = ProvenanceVerification(context: EngineContext(environment: [:], workingDirectory: "/"))
        for ref in [nil, "refs/heads/v1.2.3"] as [String?] {
            var problems = ProblemList()
            try operation.checkRef(ref, request: .init(artifact: "a", bundle: "b", sourceURI: "s", sourceVersionedTag: "v1.2.3"), origin: .certificate, problems: &problems, file: "b")
            #expect(problems.codes == [.provenanceRefMismatch])
        }
    }

    @Test("The predicate's source facts must agree with the certificate's")
    func sources() {
        let operation = ProvenanceVerification(context: EngineContext(environment: [:], workingDirectory: "/"))
        let predicate = JSONValue.object([
            "buildDefinition": .object([
                "externalParameters": .object(["workflow": .object(["repository": .string("https://github.com/org/repo"), "ref": .string("refs/tags/v1.0.0")])]),
                "resolvedDependencies": .array([.object(["uri": .string("git+https://github.com/org/repo@refs/tags/v1.0.0"), "digest": .object(["gitCommit": .string("abc")])])]),
            ]),
        ])
        let stated = ProvenanceVerification.predicateSource(predicate, v1: true)
        #expect(stated.repositories.count == 2 && stated.refs.count == 2 && stated.commits.count == 1)
        func certificate(_ repository: String, _ ref: String, _ commit: String) -> ProvenanceVerification.SourceClaims {
            ProvenanceVerification.SourceClaims(repositories: [("cert", repository)], refs: [("cert", ref)], commits: [("cert", commit)])
        }
        for (claims, agrees) in [
            (certificate("https://github.com/org/repo", "refs/tags/v1.0.0", "ABC"), true),
            (certificate("https://github.com/evil/repo", "refs/tags/v1.0.0", "abc"), false),
            (certificate("https://github.com/org/repo", "refs/heads/main", "abc"), false),
            (certificate("https://github.com/org/repo", "refs/tags/v1.0.0", "def"), false),
        ] {
            var problems = ProblemList()
            operation.agree(stated, with: claims, problems: &problems, file: "b")
            #expect(problems.isEmpty == agrees, "\(claims.repositories) \(claims.refs) \(claims.commits): \(problems.all)")
            #expect(problems.codes.allSatisfy { $0 == .provenancePredicateMismatch })
        }
        #expect(ProvenanceVerification.normalizeRepository("git+https://github.com/Org/Repo.git@refs/tags/v1") == "github.com/Org/Repo")
        #expect(ProvenanceVerification.normalizeRepository("https://GitHub.com/org/repo/") == "github.com/org/repo")
    }

    @Test("npm's attestations file and a sha512-only subject, keyed")
    func npmAttestations() async throws {
        let dir = try TemporaryDirectory()
        let context = EngineContext(environment: [:], workingDirectory: dir.path)
        let key = try PrivateKey.generate(.ecdsaP256)
        try dir.write("k.pub", key.publicKey.pemText)
        let tarball = Data("package tarball".utf8)
        try dir.write("pkg.tgz", tarball)
        let sha512 = try ProcessRunner.run("sha512sum", [dir.url("pkg.tgz")]).stdout.prefix(128)
        let statement = JSONValue.object([
            "_type": .string(InTotoStatement.typeV1),
            "subject": .array([.object(["name": .string("pkg:npm/pkg@1.0.0"), "digest": .object(["sha512": .string(String(sha512))])])]),
            "predicateType": .string("https://slsa.dev/provenance/v1"),
            "predicate": .object([
                "buildDefinition": .object([
                    "buildType": .string("https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"),
                    "externalParameters": .object(["workflow": .object(["repository": .string("https://github.com/org/pkg"), "ref": .string("refs/tags/v1.0.0")])]),
                    "resolvedDependencies": .array([.object(["uri": .string("git+https://github.com/org/pkg@refs/tags/v1.0.0")])]),
                ]),
                "runDetails": .object(["builder": .object(["id": .string("https://github.com/actions/runner/github-hosted")])]),
            ]),
        ])
        let envelope = try DSSESigning.sign(payload: statement.canonicalData, payloadType: DSSEEnvelope.inTotoPayloadType, keys: [key])
        let bundle = KeyedBundle.dsse(envelope, keyHint: key.publicKey.keyID)
        let file = JSONValue.object(["attestations": .array([
            .object(["predicateType": .string("https://github.com/npm/attestation/tree/main/specs/publish/v0.1"), "bundle": bundle]),
            .object(["predicateType": .string("https://slsa.dev/provenance/v1"), "bundle": bundle]),
        ])])
        try dir.write("attestations.json", file.canonicalData)
        let operation = ProvenanceVerification(context: context)
        func verify(_ artifact: String, source: String = "github.com/org/pkg", tag: String? = "v1") async throws -> Verdict<ProvenanceVerification.VerifiedProvenance> {
            try await operation.verify(.init(artifact: artifact, bundle: "attestations.json", sourceURI: source, sourceVersionedTag: tag, key: "k.pub")).verdict
        }
        let byFile = try await verify("pkg.tgz")
        #expect(byFile.isVerified, "\(byFile.problems)")
        #expect(byFile.value?.bundle.signature.subjectMatchedBy == .sha512)
        #expect(try await verify("sha512:" + sha512).isVerified)
        let sha256 = try ProcessRunner.run("sha256sum", [dir.url("pkg.tgz")]).stdout.prefix(64)
        #expect(try await verify("sha256:" + sha256).problems.map(\.code) == [.subjectMismatch])
        #expect(try await verify("pkg.tgz", source: "github.com/evil/pkg").problems.map(\.code) == [.provenanceSourceMismatch])
        #expect(try await verify("pkg.tgz", tag: "v2").problems.map(\.code) == [.provenanceRefMismatch])
    }
}
