import Foundation
import HallmarkCore

/// Step 2: the config's test command, run in the checkout; a failure shows its log's tail and stops the release.
struct TestStep: ReleaseStep {
    let name = "test"
    let requires: [ReleaseProduct] = [.workspace]
    let produces = ReleaseProduct.tested

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let config = state.inputs.config
        let workspace = try state.need(\.workspace, .workspace, for: name)
        guard let command = config.testCommand, !state.inputs.options.skipTests else {
            return config.testCommand == nil ? "no test command configured" : "skipped (--skip-tests)"
        }
        let log = workspace.logs + "/test.log"
        let status = try Subprocess.shell(
            command, in: workspace.sourceDirectory, environment: context.engine.processEnvironment, logPath: log)
        guard status == 0 else {
            context.progress(.logTail(path: log, text: Subprocess.tail(log)))
            throw .invalidInput("the test command failed (exit \(status)); see \(log)")
        }
        return command
    }
}
