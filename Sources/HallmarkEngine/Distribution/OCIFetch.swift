import Foundation
import HallmarkConcurrency
import HallmarkCore
import HallmarkCrypto
import HallmarkRemote

/// Reading a release stored as one OCI manifest (Hallmark's, or any whose layers carry file names in
/// `org.opencontainers.image.title`, as oras writes them): for `verify-remote oci://` and `install --index oci://`.
struct OCIReleaseFetch: Sendable {
    var context: EngineContext
    var access: RegistryAccess

    typealias FileResult = RemoteVerification.FileResult

    struct Fetched: Sendable {
        var files: [FileResult]
        var problems: [VerificationProblem]
        var manifestDigest: String
    }

    /// Downloads the release's files (all, or those named in `only` that the manifest has) into `directory`,
    /// hashing every blob as it arrives. A blob must be exactly the size and sha256 its descriptor says; a
    /// manifest fetched by digest must hash to it.
    func fetch(_ reference: OCIReference, into directory: String, only: Set<String>? = nil) async throws(HallmarkError) -> Fetched {
        let client = try access.client(for: reference, context: context)
        guard let wanted = reference.reference else { throw .usage("\(reference): name a tag or digest") }
        let display = reference.description
        let blobBase = OCIReference.scheme + reference.registry + "/" + reference.repository + "@"
        struct Job: Sendable { var name: String; var digest: String; var size: Int64; var path: String }
        struct Pulled: Sendable {
            var manifestDigest: String
            var problems: [VerificationProblem]
            var jobs: [Job]
            var hashers: [StreamingSHA256]
            var results: [Result<Int64, HallmarkError>]
        }
        // One session: the authorization the manifest earns serves the blobs too.
        let pulled = try await client.run(clients: context.http) { session -> Pulled in
            guard let manifestData = try await session.manifest(wanted) else {
                throw HallmarkError.verificationFailed("\(display): the registry has no such manifest (HTTP 404)")
            }
            let manifestDigest = OCIPublishing.digest(of: manifestData)
            if let pinned = reference.digest, pinned != manifestDigest {
                throw HallmarkError.verificationFailed("\(display): the registry served a manifest whose sha256 is \(manifestDigest)")
            }
            let manifest = try OCIManifest(parsing: manifestData, source: display)
            if let type = manifest.artifactType, type != OCIManifest.releaseArtifactType {
                throw HallmarkError.invalidInput("\(display): an artifact of type \(type), not a release (\(OCIManifest.releaseArtifactType))")
            }
            let (allLayers, layerProblems) = manifest.files()
            guard allLayers.contains(where: { $0.name == ReleaseDirectory.checksums }) else {
                throw HallmarkError.verificationFailed("\(display): the manifest has no layer titled \(ReleaseDirectory.checksums), so it is not a release")
            }
            let layers = only.map { wanted in allLayers.filter { wanted.contains($0.name) } } ?? allLayers
            for (name, _) in layers { try Paths.makeDirectory(((directory + "/" + name) as NSString).deletingLastPathComponent) }
            let jobs = layers.map { Job(name: $0.name, digest: $0.layer.digest, size: $0.layer.size, path: directory + "/" + $0.name) }
            let hashers = jobs.map { _ in StreamingSHA256() }
            let results = await Parallel.map(count: jobs.count, width: 4) { index -> Result<Int64, HallmarkError> in
                let job = jobs[index]
                do {
                    return .success(try await session.fetchBlob(
                        job.digest, to: job.path, limit: job.size, onRestart: { hashers[index].reset() }) { hashers[index].update($0) })
                } catch let error as HallmarkError {
                    return .failure(error)
                } catch {
                    return .failure(.io("\(job.name): \(error)"))
                }
            }
            return Pulled(
                manifestDigest: manifestDigest, problems: layerProblems.map { VerificationProblem(.registryContentMismatch, "\(display): \($0)", file: display) },
                jobs: jobs, hashers: hashers,
                results: results)
        }
        return Self.results(of: pulled.jobs.map { ($0.name, $0.digest, $0.size, $0.path) }, hashers: pulled.hashers,
                            results: pulled.results, problems: pulled.problems, blobBase: blobBase, directory: directory,
                            manifestDigest: pulled.manifestDigest)
    }

    /// Each pulled blob's status (its sha256 and size must be its descriptor's), with the digests checksums.txt
    /// promises for the report (the verification proper compares them again).
    static func results(
        of jobs: [(name: String, digest: String, size: Int64, path: String)], hashers: [StreamingSHA256],
        results: [Result<Int64, HallmarkError>], problems pullProblems: [VerificationProblem], blobBase: String, directory: String,
        manifestDigest: String
    ) -> Fetched {
        var problems = pullProblems
        var files: [FileResult] = []
        for (index, job) in jobs.enumerated() {
            let url = blobBase + job.digest
            switch results[index] {
            case .success(let size):
                let digest = hashers[index].finalizeHex()
                var status = "ok"
                if "sha256:" + digest != job.digest || size != job.size {
                    status = "modified"
                    problems.append(.init(
                        .registryContentMismatch, "\(job.name): the registry served \(size) bytes with sha256 \(digest) for the layer \(job.digest) (\(job.size) bytes)",
                        file: job.name))
                }
                files.append(FileResult(name: job.name, url: url, status: status, sha256: digest, expectedSha256: nil, size: size))
            case .failure(let error):
                FileIO.removeQuietly(job.path)
                files.append(FileResult(name: job.name, url: url, status: error.problem == .downloadNotFound ? "missing" : "failed",
                                        sha256: nil, expectedSha256: nil, size: nil))
                problems.append(.init(error.problem ?? .downloadFailed, "\(job.name): \(error.message)", file: job.name))
            }
        }
        if case .success(let data) = Result(catching: { () throws(HallmarkError) in try FileIO.read(directory + "/" + ReleaseDirectory.checksums) }) {
            let expected = Dictionary(ChecksumList(parsing: data, algorithm: .sha256).entries.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
            for index in files.indices { files[index].expectedSha256 = expected[files[index].name] }
        }
        return Fetched(files: files.sorted { $0.name < $1.name }, problems: problems, manifestDigest: manifestDigest)
    }
}
