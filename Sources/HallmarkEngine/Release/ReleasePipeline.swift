import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark release`: guard → test → build → archive → describe → sign → verify, in a staging directory that
/// replaces `dist/VERSION/` only when every step has passed. The steps are small types (`Steps/`) run in order by
/// `ReleaseDriver`.
public struct ReleasePipeline: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// What to release and how: the command line's flags.
    public struct Options: Sendable {
        public var version: String
        public var configPath: String
        public var dryRun: Bool
        public var targets: [Platform]?
        /// The directory releases go into (default: the config's `dist`, beside the config file).
        public var output: String?
        public var allowDirty: Bool
        public var keyReference: String?
        public var skipTests: Bool

        public init(
            version: String, configPath: String = ReleaseConfig.defaultFileName, dryRun: Bool = false,
            targets: [Platform]? = nil, output: String? = nil, allowDirty: Bool = false, keyReference: String? = nil,
            skipTests: Bool = false
        ) {
            self.version = version
            self.configPath = configPath
            self.dryRun = dryRun
            self.targets = targets
            self.output = output
            self.allowDirty = allowDirty
            self.keyReference = keyReference
            self.skipTests = skipTests
        }
    }

    /// Progress, reported as it happens (times are for people; nothing written to the release has a clock time).
    public enum Event: Sendable {
        case step(number: Int, total: Int, name: String)
        case stepDone(name: String, seconds: Double, detail: String)
        case target(platform: Platform, build: String, seconds: Double, ok: Bool, done: Int, total: Int)
        case warning(String)
        /// The tail of a failing command's log.
        case logTail(path: String, text: String)
    }

    /// How long an announced step took.
    public struct StepTime: Codable, Sendable {
        public var name: String
        public var seconds: Double
    }

    /// What a release made, as `--format json` prints it.
    public struct Result: Codable, Sendable {
        public var name: String
        public var version: String
        public var directory: String
        public var dryRun: Bool
        public var signed: Bool
        public var keyId: String?
        public var commit: String
        public var sourceDateEpoch: Int64
        public var artifacts: [ReleaseIndex.Artifact]
        public var files: [ReleaseEvidence.FileDigest]
        public var logs: String
        public var verified: Bool
        public var warnings: [String]
        public var steps: [StepTime]
    }

    /// The steps of a release, in order: the thirteen announced steps, with the preparation each needs between them.
    static let steps: [any ReleaseStep] = [
        GuardStep(), SourceStep(), SigningKeyStep(), WorkspaceStep(), TestStep(), BuildPlanStep(), BuildStep(),
        ArchivePlanStep(), ArchiveStep(), FactsStep(), IndexStep(), DeploymentStep(), SBOMStep(), ReproducibilityStep(), ProvenanceStep(),
        EvidenceStep(), NotesStep(), SignStep(), VerifyStep(), PublishStep(),
    ]

    /// Runs every step. Builds, archiving and signing are long synchronous work, so the whole run happens on the
    /// context's blocking pool; the awaiting task holds no cooperative thread meanwhile.
    public func run(_ options: Options, progress: @escaping @Sendable (Event) -> Void = { _ in }) async throws(HallmarkError)
        -> Result
    {
        let context = self.context
        try context.requireCommands("a release (its build and test commands)")
        return try await context.offload { () throws(HallmarkError) in
            var state = ReleaseState(inputs: try ReleaseInputs.load(options, context: context))
            let driver = ReleaseDriver(steps: Self.steps, context: ReleaseStepContext(engine: context, progress: progress))
            let times = try driver.run(&state)
            return try Result(state, steps: times)
        }
    }
}

extension ReleasePipeline.Result {
    /// The result of a release whose every step has run.
    init(_ state: ReleaseState, steps: [ReleasePipeline.StepTime]) throws(HallmarkError) {
        let step = "result"
        let facts = try state.need(\.facts, .facts, for: step)
        let signing = try state.need(\.signing, .signingKey, for: step)
        let workspace = try state.need(\.workspace, .workspace, for: step)
        let report = try state.need(\.verification, .verification, for: step)
        var files: [ReleaseEvidence.FileDigest] = []
        for file in report.files {
            if let sha = file.sha256 {
                files.append(.init(name: file.name, sha256: sha, size: state.files.records[file.name]?.size ?? 0))
            }
        }
        self.init(
            name: facts.name, version: state.inputs.options.version, directory: workspace.releaseDirectory,
            dryRun: state.inputs.options.dryRun, signed: signing.signed, keyId: signing.key?.publicKey.keyID,
            commit: facts.commit, sourceDateEpoch: facts.sourceDateEpoch, artifacts: facts.artifacts.map(\.indexEntry),
            files: files, logs: workspace.logs, verified: report.verified, warnings: state.warnings, steps: steps)
    }
}
