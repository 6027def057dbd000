import Foundation
import HallmarkConcurrency
import HallmarkCore
import HallmarkCrypto

/// One target of one build, ready to run.
struct BuildJob: Sendable {
    var build: ReleaseConfig.Build
    var platform: Platform
    var directory: String
    var directoryRelative: String
    var command: String
    var environment: [String: String]
    /// Where the binary is collected (in the work directory).
    var outputPath: String
    /// Where the command leaves the binary, relative to `directory` (as recorded for rebuilds).
    var producedAt: String
    /// When the build writes somewhere else than `$HALLMARK_OUTPUT`: the absolute path to collect it from.
    var copyFrom: String?
    var log: String
}

/// A built binary, hashed.
struct BuiltBinary: Sendable {
    var job: BuildJob
    var pathInArchive: String
    var sha256: String
    var sha1: String
    var size: UInt64
}

/// Runs build jobs in parallel. Targets whose binary lands at the same fixed path run one after another, so
/// one build cannot overwrite another's binary before it is collected.
enum BuildRunner {
    static func run(
        _ jobs: [BuildJob], baseEnvironment: [String: String], width: Int,
        progress: @escaping @Sendable (ReleasePipeline.Event) -> Void
    ) -> [Result<BuiltBinary, HallmarkError>] {
        var lanes: [[Int]] = []
        var laneOfPath: [String: Int] = [:]
        for (index, job) in jobs.enumerated() {
            if let shared = job.copyFrom, let lane = laneOfPath[shared] {
                lanes[lane].append(index)
            } else {
                if let shared = job.copyFrom { laneOfPath[shared] = lanes.count }
                lanes.append([index])
            }
        }
        let counter = LockedCounter()
        let laneResults = Parallel.map(lanes, width: width) { (lane) -> [(Int, Result<BuiltBinary, HallmarkError>)] in
            lane.map { index in
                let start = DispatchTime.now()
                let result = Result { () throws(HallmarkError) -> BuiltBinary in try runOne(jobs[index], baseEnvironment: baseEnvironment) }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                let ok = (try? result.get()) != nil
                progress(.target(platform: jobs[index].platform, build: jobs[index].build.id, seconds: seconds, ok: ok, done: counter.next(), total: jobs.count))
                return (index, result)
            }
        }
        var results = [Result<BuiltBinary, HallmarkError>?](repeating: nil, count: jobs.count)
        for lane in laneResults {
            guard case .success(let items) = lane else { continue }
            for (index, result) in items { results[index] = result }
        }
        return results.map { $0 ?? .failure(.io("internal error: a build did not run")) }
    }

    static func runOne(_ job: BuildJob, baseEnvironment: [String: String]) throws(HallmarkError) -> BuiltBinary {
        try Paths.makeDirectory((job.outputPath as NSString).deletingLastPathComponent)
        var environment = baseEnvironment
        for (key, value) in job.environment { environment[key] = value }
        let label = "build \(job.build.id) for \(job.platform)"
        let status = try Subprocess.shell(job.command, in: job.directory, environment: environment, logPath: job.log)
        guard status == 0 else { throw .invalidInput("\(label) failed (exit \(status)); log: \(job.log)") }
        if let source = job.copyFrom {
            guard FileIO.isFile(source) else {
                throw .invalidInput("\(label) produced no binary at \(job.producedAt) (the build's `output`); log: \(job.log)")
            }
            do {
                if FileManager.default.fileExists(atPath: job.outputPath) { try FileManager.default.removeItem(atPath: job.outputPath) }
                try FileManager.default.copyItem(atPath: source, toPath: job.outputPath)
            } catch {
                throw .io("\(source): cannot collect the binary: \(error.localizedDescription)")
            }
        }
        guard FileIO.isFile(job.outputPath) else {
            throw .invalidInput("\(label) produced no binary: the command must write it to $HALLMARK_OUTPUT (\(job.producedAt)), or set `output:` in the build; log: \(job.log)")
        }
        chmod(job.outputPath, 0o755)
        let digests = try FileHasher.spdxDigests(ofFileAt: job.outputPath)
        guard digests.size > 0 else { throw .invalidInput("\(label) produced an empty binary; log: \(job.log)") }
        return BuiltBinary(
            job: job, pathInArchive: job.build.binary + job.platform.executableSuffix, sha256: digests.sha256, sha1: digests.sha1,
            size: digests.size)
    }
}
