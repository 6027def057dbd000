/// `hallmark.yml`, as read: what to build, how to package, sign and describe it.
public struct ReleaseConfig: Sendable, Equatable {
    public static let defaultFileName = "hallmark.yml"
    public static let defaultArchiveName = "{{ project }}_{{ version }}_{{ os }}_{{ arch }}"

    public struct Project: Sendable, Equatable {
        public var name: String
        public var repository: String?
        /// SPDX supplier of the project's own packages, e.g. `Organization: Example Inc.`.
        public var supplier: String?
        /// SPDX license expression declared for the project.
        public var license: String?

        public init(name: String, repository: String? = nil, supplier: String? = nil, license: String? = nil) {
            self.name = name
            self.repository = repository
            self.supplier = supplier
            self.license = license
        }
    }

    public struct Build: Sendable, Equatable {
        public var id: String
        /// The executable's name, without `.exe` (added for windows targets).
        public var binary: String
        public var command: TemplateString
        /// Working directory, relative to the config file's directory.
        public var directory: String
        public var environment: [String: TemplateString]
        /// Where the command leaves the binary, relative to `directory`; when nil the command must write it to
        /// `$HALLMARK_OUTPUT`.
        public var output: TemplateString?
        public var targets: [Platform]

        public init(
            id: String, binary: String, command: TemplateString, directory: String = ".",
            environment: [String: TemplateString] = [:], output: TemplateString? = nil, targets: [Platform]
        ) {
            self.id = id
            self.binary = binary
            self.command = command
            self.directory = directory
            self.environment = environment
            self.output = output
            self.targets = targets
        }
    }

    public struct Archives: Sendable, Equatable {
        public var format: String
        /// Format per operating system; windows defaults to zip.
        public var formatOverrides: [String: String]
        public var name: TemplateString
        /// Extra files (README, LICENSE), relative to the config file's directory.
        public var files: [String]
        public var compressionLevel: Int

        public init(format: String = "tar.gz", formatOverrides: [String: String] = ["windows": "zip"],
                    name: TemplateString = TemplateString(ReleaseConfig.defaultArchiveName), files: [String] = [], compressionLevel: Int = 6) {
            self.format = format
            self.formatOverrides = formatOverrides
            self.name = name
            self.files = files
            self.compressionLevel = compressionLevel
        }

        public func format(for os: String) -> String { formatOverrides[os] ?? format }
    }

    public struct Guard: Sendable, Equatable {
        public var requireV: Bool
        public var requireTag: Bool
        public var matchRef: Bool

        public init(requireV: Bool = false, requireTag: Bool = true, matchRef: Bool = false) {
            self.requireV = requireV
            self.requireTag = requireTag
            self.matchRef = matchRef
        }
    }

    public var project: Project
    public var builds: [Build]
    public var archives: Archives
    /// Key reference (path or env://VAR) for signing; `HALLMARK_SIGNING_KEY` when nil.
    public var signingKey: String?
    public var sbomEnabled: Bool
    /// Extra lockfiles to read, relative to the config file's directory (found automatically otherwise).
    public var lockfiles: [String]
    public var builderID: String?
    /// Commands whose `--version` output is recorded in the provenance and reproducibility manifest.
    public var tools: [String]
    public var notesTemplate: String?
    public var testCommand: String?
    public var guardOptions: Guard
    /// Output directory, relative to the config file's directory.
    public var dist: String
    /// Builds run at once (default: the number of cores).
    public var parallelism: Int?
    /// `deployments:`: where releases go, in which rings, under which controls (nil when the block is absent).
    public var deployments: DeploymentConfig?

    public init(
        project: Project, builds: [Build], archives: Archives = Archives(), signingKey: String? = nil, sbomEnabled: Bool = true,
        lockfiles: [String] = [], builderID: String? = nil, tools: [String] = [], notesTemplate: String? = nil,
        testCommand: String? = nil, guardOptions: Guard = Guard(), dist: String = "dist", parallelism: Int? = nil
    ) {
        self.project = project
        self.builds = builds
        self.archives = archives
        self.signingKey = signingKey
        self.sbomEnabled = sbomEnabled
        self.lockfiles = lockfiles
        self.builderID = builderID
        self.tools = tools
        self.notesTemplate = notesTemplate
        self.testCommand = testCommand
        self.guardOptions = guardOptions
        self.dist = dist
        self.parallelism = parallelism
    }

    /// Every (build, target) pair, in config order.
    public var matrix: [(build: Build, platform: Platform)] {
        builds.flatMap { build in build.targets.map { (build, $0) } }
    }
}
