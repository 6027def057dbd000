import Foundation
import HallmarkCore

/// Preparation: an empty work directory (staging and logs) and a clean checkout of the commit at a fixed path.
/// Every build runs in the checkout, never in the live work tree: what ships is what the commit builds, and a
/// rebuild finds the same paths.
struct WorkspaceStep: ReleaseStep {
    let name = "workspace"
    let announced = false
    let requires: [ReleaseProduct] = [.guardReport, .source]
    let produces = ReleaseProduct.workspace

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let inputs = state.inputs
        let report = try state.need(\.guardReport, .guardReport, for: name)
        let source = try state.need(\.source, .source, for: name)
        let commit = source.commit
        var workspace = ReleaseWorkspace(
            distRoot: inputs.distRoot, version: inputs.options.version, tree: BuildTree(commit: commit),
            workingDirectory: source.workingDirectory)
        try Paths.removeIfPresent(workspace.workRoot)
        for directory in [workspace.staging, workspace.logs] { try Paths.makeDirectory(directory) }
        workspace.tree = try BuildTree.prepare(
            workspace.tree, repository: source.repoRoot, commit: commit, environment: context.engine.processEnvironment)
        state.workspace = workspace
        if inputs.options.dryRun, report.failures.contains(where: { $0.name == "clean" }) {
            state.warn(
                "the build uses commit \(commit.prefix(12)) as committed: uncommitted changes are not built", context)
        }
        return workspace.tree.source
    }
}
