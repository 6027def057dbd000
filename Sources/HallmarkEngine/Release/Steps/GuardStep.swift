import Foundation
import HallmarkCore

/// Step 1: is this version fit to release from this tree? A failed check stops the release; in a dry run only the
/// tag, ref and clean-tree checks become warnings. The release's own output directory never makes the tree dirty.
struct GuardStep: ReleaseStep {
    let name = "guard"
    let requires: [ReleaseProduct] = []
    let produces = ReleaseProduct.guardReport

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let inputs = state.inputs
        let options = inputs.options
        let distInRepository = inputs.git.topLevel.map { Paths.relative(inputs.distRoot, from: $0) }.flatMap {
            $0.hasPrefix("..") || $0 == "." ? nil : $0
        }
        let checks = inputs.config.guardOptions
        let report = try VersionGuard(context: context.engine).check(
            version: options.version, directory: inputs.configDirectory,
            options: .init(
                requireV: checks.requireV, matchRef: checks.matchRef, requireTag: checks.requireTag,
                allowDirty: options.allowDirty, ignoredPaths: distInRepository.map { [$0] } ?? []))
        for failure in report.failures {
            if failure.name == "semver" || failure.name == "git" || failure.name == "v-prefix" || !options.dryRun {
                throw .invalidInput("version-guard: \(failure.detail)")
            }
            state.warn("version-guard (ignored in a dry run): \(failure.detail)", context)
        }
        state.guardReport = report
        return "\(options.version) at \(report.commit.map { String($0.prefix(12)) } ?? "?")"
    }
}

/// Preparation after the guard: the commit, the repository, the ref and the source date every timestamp of the
/// release uses (`SOURCE_DATE_EPOCH`, or the commit's time).
struct SourceStep: ReleaseStep {
    let name = "source"
    let announced = false
    let requires: [ReleaseProduct] = [.guardReport]
    let produces = ReleaseProduct.source

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let inputs = state.inputs
        let report = try state.need(\.guardReport, .guardReport, for: name)
        guard let commit = report.commit, let repoRoot = inputs.git.topLevel else {
            throw .invalidInput("\(inputs.options.configPath): not inside a git repository with a commit")
        }
        let sourceDateEpoch = try Self.sourceDateEpoch(context.engine.settings.sourceDateEpoch, git: inputs.git)
        let version = inputs.options.version
        let ref: String? =
            inputs.git.tagCommit(version) == commit
            ? "refs/tags/\(version)"
            : (context.engine.settings.ci.githubRef ?? inputs.git.currentBranchRef)
        state.source = ReleaseSource(
            commit: commit, repoRoot: repoRoot, sourceDateEpoch: sourceDateEpoch, ref: ref,
            repository: inputs.config.project.repository ?? inputs.git.originURL ?? "file://\(repoRoot)",
            workflowRef: context.engine.settings.ci.githubWorkflowRef,
            workingDirectory: Paths.relative(inputs.configDirectory, from: repoRoot),
            configRelative: Paths.relative(inputs.configPath, from: repoRoot))
        return String(commit.prefix(12))
    }

    /// `SOURCE_DATE_EPOCH` when set (a non-negative number of seconds), else the committer time of HEAD.
    static func sourceDateEpoch(_ value: String?, git: GitRepository) throws(HallmarkError) -> Int64 {
        if let value, !value.isEmpty {
            guard let parsed = Int64(value), parsed >= 0 else {
                throw .invalidInput("SOURCE_DATE_EPOCH=\(value) is not a number of seconds")
            }
            return parsed
        }
        guard let time = git.headCommitTime else { throw .io("cannot read the commit time of HEAD") }
        return time
    }
}
