import Foundation
import HallmarkCore
import Logging

/// Runs a list of release steps: refuses a list whose steps need what no earlier step makes before anything runs,
/// then runs each in order, announcing and timing the numbered ones, and removes the checkout when the run ends,
/// whether it passed or not.
struct ReleaseDriver: Sendable {
    var steps: [any ReleaseStep]
    var context: ReleaseStepContext

    /// Runs every step on `state`; returns the announced steps' times.
    func run(_ state: inout ReleaseState) throws(HallmarkError) -> [ReleasePipeline.StepTime] {
        try Self.checkOrder(steps, given: state.produced)
        defer { state.workspace?.tree.remove() }
        let total = steps.filter(\.announced).count
        var times: [ReleasePipeline.StepTime] = []
        for step in steps {
            if step.announced {
                times.append(try announce(step, number: times.count + 1, total: total, state: &state))
            } else {
                _ = try step.run(&state, context)
            }
            state.produced.insert(step.produces)
        }
        return times
    }

    private func announce(_ step: any ReleaseStep, number: Int, total: Int, state: inout ReleaseState)
        throws(HallmarkError) -> ReleasePipeline.StepTime
    {
        context.progress(.step(number: number, total: total, name: step.name))
        let start = DispatchTime.now()
        let detail = try step.run(&state, context)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        context.progress(.stepDone(name: step.name, seconds: seconds, detail: detail))
        context.engine.logger.debug("release step done", metadata: ["step": "\(step.name)", "seconds": "\(seconds)"])
        return ReleasePipeline.StepTime(name: step.name, seconds: seconds)
    }

    /// Throws when a step needs something that `given` lacks and no step before it makes, naming the step that
    /// makes it (if one comes later) so the fix is plain.
    static func checkOrder(_ steps: [any ReleaseStep], given: Set<ReleaseProduct>) throws(HallmarkError) {
        var produced = given
        for (index, step) in steps.enumerated() {
            for needed in step.requires where !produced.contains(needed) {
                let maker = steps[index...].first { $0.produces == needed }
                let hint = maker.map { "\"\($0.name)\" makes it, but runs later" } ?? "no step in the list makes it"
                throw .io(
                    "internal error: the release step \"\(step.name)\" needs \(needed.rawValue), "
                        + "which no earlier step makes (\(hint))")
            }
            produced.insert(step.produces)
        }
    }
}
