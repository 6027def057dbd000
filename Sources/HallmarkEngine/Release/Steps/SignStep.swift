import Foundation
import HallmarkCore
import HallmarkCrypto

/// Step 11: checksums.txt and a signature for every file; in a dry run, checksums.txt of the files written so far
/// and nothing signed.
struct SignStep: ReleaseStep {
    let name = "sign"
    let requires: [ReleaseProduct] = [.signingKey, .workspace, .notes]
    let produces = ReleaseProduct.signatures

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let signing = try state.need(\.signing, .signingKey, for: name)
        let workspace = try state.need(\.workspace, .workspace, for: name)
        if let key = signing.key {
            let result = try ReleaseSigning(context: context.engine).sign(directory: workspace.staging, key: key)
            return "\(result.signed.count) files signed with \(String(result.keyId.prefix(16)))… (\(result.algorithm))"
        }
        let entries = state.files.sorted.map {
            ChecksumEntry(algorithm: .sha256, digest: $0.record.sha256, path: $0.name)
        }
        try FileIO.writeAtomically(
            ChecksumList(entries: entries).gnuData, to: workspace.staging + "/" + ReleaseDirectory.checksums)
        state.warn("dry run: nothing was signed (no signatures.json, no provenance.intoto.jsonl)", context)
        return "dry run: checksums.txt only, nothing signed"
    }
}
