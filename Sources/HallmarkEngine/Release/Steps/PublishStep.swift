import Foundation
import HallmarkCore

/// Step 13: the verified staging directory replaces `DIST/VERSION` by renames, so the release directory is
/// either the old one or the new one, never a mix.
struct PublishStep: ReleaseStep {
    let name = "publish"
    let requires: [ReleaseProduct] = [.workspace, .verification]
    let produces = ReleaseProduct.published

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let workspace = try state.need(\.workspace, .workspace, for: name)
        _ = try state.need(\.verification, .verification, for: name)
        let releaseDirectory = workspace.releaseDirectory
        let workingDirectory = context.engine.workingDirectory
        if FileManager.default.fileExists(atPath: releaseDirectory) {
            state.warn("replacing the previous \(Paths.relative(releaseDirectory, from: workingDirectory))", context)
        }
        try Paths.replaceDirectory(releaseDirectory, with: workspace.staging, scratch: workspace.workRoot + "/previous")
        return Paths.relative(releaseDirectory, from: workingDirectory)
    }
}
