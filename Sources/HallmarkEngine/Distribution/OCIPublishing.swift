import Foundation
import HallmarkConcurrency
import HallmarkCore
import HallmarkCrypto
import HallmarkRemote

/// `hallmark publish DIR --to oci://HOST/REPO[:TAG]`: the release as one OCI 1.1 manifest. Every file is a
/// layer blob with its media type and its name in `org.opencontainers.image.title`; the config is the empty
/// descriptor; nothing in the manifest comes from the clock, so the same release always has the same digest.
/// The tag moves last, in one request, so a refused or broken push leaves it where it was.
struct OCIPublishing: Sendable {
    var context: EngineContext
    var access: RegistryAccess
    var progress: @Sendable (String) -> Void

    /// The manifest for a release directory, and its bytes as pushed (RFC 8785: sorted keys, no spaces).
    static func manifest(root: String, display: String, members: [String]) throws(HallmarkError) -> (manifest: OCIManifest, data: Data) {
        let digests = FileHasher.hexDigests(ofFilesAt: members.map { root + "/" + $0 }, algorithm: .sha256, displayNames: members.map { display + "/" + $0 })
        var layers: [OCIDescriptor] = []
        for (index, name) in members.enumerated() {
            let digest = try digests[index].get()
            let size = try FileIO.size(root + "/" + name, display: display + "/" + name)
            layers.append(OCIDescriptor(
                mediaType: OCIManifest.mediaType(forFile: name), digest: "sha256:" + digest, size: Int64(size),
                annotations: [OCIManifest.titleAnnotation: name]))
        }
        var annotations: [String: String] = [:]
        if let data = try? FileIO.read(root + "/" + ReleaseIndex.fileName),
            let index = try? CanonicalJSON.decode(ReleaseIndex.self, from: data, source: ReleaseIndex.fileName)
        {
            annotations["org.opencontainers.image.version"] = index.version
            annotations["org.opencontainers.image.revision"] = index.commit
            annotations["org.opencontainers.image.created"] = index.sourceDate  // the release's source date, not the clock
            annotations["dev.hallmark.release.name"] = index.name
            if let repository = index.repository { annotations["org.opencontainers.image.source"] = repository }
        }
        let manifest = OCIManifest(
            artifactType: OCIManifest.releaseArtifactType, config: OCIManifest.emptyConfig, layers: layers,
            annotations: annotations.isEmpty ? nil : annotations)
        do {
            return (manifest, try CanonicalJSON.canonicalData(manifest))
        } catch {
            throw .io("cannot encode the OCI manifest: \(error)")
        }
    }

    static func digest(of data: Data) -> String { "sha256:" + Hex.encode(SHA256Hasher.hash(data)) }

    func publish(
        root: String, display: String, members: [String], version: String, destination: OCIReference, force: Bool, outDirectory: String
    ) async throws(HallmarkError) -> Publishing.Result {
        guard destination.digest == nil else {
            throw .usage("\(destination): publish to a repository or tag, not a digest (the digest is the result)")
        }
        guard let tag = destination.tag ?? OCIReference.tag(forVersion: version) else {
            throw .usage("\(version) cannot be an OCI tag; name one: \(destination):TAG")
        }
        // Hashing every file for the manifest is the long part: on the blocking pool, off the cooperative threads.
        let (manifest, data) = try await context.offload { () throws(HallmarkError) in
            try Self.manifest(root: root, display: display, members: members)
        }
        let digest = Self.digest(of: data)
        let target = OCIReference(registry: destination.registry, repository: destination.repository, tag: tag)
        let client = try access.client(for: target, context: context)
        let progress = self.progress

        struct Pushed: Sendable { var previous: String?; var uploaded: Int; var reused: Int; var unchanged: Bool }
        let pushed = try await client.run(clients: context.http) { session -> Pushed in
            // 1. Where the tag points now. A different manifest moves only with --force.
            let previous = try await session.manifest(tag).map(Self.digest(of:))
            if previous == digest {
                progress("\(target) already names \(digest); nothing to push")
                return Pushed(previous: previous, uploaded: 0, reused: 0, unchanged: true)
            }
            if let previous, !force {
                throw HallmarkError.invalidInput(
                    "\(target) already names \(previous), not this release's \(digest); pass --force to move the tag")
            }
            // 2. The blobs, four at a time; the registry keeps any it has already.
            var uploaded = 0
            var reused = 0
            if try await session.pushBlob(digest: OCIManifest.emptyConfig.digest, size: 2, from: .data(OCIManifest.emptyConfigData)) {
                uploaded += 1
            } else {
                reused += 1
            }
            let sent = await Parallel.map(count: manifest.layers.count, width: 4) { index -> Result<Bool, any Error> in
                let layer = manifest.layers[index]
                do {
                    let pushed = try await session.pushBlob(digest: layer.digest, size: layer.size, from: .file(root + "/" + members[index]))
                    progress("\(pushed ? "pushed" : "present") \(members[index]) (\(layer.size) bytes)")
                    return .success(pushed)
                } catch {
                    return .failure(error)
                }
            }
            for result in sent {
                if try result.get() { uploaded += 1 } else { reused += 1 }
            }
            // 3. The manifest, under the tag: the one request that changes what the tag names.
            let reported = try await session.putManifest(data, tag: tag)
            if let reported, reported != digest {
                throw HallmarkError.verificationFailed("\(target): the registry stored the manifest as \(reported), not \(digest)")
            }
            // 4. Read it back: the tag must now name exactly these bytes.
            guard let stored = try await session.manifest(tag), Self.digest(of: stored) == digest else {
                throw HallmarkError.verificationFailed("\(target): after the push the tag does not name \(digest) (another publisher at the same time?)")
            }
            return Pushed(previous: previous, uploaded: uploaded, reused: reused, unchanged: false)
        }

        let pinned = target.pinned(to: digest)
        let blobBase = OCIReference.scheme + target.registry + "/" + target.repository + "@"
        let assets = manifest.layers.enumerated().map { blobBase + $0.element.digest + "  " + members[$0.offset] }
        try Paths.makeDirectory(outDirectory)
        try FileIO.writeAtomically(Data((assets.joined(separator: "\n") + "\n").utf8), to: outDirectory + "/release-assets.txt")
        try FileIO.writeAtomically(Data((pinned.description + "\n").utf8), to: outDirectory + "/release-url.txt")
        return Publishing.Result(
            version: version, url: pinned.description, assets: assets, assetsList: outDirectory + "/release-assets.txt",
            urlFile: outDirectory + "/release-url.txt", replaced: pushed.previous != nil && !pushed.unchanged,
            manifestDigest: digest, uploaded: pushed.uploaded, reused: pushed.reused, unchanged: pushed.unchanged)
    }
}
