import Foundation
import HallmarkCore
import HallmarkCrypto

/// Step 9: the release evidence (JSON and Markdown) — the checks so far, a cross-check of the metadata against the
/// archives' digests, and every file written before it with its digest.
struct EvidenceStep: ReleaseStep {
    let name = "evidence"
    let requires: [ReleaseProduct] = [.guardReport, .signingKey, .workspace, .facts, .provenance]
    let produces = ReleaseProduct.evidence

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let report = try state.need(\.guardReport, .guardReport, for: name)
        let signing = try state.need(\.signing, .signingKey, for: name)
        let workspace = try state.need(\.workspace, .workspace, for: name)
        let facts = try state.need(\.facts, .facts, for: name)
        let cross = MetadataCrossCheck.run(
            root: workspace.staging, expected: state.files.records.mapValues(\.sha256),
            keys: signing.key.map { [$0.publicKey] } ?? [], complete: false)
        var checks = report.checks.map {
            ReleaseEvidence.Check(name: "version-guard: \($0.name)", passed: $0.passed, detail: $0.detail)
        }
        checks.append(
            .init(
                name: "builds", passed: true,
                detail: "\(facts.artifacts.count) targets built; each binary hashed after its build"))
        checks.append(
            .init(
                name: "metadata cross-check", passed: cross.problems.isEmpty,
                detail: cross.problems.isEmpty
                    ? "\(cross.checked.joined(separator: ", ")) agree with the archives' digests"
                    : cross.problems.map(\.message).joined(separator: "; ")))
        if let problem = cross.problems.first {
            throw .verificationFailed(
                "the release metadata disagrees with itself: \(problem.message)", problem: problem.code)
        }
        let evidence = Self.evidence(
            facts, checks: checks, signing: signing, files: state.files, configSize: state.inputs.configData.count)
        try state.stage(ReleaseEvidence.fileName, try StagedFiles.json(evidence), for: name)
        try state.stage(ReleaseEvidence.markdownFileName, Data(ReleaseNotes.evidenceMarkdown(evidence).utf8), for: name)
        return "\(checks.count) checks passed"
    }

    /// The evidence record: source, builder, config, targets, the files written so far, signing and checks.
    static func evidence(
        _ facts: ReleaseFacts, checks: [ReleaseEvidence.Check], signing: SigningChoice, files: StagedFiles,
        configSize: Int
    ) -> ReleaseEvidence {
        ReleaseEvidence(
            name: facts.name, version: facts.version, commit: facts.commit, ref: facts.ref,
            repository: facts.repository, sourceDate: facts.sourceDate,
            builder: .init(
                id: facts.builderID, invocationId: facts.invocationID, hallmarkVersion: VersionInfo.releaseVersion,
                tools: facts.tools),
            config: .init(name: facts.config, sha256: facts.configSha256, size: UInt64(configSize)),
            dryRun: !signing.signed,
            targets: facts.artifacts.map {
                .init(
                    os: $0.platform.os, arch: $0.platform.arch, build: $0.build, archive: $0.archive,
                    sha256: $0.archiveSha256, binarySha256: $0.binarySha256)
            }, files: files.sorted.map { .init(name: $0.name, sha256: $0.record.sha256, size: $0.record.size) },
            dependencies: facts.dependencies.count,
            signing: .init(
                signed: signing.signed, keyId: signing.key?.publicKey.keyID,
                algorithm: signing.key?.algorithm.signatureAlgorithmName), checks: checks)
    }
}
