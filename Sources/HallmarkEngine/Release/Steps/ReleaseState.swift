import Foundation
import HallmarkArchive
import HallmarkCore
import HallmarkCrypto

/// What a release has made so far. The inputs are fixed before the first step; every other slot is filled by one
/// step and read by later ones through `need`, so a step run too early throws instead of crashing.
struct ReleaseState: Sendable {
    let inputs: ReleaseInputs
    /// Filled by `GuardStep`.
    var guardReport: VersionGuard.Report?
    /// Filled by `SourceStep`.
    var source: ReleaseSource?
    /// Filled by `SigningKeyStep`.
    var signing: SigningChoice?
    /// Filled by `WorkspaceStep`; the driver removes its checkout when the run ends.
    var workspace: ReleaseWorkspace?
    /// Filled by `BuildPlanStep`.
    var buildPlan: BuildPlan?
    /// Filled by `BuildStep`.
    var binaries: [BuiltBinary]?
    /// Filled by `ArchivePlanStep`.
    var archivePlan: ArchivePlan?
    /// Filled by `ArchiveStep`.
    var artifacts: [BuiltArtifact]?
    /// Filled by `FactsStep`.
    var facts: ReleaseFacts?
    /// Filled by `VerifyStep`, only with a report that verified.
    var verification: ReleaseVerification.Report?
    /// Every file written to the staging directory so far, with its digest.
    var files = StagedFiles()
    /// What the steps run so far have made (kept by the driver).
    var produced: Set<ReleaseProduct> = []
    var warnings: [String] = []

    init(inputs: ReleaseInputs) { self.inputs = inputs }

    /// The value an earlier step left in `slot`; when no step did, an error naming the step and what it lacks.
    func need<Value>(_ slot: KeyPath<ReleaseState, Value?>, _ product: ReleaseProduct, for step: String)
        throws(HallmarkError) -> Value
    {
        guard let value = self[keyPath: slot] else {
            throw .io(
                "internal error: the release step \"\(step)\" needs \(product.rawValue), which no earlier step made")
        }
        return value
    }

    /// Records a warning for the result and reports it as it happens.
    mutating func warn(_ message: String, _ context: ReleaseStepContext) {
        warnings.append(message)
        context.progress(.warning(message))
    }

    /// Writes `data` to the staging directory as `name` and records its digest.
    mutating func stage(_ name: String, _ data: Data, for step: String) throws(HallmarkError) {
        let workspace = try need(\.workspace, .workspace, for: step)
        try files.write(name, data, in: workspace.staging)
    }
}

/// What a release starts from: the options, the loaded config, and the targets to build.
struct ReleaseInputs: Sendable {
    var options: ReleasePipeline.Options
    /// The config file (absolute), its directory, its bytes and their SHA-256.
    var configPath: String
    var configDirectory: String
    var config: ReleaseConfig
    var configData: Data
    var configSha256: String
    /// The (build, target) pairs `--targets` selects, in config order.
    var matrix: [(build: ReleaseConfig.Build, platform: Platform)]
    /// Where releases go: `--output`, or the config's `dist` beside the config.
    var distRoot: String
    /// The repository the config is in (read live, before the checkout).
    var git: GitRepository

    /// Loads the config `options` name and selects the targets to build.
    static func load(_ options: ReleasePipeline.Options, context: EngineContext) throws(HallmarkError) -> ReleaseInputs
    {
        let configPath = try context.resolve(options.configPath)
        guard FileIO.isFile(configPath) else {
            throw .invalidInput(
                "\(options.configPath): No such file; run `hallmark init` to write one, or pass --config")
        }
        let configDirectory = (configPath as NSString).deletingLastPathComponent
        let config = try ConfigLoader().load(path: configPath, display: options.configPath)
        let configData = try FileIO.read(configPath, display: options.configPath)
        var matrix = config.matrix
        if let selected = options.targets {
            for platform in selected where !matrix.contains(where: { $0.platform == platform }) {
                let known = Set(matrix.map(\.platform.description)).sorted().joined(separator: ", ")
                throw .usage("--targets: \(platform) is not in the build matrix of \(options.configPath) (\(known))")
            }
            matrix = matrix.filter { selected.contains($0.platform) }
        }
        return ReleaseInputs(
            options: options, configPath: configPath, configDirectory: configDirectory, config: config,
            configData: configData, configSha256: Hex.encode(SHA256Hasher.hash(configData)), matrix: matrix,
            distRoot: try context.resolve(options.output) ?? (configDirectory + "/" + config.dist),
            git: GitRepository(directory: configDirectory, environment: context.processEnvironment))
    }
}

/// Where the release comes from, read once the guard has passed.
struct ReleaseSource: Sendable {
    var commit: String
    /// The repository's top-level directory (cloned for the checkout).
    var repoRoot: String
    /// Every timestamp in the release: `SOURCE_DATE_EPOCH`, or the commit's time.
    var sourceDateEpoch: Int64
    var ref: String?
    var repository: String
    var workflowRef: String?
    /// The config's directory and the config file, relative to the repository root.
    var workingDirectory: String
    var configRelative: String
}

/// The key that signs the release; none in a dry run.
struct SigningChoice: Sendable {
    var key: PrivateKey?
    var signed: Bool { key != nil }
}

/// Where a release is made: a work directory with the staging directory (moved into place last) and the logs,
/// and the clean checkout of the commit that every build runs in.
struct ReleaseWorkspace: Sendable {
    /// `DIST/VERSION`, replaced only when every step has passed.
    var releaseDirectory: String
    /// `DIST/.hallmark-work/VERSION`.
    var workRoot: String
    var tree: BuildTree
    /// The config's directory inside the checkout.
    var sourceDirectory: String

    var staging: String { workRoot + "/release" }
    var logs: String { workRoot + "/logs" }

    init(distRoot: String, version: String, tree: BuildTree, workingDirectory: String) {
        releaseDirectory = distRoot + "/" + version
        workRoot = distRoot + "/.hallmark-work/" + version
        self.tree = tree
        sourceDirectory = workingDirectory == "." ? tree.source : tree.source + "/" + workingDirectory
    }
}

/// The build jobs, and the environment every build (and every tool's `--version`) runs with.
struct BuildPlan: Sendable {
    /// Template values every target shares (`project`, `version`, `commit`…).
    var baseValues: [String: String]
    /// The variables pinned for reproducibility, as reproducibility.json records them.
    var pinnedEnvironment: [String: String]
    /// The process environment with the pinned variables and the path maps added.
    var processEnvironment: [String: String]
    var jobs: [BuildJob]
}

/// Each target's archive name and format, and the extra files every archive holds.
struct ArchivePlan: Sendable {
    /// One archive to write.
    struct Job: Sendable {
        var binary: BuiltBinary
        var name: String
        var format: ArchiveFormat
    }

    var jobs: [Job]
    /// Paths relative to the config's directory in the checkout.
    var extraFiles: [String]
}
