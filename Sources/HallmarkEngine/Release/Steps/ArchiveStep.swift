import Foundation
import HallmarkArchive
import HallmarkConcurrency
import HallmarkCore
import HallmarkCrypto

/// Preparation before the archives: the extra files must be in the checkout, and every target's archive name must
/// be a plain file name that no other target has.
struct ArchivePlanStep: ReleaseStep {
    let name = "archive plan"
    let announced = false
    let requires: [ReleaseProduct] = [.source, .workspace, .buildPlan, .binaries]
    let produces = ReleaseProduct.archivePlan

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let config = state.inputs.config
        let display = state.inputs.options.configPath
        let source = try state.need(\.source, .source, for: name)
        let workspace = try state.need(\.workspace, .workspace, for: name)
        let plan = try state.need(\.buildPlan, .buildPlan, for: name)
        let binaries = try state.need(\.binaries, .binaries, for: name)
        let extraFiles = config.archives.files
        for file in extraFiles where !FileIO.isFile(workspace.sourceDirectory + "/" + file) {
            throw .invalidInput(
                "\(display): archives.files lists \(file), which is not in commit \(source.commit.prefix(12)) "
                    + "beside the config (is it committed?)")
        }
        var names = Set<String>()
        var jobs: [ArchivePlan.Job] = []
        for binary in binaries {
            let job = try Self.job(for: binary, config: config, values: plan.baseValues, display: display)
            guard names.insert(job.name).inserted else {
                throw .invalidInput(
                    "\(display): archives.name gives \"\(job.name)\" to two targets; "
                        + "add {{ os }}, {{ arch }} or {{ id }} to it")
            }
            jobs.append(job)
        }
        state.archivePlan = ArchivePlan(jobs: jobs, extraFiles: extraFiles)
        return "\(jobs.count) archives"
    }

    /// The archive of one binary: its name rendered from `archives.name` and its format by operating system.
    static func job(
        for binary: BuiltBinary, config: ReleaseConfig, values baseValues: [String: String], display: String
    ) throws(HallmarkError) -> ArchivePlan.Job {
        let platform = binary.job.platform
        var values = baseValues
        values["os"] = platform.os
        values["arch"] = platform.arch
        values["ext"] = platform.executableSuffix
        values["binary"] = binary.job.build.binary
        values["id"] = binary.job.build.id
        let base = try config.archives.name.render(values, source: "\(display): archives.name")
        guard let format = ArchiveFormat(rawValue: config.archives.format(for: platform.os)) else {
            throw .invalidInput("\(display): unknown archive format for \(platform.os)")
        }
        let name = base + format.fileExtension
        if base.isEmpty || base.contains("/") || base.contains("\\") || base.hasPrefix(".")
            || RelativePath.unsafeReason(name) != nil
        {
            throw .invalidInput(
                "\(display): archives.name renders to \"\(name)\" for \(platform), which is not a plain file name "
                    + "inside the release directory; use a name without \"/\" or a leading \".\"")
        }
        return ArchivePlan.Job(binary: binary, name: name, format: format)
    }
}

/// Step 4: one deterministic archive per target in the staging directory (the binary and the extra files, every
/// entry dated at the source date), each hashed.
struct ArchiveStep: ReleaseStep {
    let name = "archive"
    let requires: [ReleaseProduct] = [.source, .workspace, .archivePlan]
    let produces = ReleaseProduct.artifacts

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let source = try state.need(\.source, .source, for: name)
        let workspace = try state.need(\.workspace, .workspace, for: name)
        let plan = try state.need(\.archivePlan, .archivePlan, for: name)
        let archiver = DeterministicArchiver(
            modificationTime: source.sourceDateEpoch,
            compressionLevel: Int32(state.inputs.config.archives.compressionLevel))
        // One archive at a time: each already compresses its blocks on every core, and two side by side only
        // share the cores and their caches (Benchmarks/release.sh: 1.72x tar|pigz that way, 1.89x this way).
        let results = Parallel.map(plan.jobs, width: 1) { (job) throws(HallmarkError) -> BuiltArtifact in
            try Self.write(job, extraFiles: plan.extraFiles, workspace: workspace, archiver: archiver)
        }
        var artifacts: [BuiltArtifact] = []
        for result in results { artifacts.append(try result.get()) }
        for artifact in artifacts {
            state.files.record(artifact.archive, sha256: artifact.archiveSha256, size: artifact.archiveSize)
        }
        state.artifacts = artifacts
        let total = artifacts.reduce(UInt64(0)) { $0 + $1.archiveSize }
        return "\(artifacts.count) archives, \(ReleaseNotes.humanSize(total))"
    }

    /// Writes one archive to the staging directory and hashes it.
    static func write(
        _ job: ArchivePlan.Job, extraFiles: [String], workspace: ReleaseWorkspace, archiver: DeterministicArchiver
    ) throws(HallmarkError) -> BuiltArtifact {
        let binary = job.binary
        var entries = [ArchiveEntry.executable(binary.pathInArchive, from: binary.job.outputPath)]
        for file in extraFiles { entries.append(.regular(file, from: workspace.sourceDirectory + "/" + file)) }
        let path = workspace.staging + "/" + job.name
        let size = try archiver.write(entries, format: job.format, to: path)
        let sha256 = try FileHasher.hexDigest(ofFileAt: path, algorithm: .sha256, display: job.name)
        return BuiltArtifact(
            platform: binary.job.platform, build: binary.job.build.id, archive: job.name, format: job.format.rawValue,
            archiveSha256: sha256, archiveSize: size, binaryPath: binary.pathInArchive, binarySha256: binary.sha256,
            binarySha1: binary.sha1, binarySize: binary.size, command: binary.job.command,
            directory: binary.job.directoryRelative, environment: binary.job.environment, output: binary.job.producedAt)
    }
}
