import Foundation
import HallmarkCore

/// Step 5: index.json — the archives with their digests, and the names of the metadata files the release will hold.
struct IndexStep: ReleaseStep {
    let name = "index"
    let requires: [ReleaseProduct] = [.signingKey, .facts]
    let produces = ReleaseProduct.index

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let facts = try state.need(\.facts, .facts, for: name)
        let signing = try state.need(\.signing, .signingKey, for: name)
        let index = ReleaseIndex(
            name: facts.name, version: facts.version, commit: facts.commit, sourceDateEpoch: facts.sourceDateEpoch,
            repository: facts.repository, artifacts: facts.artifacts.map(\.indexEntry),
            metadata: Self.metadataNames(signed: signing.signed, sbom: state.inputs.config.sbomEnabled)
                + (state.inputs.config.deployments == nil ? [] : [EndpointDeployment.fileName(project: facts.name)]))
        try state.stage(ReleaseIndex.fileName, try StagedFiles.json(index), for: name)
        return "\(facts.artifacts.count) artifacts"
    }

    /// The metadata files a release holds besides index.json, in the order index.json lists them.
    static func metadataNames(signed: Bool, sbom: Bool) -> [String] {
        var metadata = [SPDXDocument.fileName, ReproducibilityManifest.fileName, "provenance.json"]
        if signed { metadata.append("provenance.intoto.jsonl") }
        metadata += [
            ReleaseEvidence.fileName, ReleaseEvidence.markdownFileName, "release-notes.md", ReleaseDirectory.checksums,
        ]
        if signed { metadata.append(ReleaseDirectory.signatures) }
        if !sbom { metadata.removeAll { $0 == SPDXDocument.fileName } }
        return metadata
    }
}

/// Step 6: the SPDX 2.3 SBOM of the archives, their binaries and the locked dependencies (unless the config turns
/// it off).
struct SBOMStep: ReleaseStep {
    let name = "sbom"
    let requires: [ReleaseProduct] = [.facts]
    let produces = ReleaseProduct.sbom

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let facts = try state.need(\.facts, .facts, for: name)
        guard state.inputs.config.sbomEnabled else { return "disabled in the config" }
        try state.stage(SPDXDocument.fileName, try StagedFiles.json(SBOMBuilder.document(facts)), for: name)
        return "SPDX 2.3, \(facts.dependencies.count) dependencies"
    }
}
