import Foundation
import HallmarkCore
import HallmarkCrypto

/// Step 8: SLSA v1 provenance whose subjects are the archives and the metadata written so far (index, SBOM,
/// reproducibility manifest); signed as a DSSE envelope unless this is a dry run.
struct ProvenanceStep: ReleaseStep {
    let name = "provenance"
    let requires: [ReleaseProduct] = [.signingKey, .facts, .index, .sbom, .reproducibility]
    let produces = ReleaseProduct.provenance

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let facts = try state.need(\.facts, .facts, for: name)
        let signing = try state.need(\.signing, .signingKey, for: name)
        let sbom = state.inputs.config.sbomEnabled ? [SPDXDocument.fileName] : []
        let subjectNames =
            facts.artifacts.map(\.archive) + [ReleaseIndex.fileName] + sbom + [ReproducibilityManifest.fileName]
        var subjects: [(name: String, sha256: String)] = []
        for subject in subjectNames { subjects.append((subject, try state.files.sha256(of: subject))) }
        let statement = ProvenanceBuilder.statement(facts, subjects: subjects)
        try state.stage("provenance.json", try StagedFiles.json(statement), for: name)
        guard let key = signing.key else { return "SLSA v1, unsigned (dry run)" }
        let envelope = try Attestation(context: context.engine).sign(statement, key: key)
        try state.stage("provenance.intoto.jsonl", try Attestation.jsonLine(envelope), for: name)
        return "SLSA v1, signed DSSE"
    }
}
