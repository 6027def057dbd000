/// `release-evidence.json`: what was built, from what, by whom, with which digests, and what was checked.
public struct ReleaseEvidence: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.hallmark.release-evidence.v1+json"
    public static let fileName = "release-evidence.json"
    public static let markdownFileName = "release-evidence.md"

    public var schemaVersion = 1
    public var mediaType = ReleaseEvidence.mediaType
    public var name: String
    public var version: String
    public var commit: String
    public var ref: String?
    public var repository: String
    public var sourceDate: String
    public var builder: Builder
    public var config: FileDigest
    public var dryRun: Bool
    public var targets: [Target]
    /// Every file of the release written before this one, with its digest.
    public var files: [FileDigest]
    public var dependencies: Int
    public var signing: Signing
    public var checks: [Check]

    public struct Builder: Codable, Sendable, Equatable {
        public var id: String
        public var invocationId: String
        public var hallmarkVersion: String
        public var tools: [String: String]

        public init(id: String, invocationId: String, hallmarkVersion: String, tools: [String: String]) {
            self.id = id
            self.invocationId = invocationId
            self.hallmarkVersion = hallmarkVersion
            self.tools = tools
        }
    }

    public struct FileDigest: Codable, Sendable, Equatable {
        public var name: String
        public var sha256: String
        public var size: UInt64

        public init(name: String, sha256: String, size: UInt64) {
            self.name = name
            self.sha256 = sha256
            self.size = size
        }
    }

    public struct Target: Codable, Sendable, Equatable {
        public var os: String
        public var arch: String
        public var build: String
        public var archive: String
        public var sha256: String
        public var binarySha256: String

        public init(os: String, arch: String, build: String, archive: String, sha256: String, binarySha256: String) {
            self.os = os
            self.arch = arch
            self.build = build
            self.archive = archive
            self.sha256 = sha256
            self.binarySha256 = binarySha256
        }
    }

    public struct Signing: Codable, Sendable, Equatable {
        public var signed: Bool
        public var keyId: String?
        public var algorithm: String?

        public init(signed: Bool, keyId: String?, algorithm: String?) {
            self.signed = signed
            self.keyId = keyId
            self.algorithm = algorithm
        }
    }

    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        public var passed: Bool
        public var detail: String

        public init(name: String, passed: Bool, detail: String) {
            self.name = name
            self.passed = passed
            self.detail = detail
        }
    }

    public init(
        name: String, version: String, commit: String, ref: String?, repository: String, sourceDate: String,
        builder: Builder, config: FileDigest, dryRun: Bool, targets: [Target], files: [FileDigest], dependencies: Int,
        signing: Signing, checks: [Check]
    ) {
        self.name = name
        self.version = version
        self.commit = commit
        self.ref = ref
        self.repository = repository
        self.sourceDate = sourceDate
        self.builder = builder
        self.config = config
        self.dryRun = dryRun
        self.targets = targets
        self.files = files
        self.dependencies = dependencies
        self.signing = signing
        self.checks = checks
    }
}
