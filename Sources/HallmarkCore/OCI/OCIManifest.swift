import Foundation

/// An OCI content descriptor: what a blob is, its digest and size, and annotations.
public struct OCIDescriptor: Codable, Sendable, Equatable {
    public var mediaType: String
    public var digest: String
    public var size: Int64
    public var annotations: [String: String]?
    public var artifactType: String?

    public init(mediaType: String, digest: String, size: Int64, annotations: [String: String]? = nil, artifactType: String? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.artifactType = artifactType
    }

    /// The file name a layer carries (`org.opencontainers.image.title`), as oras and Hallmark write it.
    public var title: String? { annotations?[OCIManifest.titleAnnotation] }
}

/// An OCI image manifest (image-spec v1.1), as Hallmark writes a release into a registry: one layer per
/// release file, the empty config, and an `artifactType` of our own.
public struct OCIManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
    public var annotations: [String: String]?

    public init(artifactType: String?, config: OCIDescriptor, layers: [OCIDescriptor], annotations: [String: String]?) {
        self.schemaVersion = 2
        self.mediaType = Self.mediaType
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    public static let mediaType = "application/vnd.oci.image.manifest.v1+json"
    /// The `artifactType` of a Hallmark release manifest.
    public static let releaseArtifactType = "application/vnd.hallmark.release.v1"
    public static let titleAnnotation = "org.opencontainers.image.title"

    /// The OCI 1.1 empty descriptor's blob: the two bytes `{}`.
    public static let emptyConfigData = Data("{}".utf8)
    public static let emptyConfig = OCIDescriptor(
        mediaType: "application/vnd.oci.empty.v1+json",
        digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2)

    /// Manifests are small; anything larger than this is refused before it is parsed.
    public static let sizeLimit = 4 << 20

    /// Parses a manifest from a registry. Image indexes and Docker v2 schema 1 are refused by name.
    public init(parsing data: Data, source: String) throws(HallmarkError) {
        let manifest = try CanonicalJSON.decode(OCIManifest.self, from: data, source: source)
        guard manifest.schemaVersion == 2 else { throw .invalidInput("\(source): schemaVersion \(manifest.schemaVersion) is not an OCI image manifest") }
        if let type = manifest.mediaType, type != Self.mediaType, type != "application/vnd.docker.distribution.manifest.v2+json" {
            throw .invalidInput("\(source): a \(type) is not a release manifest (expected \(Self.mediaType))")
        }
        self = manifest
    }

    /// The layers by the file name each carries. Layers without a title, with an unsafe title, or with a
    /// title used twice are returned as problems, not files.
    public func files() -> (files: [(name: String, layer: OCIDescriptor)], problems: [String]) {
        var files: [(String, OCIDescriptor)] = []
        var problems: [String] = []
        var seen = Set<[UInt8]>()
        for (index, layer) in layers.enumerated() {
            guard let title = layer.title else {
                problems.append("layer \(index) (\(layer.digest)) has no \(Self.titleAnnotation) annotation, so it names no file")
                continue
            }
            if let reason = RelativePath.nonCanonicalReason(title) {
                problems.append("layer \(index) is titled \"\(title)\": \(reason)")
                continue
            }
            guard seen.insert(Array(title.utf8)).inserted else {
                problems.append("two layers are titled \"\(title)\"")
                continue
            }
            guard OCIReference.isDigest(layer.digest), layer.size >= 0 else {
                problems.append("\(title): layer digest \(layer.digest) is not a sha256 digest")
                continue
            }
            files.append((title, layer))
        }
        return (files, problems)
    }

    /// The media type Hallmark gives a release file, by its name. DESIGN.md lists the table.
    public static func mediaType(forFile name: String) -> String {
        let lower = name.lowercased()
        let table: [(suffix: String, type: String)] = [
            (".sigstore.json", "application/vnd.dev.sigstore.bundle.v0.3+json"),
            (".spdx.json", "application/spdx+json"),
            (".intoto.jsonl", "application/vnd.dsse.envelope.v1+json"),
            (".tar.gz", "application/gzip"), (".tgz", "application/gzip"),
            (".zip", "application/zip"),
            (".json", "application/json"),
            (".md", "text/markdown"),
            (".txt", "text/plain"),
            (".sig", "text/plain"), (".minisig", "text/plain"),
            (".pem", "application/x-pem-file"), (".pub", "application/x-pem-file"),
        ]
        return table.first { lower.hasSuffix($0.suffix) }?.type ?? "application/octet-stream"
    }
}
