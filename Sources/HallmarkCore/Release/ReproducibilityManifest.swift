/// `reproducibility.json`: everything needed to rebuild one target and compare digests.
public struct ReproducibilityManifest: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.hallmark.reproducibility.v1+json"
    public static let fileName = "reproducibility.json"

    public var schemaVersion: Int
    public var mediaType: String
    public var name: String
    public var version: String
    public var commit: String
    /// The git ref released (`refs/tags/v1.4.0`), when known.
    public var ref: String?
    /// Where the source can be cloned from (the `origin` remote, or the repository's path).
    public var repository: String
    /// CI workflow reference (`GITHUB_WORKFLOW_REF`), when the release ran in one.
    public var workflowRef: String?
    /// The directory holding `hallmark.yml`, relative to the repository root (`.` for the root).
    public var workingDirectory: String
    /// The config file, relative to the repository root, and its sha256.
    public var config: String
    public var configSha256: String
    public var sourceDateEpoch: Int64
    /// Variables every build saw (SOURCE_DATE_EPOCH, TZ, LC_ALL, HALLMARK_VERSION, HALLMARK_COMMIT, the config's env).
    public var environment: [String: String]
    /// Tools that took part, with the version they reported.
    public var tools: [String: String]
    public var targets: [Target]
    /// Where the release was built: a clean checkout of `commit` at a fixed path (absent in manifests written
    /// before builds moved out of the work tree).
    public var buildTree: BuildTree?

    /// The build-directory convention: `root/source` holds the checkout, `root/output` the collected binaries;
    /// `pathMaps` names the variables that map the build path out of binaries.
    public struct BuildTree: Codable, Sendable, Equatable {
        public var root: String
        public var source: String
        public var output: String
        public var pathMaps: [String]

        public init(root: String, source: String, output: String, pathMaps: [String]) {
            self.root = root
            self.source = source
            self.output = output
            self.pathMaps = pathMaps
        }
    }

    public struct Target: Codable, Sendable, Equatable {
        public var os: String
        public var arch: String
        public var build: String
        /// The build's directory, relative to the repository root.
        public var directory: String
        /// The exact command run (through `/bin/sh -c`), templates already filled in.
        public var command: String
        /// Variables specific to this target (HALLMARK_OS, HALLMARK_ARCH, HALLMARK_OUTPUT and the build's env).
        public var environment: [String: String]
        /// Where the build leaves the binary, relative to the build directory.
        public var output: String
        public var binary: ReleaseIndex.Binary
        /// The command that repeats this build and compares digests.
        public var rebuild: String

        public init(
            os: String, arch: String, build: String, directory: String, command: String, environment: [String: String],
            output: String, binary: ReleaseIndex.Binary, rebuild: String
        ) {
            self.os = os
            self.arch = arch
            self.build = build
            self.directory = directory
            self.command = command
            self.environment = environment
            self.output = output
            self.binary = binary
            self.rebuild = rebuild
        }

        public var platform: Platform { Platform(os: os, arch: arch) }
    }

    public init(
        name: String, version: String, commit: String, ref: String?, repository: String, workflowRef: String?,
        workingDirectory: String, config: String, configSha256: String, sourceDateEpoch: Int64,
        environment: [String: String], tools: [String: String], targets: [Target], buildTree: BuildTree? = nil
    ) {
        schemaVersion = 1
        mediaType = Self.mediaType
        self.name = name
        self.version = version
        self.commit = commit
        self.ref = ref
        self.repository = repository
        self.workflowRef = workflowRef
        self.workingDirectory = workingDirectory
        self.config = config
        self.configSha256 = configSha256
        self.sourceDateEpoch = sourceDateEpoch
        self.environment = environment
        self.tools = tools
        self.targets = targets
        self.buildTree = buildTree
    }

    public func validate(source: String) throws(HallmarkError) {
        guard schemaVersion == 1, mediaType == Self.mediaType else {
            throw .invalidInput("\(source): not a version 1 reproducibility manifest (mediaType \(mediaType))")
        }
        for path in [workingDirectory, config] + targets.map(\.directory) where path != "." {
            if let reason = RelativePath.unsafeReason(path) { throw .invalidInput("\(source): path \"\(path)\": \(reason)") }
        }
        // Outputs are relative to the build directory and may climb out of it (to an output directory beside
        // the checkout), but are never absolute.
        for target in targets where target.output.hasPrefix("/") || target.output.isEmpty || target.output.contains("\0") {
            throw .invalidInput("\(source): output \"\(target.output)\" of \(target.platform) must be a relative path")
        }
        if let tree = buildTree {
            guard tree.root.hasPrefix("/tmp/hallmark-build-"), RelativePath.unsafeReason(String(tree.root.dropFirst(5))) == nil,
                RelativePath.isPlainName(tree.source), RelativePath.isPlainName(tree.output)
            else {
                throw .invalidInput("\(source): buildTree \(tree.root) is not a Hallmark build directory (/tmp/hallmark-build-COMMIT)")
            }
        }
    }
}
