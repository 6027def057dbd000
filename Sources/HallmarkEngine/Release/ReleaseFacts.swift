import Foundation
import HallmarkCore
import HallmarkCrypto

/// What the describing steps know about a release: source, builder, time, and the built artifacts.
public struct ReleaseFacts: Sendable {
    public var name: String
    public var version: String
    public var commit: String
    public var ref: String?
    public var repository: String
    public var workflowRef: String?
    public var sourceDateEpoch: Int64
    public var builderID: String
    public var invocationID: String
    /// The config file relative to the repository root, and its digest.
    public var config: String
    public var configSha256: String
    public var workingDirectory: String
    public var supplier: String
    public var license: String?
    public var tools: [String: String]
    public var hallmarkVersion: String
    public var artifacts: [BuiltArtifact]
    public var dependencies: [LockedDependency]

    public var sourceDate: String { RFC3339.format(unixSeconds: sourceDateEpoch) }
}

/// One target's binary and archive, as built and hashed.
public struct BuiltArtifact: Sendable {
    public var platform: Platform
    public var build: String
    public var archive: String
    public var format: String
    public var archiveSha256: String
    public var archiveSize: UInt64
    public var binaryPath: String
    public var binarySha256: String
    public var binarySha1: String
    public var binarySize: UInt64
    public var command: String
    public var directory: String
    public var environment: [String: String]
    public var output: String


    public var indexEntry: ReleaseIndex.Artifact {
        ReleaseIndex.Artifact(
            os: platform.os, arch: platform.arch, build: build, file: archive, format: format, sha256: archiveSha256,
            size: archiveSize, binary: ReleaseIndex.Binary(path: binaryPath, sha256: binarySha256, size: binarySize))
    }
}

/// Builds the SPDX 2.3 SBOM from the facts.
enum SBOMBuilder {
    static func document(_ facts: ReleaseFacts) -> SPDXDocument {
        let projectID = SPDXDocument.identifier("Package", facts.name)
        var packages: [SPDXDocument.Package] = []
        var files: [SPDXDocument.File] = []
        var relationships: [SPDXDocument.Relationship] = [
            .init("SPDXRef-DOCUMENT", "DESCRIBES", projectID)
        ]
        let download = facts.repository.hasPrefix("https://") || facts.repository.hasPrefix("http://")
            ? "git+\(facts.repository)@\(facts.commit)" : "NOASSERTION"
        packages.append(SPDXDocument.Package(
            id: projectID, name: facts.name, version: facts.version, supplier: facts.supplier, downloadLocation: download,
            purpose: "APPLICATION", license: facts.license ?? "NOASSERTION",
            comment: "Source: \(facts.repository) at commit \(facts.commit)"))
        for artifact in facts.artifacts {
            let archiveID = SPDXDocument.identifier("Archive", artifact.platform.os, artifact.platform.arch, artifact.build)
            let fileID = SPDXDocument.identifier("File", artifact.platform.os, artifact.platform.arch, artifact.build)
            var archivePackage = SPDXDocument.Package(
                id: archiveID, name: artifact.archive, version: facts.version, supplier: facts.supplier,
                downloadLocation: "NOASSERTION", purpose: "ARCHIVE",
                checksums: [.init(algorithm: "SHA256", checksumValue: artifact.archiveSha256)], fileName: artifact.archive,
                license: facts.license ?? "NOASSERTION",
                comment: "\(artifact.format) archive for \(artifact.platform), build \(artifact.build)")
            // The archive CONTAINS its executable, which SPDX allows only for a package whose files were analyzed.
            archivePackage.filesAnalyzed = true
            packages.append(archivePackage)
            files.append(SPDXDocument.File(
                id: fileID, fileName: "./\(artifact.binaryPath)",
                checksums: [
                    .init(algorithm: "SHA1", checksumValue: artifact.binarySha1),
                    .init(algorithm: "SHA256", checksumValue: artifact.binarySha256),
                ],
                types: ["BINARY"], comment: "\(artifact.binaryPath) inside \(artifact.archive) (\(artifact.platform))"))
            relationships.append(.init("SPDXRef-DOCUMENT", "DESCRIBES", archiveID))
            relationships.append(.init(archiveID, "CONTAINS", fileID))
            relationships.append(.init(fileID, "GENERATED_FROM", projectID))
        }
        var seen = Set<String>()
        for dependency in facts.dependencies.sorted(by: { $0.purl < $1.purl }) where seen.insert(dependency.purl).inserted {
            let id = SPDXDocument.identifier("Dependency", dependency.ecosystem, dependency.name, dependency.version ?? "unversioned")
            packages.append(SPDXDocument.Package(
                id: id, name: dependency.name, version: dependency.version, supplier: dependency.supplier,
                downloadLocation: dependency.downloadLocation, purpose: "LIBRARY",
                checksums: dependency.digest.compactMap { key, value in
                    switch key {
                    case "sha256": .init(algorithm: "SHA256", checksumValue: value)
                    case "sha512": .init(algorithm: "SHA512", checksumValue: value)
                    default: nil
                    }
                }.sorted { $0.algorithm < $1.algorithm },
                purl: dependency.purl, comment: "From \(dependency.lockfile)"))
            relationships.append(.init(projectID, "DEPENDS_ON", id))
        }
        // The namespace is derived from the release itself, so the same release always gets the same one.
        let seed = [facts.name, facts.version, facts.commit] + facts.artifacts.map(\.archiveSha256)
        let digest = String(Hex.encode(SHA256Hasher.hash(Data(seed.joined(separator: "\n").utf8))).prefix(32))
        return SPDXDocument(
            name: "\(facts.name)-\(facts.version)",
            documentNamespace: "https://spdx.org/spdxdocs/\(facts.name)-\(facts.version)-\(digest)",
            creationInfo: .init(created: facts.sourceDate, creators: ["Tool: hallmark-\(facts.hallmarkVersion)", "Organization: \(facts.supplier.replacingOccurrences(of: "Organization: ", with: "").replacingOccurrences(of: "Person: ", with: ""))"]),
            packages: packages, files: files, relationships: relationships)
    }
}
