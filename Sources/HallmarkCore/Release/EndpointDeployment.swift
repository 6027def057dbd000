/// `NAME.endpoint-deployment.json` (`application/vnd.hallmark.endpoint-deployment.v1+json`): which of a release's
/// archives goes to which deployment target, in which ring, under which controls — bound to the release by the
/// sha256 of its index.json. Written by `hallmark release` when hallmark.yml has a `deployments:` block; checked
/// by `hallmark verify`.
public struct EndpointDeployment: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.hallmark.endpoint-deployment.v1+json"
    public static let fileSuffix = ".endpoint-deployment.json"

    /// The file name for project `name`.
    public static func fileName(project name: String) -> String { name + fileSuffix }

    /// A file the manifest names, with its digest.
    public struct FileDigest: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String

        public init(file: String, sha256: String) {
            self.file = file
            self.sha256 = sha256
        }
    }

    /// One target with the archive and binary it receives.
    public struct Target: Codable, Sendable, Equatable {
        public var id: String
        public var surface: String
        public var platform: String
        public var prefix: String
        public var channel: String
        public var ring: String
        public var artifact: FileDigest
        /// The binary inside the archive (its path there), with its digest.
        public var binary: FileDigest

        public init(
            id: String, surface: String, platform: String, prefix: String, channel: String, ring: String, artifact: FileDigest,
            binary: FileDigest
        ) {
            self.id = id
            self.surface = surface
            self.platform = platform
            self.prefix = prefix
            self.channel = channel
            self.ring = ring
            self.artifact = artifact
            self.binary = binary
        }
    }

    /// The approvals a promotion needs: `required` signatures by distinct keys among `approvers` (key ids).
    public struct Approvals: Codable, Sendable, Equatable {
        public var required: Int
        public var approvers: [String]

        public init(required: Int, approvers: [String]) {
            self.required = required
            self.approvers = approvers
        }
    }

    public struct Controls: Codable, Sendable, Equatable {
        public var soakSeconds: [String: Int64]
        public var maxParallel: Int?
        public var approvals: Approvals?
        public var smoke: String?

        public init(soakSeconds: [String: Int64], maxParallel: Int?, approvals: Approvals?, smoke: String?) {
            self.soakSeconds = soakSeconds
            self.maxParallel = maxParallel
            self.approvals = approvals
            self.smoke = smoke
        }
    }

    public var schemaVersion = 1
    public var mediaType = EndpointDeployment.mediaType
    public var name: String
    public var version: String
    public var commit: String
    /// index.json and the sha256 of its bytes.
    public var index: FileDigest
    public var rings: [String]
    public var targets: [Target]
    public var controls: Controls

    public init(
        name: String, version: String, commit: String, index: FileDigest, rings: [String], targets: [Target], controls: Controls
    ) {
        self.name = name
        self.version = version
        self.commit = commit
        self.index = index
        self.rings = rings
        self.targets = targets
        self.controls = controls
    }

    /// Refuses another version or media type, unsafe file names, a target in an unlisted ring, and approvals that
    /// could never be met.
    public func validate(source: String) throws(HallmarkError) {
        guard schemaVersion == 1 else { throw .invalidInput("\(source): schemaVersion \(schemaVersion) is not supported (this hallmark reads 1)") }
        guard mediaType == Self.mediaType else { throw .invalidInput("\(source): mediaType is \"\(mediaType)\", not \(Self.mediaType)") }
        for target in targets {
            if let reason = RelativePath.unsafeReason(target.artifact.file) {
                throw .invalidInput("\(source): target \(target.id): artifact \"\(target.artifact.file)\": \(reason)")
            }
            guard rings.contains(target.ring) else { throw .invalidInput("\(source): target \(target.id) is in the unlisted ring \(target.ring)") }
        }
        if let approvals = controls.approvals, approvals.required < 1 || approvals.required > Set(approvals.approvers).count {
            throw .invalidInput("\(source): approvals require \(approvals.required) of \(Set(approvals.approvers).count) distinct approvers")
        }
    }
}
