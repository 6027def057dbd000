import Foundation
import HallmarkCore
import Logging
import HallmarkCrypto

/// `hallmark publish DIR --to file:///PATH | oci://HOST/REPO[:TAG]`: copy a release into a published
/// directory, or push it to an OCI registry as one manifest, all or nothing.
public struct Publishing: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Result: Codable, Sendable {
        public var version: String
        public var url: String
        public var assets: [String]
        public var assetsList: String
        public var urlFile: String
        public var replaced: Bool
        /// OCI only: the manifest's digest, and how many blobs were sent or already there.
        public var manifestDigest: String?
        public var uploaded: Int?
        public var reused: Int?
        /// OCI only: the tag already named this very manifest, so nothing changed.
        public var unchanged: Bool?
    }

    public func publish(
        directory: String, to destination: String, force: Bool, out: String?, registry: RegistryAccess = RegistryAccess(),
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(HallmarkError) -> Result {
        let root = try context.resolve(directory)
        guard FileIO.isDirectory(root), FileIO.isFile(root + "/" + ReleaseDirectory.checksums) else {
            throw .invalidInput("\(directory) is not a release directory (no \(ReleaseDirectory.checksums))")
        }
        guard destination.hasPrefix("file://") || destination.hasPrefix(OCIReference.scheme) else {
            throw .usage("--to \(destination): publish to file:///PATH or oci://HOST[:PORT]/REPOSITORY[:TAG]")
        }
        // Under a data directory, an index.json that is a link leading out is refused (as paths are).
        _ = try context.resolve(root + "/" + ReleaseIndex.fileName)
        var version = (root as NSString).lastPathComponent
        if let data = try? FileIO.read(root + "/" + ReleaseIndex.fileName),
            let index = try? CanonicalJSON.decode(ReleaseIndex.self, from: data, source: ReleaseIndex.fileName)
        {
            version = index.version
        }
        guard RelativePath.unsafeReason(version) == nil, RelativePath.isPlainName(version), !version.utf8.contains(0x2F) else {
            throw .invalidInput("\(directory): unusable version name \(version)")
        }
        let members = try ReleaseDirectory.members(of: root)
        if let odd = members.first(where: { !$0.isRegularFile }) { throw .invalidInput("\(directory)/\(odd.name): not a regular file") }
        let outDir: String
        if let out { outDir = try context.resolve(out) } else { outDir = try context.parentDirectory(of: root) }
        context.logger.debug("publishing", metadata: ["directory": "\(directory)", "destination": "\(destination)"])
        if destination.hasPrefix(OCIReference.scheme) {
            return try await OCIPublishing(context: context, access: registry, progress: progress).publish(
                root: root, display: directory, members: members.map(\.name), version: version,
                destination: try OCIReference(parsing: destination), force: force, outDirectory: outDir)
        }
        let path = String(destination.dropFirst("file://".count))
        guard path.hasPrefix("/") else { throw .usage("--to must be an absolute file:/// URL") }
        let base = try context.resolve(path)

        // The published directory itself, resolved like any path: a `VERSION` link that leads out is refused.
        let target = try context.resolve(base + "/" + version)
        let exists = FileManager.default.fileExists(atPath: target)
        if exists && !force { throw .invalidInput("\(target) is already published; pass --force to replace it") }
        try Paths.makeDirectory(base)
        let staging = base + "/.\(version).publishing-\(getpid())-\(UUID().uuidString.prefix(8))"
        try Paths.removeIfPresent(staging)
        let names = members.map(\.name)
        try await context.offload { () throws(HallmarkError) in
            try Self.copy(root, to: staging, members: names, target: target)
        }
        try Paths.replaceDirectory(target, with: staging, scratch: base + "/.\(version).previous-\(getpid())-\(UUID().uuidString.prefix(8))")

        let url = "file://" + target
        let assets = members.map { url + "/" + $0.name }
        try Paths.makeDirectory(outDir)
        try FileIO.writeAtomically(Data((assets.joined(separator: "\n") + "\n").utf8), to: outDir + "/release-assets.txt")
        try FileIO.writeAtomically(Data((url + "\n").utf8), to: outDir + "/release-url.txt")
        return Result(version: version, url: url, assets: assets, assetsList: outDir + "/release-assets.txt", urlFile: outDir + "/release-url.txt", replaced: exists,
                      manifestDigest: nil, uploaded: nil, reused: nil, unchanged: nil)
    }

    /// Copies the release directory `root` to `staging` and checks that every member's copy has the same
    /// SHA-256 (the copy must be byte for byte what was published); on any failure nothing is left at `staging`.
    static func copy(_ root: String, to staging: String, members: [String], target: String) throws(HallmarkError) {
        do {
            try FileManager.default.copyItem(atPath: root, toPath: staging)
        } catch {
            FileIO.removeQuietly(staging)
            throw .io("\(target): cannot copy the release: \(error.localizedDescription)")
        }
        for member in members {
            let a = try FileHasher.hexDigest(ofFileAt: root + "/" + member, algorithm: .sha256)
            let b = try FileHasher.hexDigest(ofFileAt: staging + "/" + member, algorithm: .sha256)
            guard a == b else {
                FileIO.removeQuietly(staging)
                throw .io("\(target)/\(member): the copy differs from the release")
            }
        }
    }
}
