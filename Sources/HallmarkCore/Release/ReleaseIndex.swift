/// `index.json`: the entry point installers read. Every digest in it must match `checksums.txt`.
public struct ReleaseIndex: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.hallmark.release-index.v1+json"
    public static let fileName = "index.json"

    public var schemaVersion: Int
    public var mediaType: String
    public var name: String
    public var version: String
    public var commit: String
    public var sourceDateEpoch: Int64
    public var sourceDate: String
    public var repository: String?
    public var artifacts: [Artifact]
    /// The release's other files (SBOM, provenance, manifests, notes), by name.
    public var metadata: [String]

    public struct Artifact: Codable, Sendable, Equatable {
        public var os: String
        public var arch: String
        public var build: String
        public var file: String
        public var format: String
        public var sha256: String
        public var size: UInt64
        public var binary: Binary

        public init(os: String, arch: String, build: String, file: String, format: String, sha256: String, size: UInt64, binary: Binary) {
            self.os = os
            self.arch = arch
            self.build = build
            self.file = file
            self.format = format
            self.sha256 = sha256
            self.size = size
            self.binary = binary
        }

        public var platform: Platform { Platform(os: os, arch: arch) }
    }

    /// The executable inside an archive.
    public struct Binary: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var size: UInt64

        public init(path: String, sha256: String, size: UInt64) {
            self.path = path
            self.sha256 = sha256
            self.size = size
        }
    }

    public init(
        name: String, version: String, commit: String, sourceDateEpoch: Int64, repository: String?,
        artifacts: [Artifact], metadata: [String]
    ) {
        schemaVersion = 1
        mediaType = Self.mediaType
        self.name = name
        self.version = version
        self.commit = commit
        self.sourceDateEpoch = sourceDateEpoch
        sourceDate = RFC3339.format(unixSeconds: sourceDateEpoch)
        self.repository = repository
        self.artifacts = artifacts
        self.metadata = metadata
    }

    /// Structural checks beyond decoding: schema, safe names, well-formed digests, unique platforms.
    public func validate(source: String) throws(HallmarkError) {
        guard schemaVersion == 1 else { throw .invalidInput("\(source): schemaVersion \(schemaVersion) is not supported (this hallmark reads 1)") }
        guard mediaType == Self.mediaType else { throw .invalidInput("\(source): mediaType is \"\(mediaType)\", not \(Self.mediaType)") }
        var seen = Set<Platform>()
        for artifact in artifacts {
            if let reason = RelativePath.unsafeReason(artifact.file) { throw .invalidInput("\(source): artifact \"\(artifact.file)\": \(reason)") }
            if let reason = RelativePath.unsafeReason(artifact.binary.path) { throw .invalidInput("\(source): binary path \"\(artifact.binary.path)\": \(reason)") }
            for digest in [artifact.sha256, artifact.binary.sha256] where !(Hex.isHex(digest, byteCount: 32) && digest == digest.lowercased()) {
                throw .invalidInput("\(source): \"\(digest)\" is not a sha256 digest")
            }
            guard seen.insert(artifact.platform).inserted else { throw .invalidInput("\(source): \(artifact.platform) is listed twice") }
        }
        for name in metadata {
            if let reason = RelativePath.unsafeReason(name) { throw .invalidInput("\(source): metadata file \"\(name)\": \(reason)") }
        }
    }
}
