import Foundation
import HallmarkCore

/// Step 7: reproducibility.json — everything `hallmark rebuild` needs to repeat each target's build: the commit,
/// the pinned environment, the tools, the checkout's layout and each target's command and binary digest.
struct ReproducibilityStep: ReleaseStep {
    let name = "reproducibility"
    let requires: [ReleaseProduct] = [.workspace, .buildPlan, .facts]
    let produces = ReleaseProduct.reproducibility

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let facts = try state.need(\.facts, .facts, for: name)
        let plan = try state.need(\.buildPlan, .buildPlan, for: name)
        let workspace = try state.need(\.workspace, .workspace, for: name)
        let manifest = ReproducibilityManifest(
            name: facts.name, version: facts.version, commit: facts.commit, ref: facts.ref,
            repository: facts.repository, workflowRef: facts.workflowRef, workingDirectory: facts.workingDirectory,
            config: facts.config, configSha256: facts.configSha256, sourceDateEpoch: facts.sourceDateEpoch,
            environment: plan.pinnedEnvironment, tools: facts.tools,
            targets: facts.artifacts.map { Self.target($0, of: facts) }, buildTree: workspace.tree.convention)
        try state.stage(ReproducibilityManifest.fileName, try StagedFiles.json(manifest), for: name)
        return "\(facts.artifacts.count) targets"
    }

    /// One target's entry, with the `hallmark rebuild` command that repeats it (naming the build when more than
    /// one build makes that target).
    static func target(_ artifact: BuiltArtifact, of facts: ReleaseFacts) -> ReproducibilityManifest.Target {
        let shared = facts.artifacts.filter { $0.platform == artifact.platform }.count > 1
        return ReproducibilityManifest.Target(
            os: artifact.platform.os, arch: artifact.platform.arch, build: artifact.build,
            directory: artifact.directory, command: artifact.command, environment: artifact.environment,
            output: artifact.output,
            binary: ReleaseIndex.Binary(
                path: artifact.binaryPath, sha256: artifact.binarySha256, size: artifact.binarySize),
            rebuild: "hallmark rebuild \(facts.version) --target \(artifact.platform)"
                + (shared ? " --build \(artifact.build)" : ""))
    }
}
