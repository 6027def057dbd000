import Foundation
import HallmarkArchive
import HallmarkConcurrency
import HallmarkCore
import HallmarkCrypto

#if canImport(Glibc)
import Glibc
#endif

/// `hallmark release`: guard → test → build → archive → describe → sign → verify, in a staging directory that
/// replaces `dist/VERSION/` only when every step has passed.
public struct ReleasePipeline: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Options: Sendable {
        public var version: String
        public var configPath: String
        public var dryRun: Bool
        public var targets: [Platform]?
        /// The directory releases go into (default: the config's `dist`, beside the config file).
        public var output: String?
        public var allowDirty: Bool
        public var keyReference: String?
        public var skipTests: Bool

        public init(
            version: String, configPath: String = ReleaseConfig.defaultFileName, dryRun: Bool = false, targets: [Platform]? = nil,
            output: String? = nil, allowDirty: Bool = false, keyReference: String? = nil, skipTests: Bool = false
        ) {
            self.version = version
            self.configPath = configPath
            self.dryRun = dryRun
            self.targets = targets
            self.output = output
            self.allowDirty = allowDirty
            self.keyReference = keyReference
            self.skipTests = skipTests
        }
    }

    /// Progress, reported as it happens (times are for people; nothing written to the release has a clock time).
    public enum Event: Sendable {
        case step(number: Int, total: Int, name: String)
        case stepDone(name: String, seconds: Double, detail: String)
        case target(platform: Platform, build: String, seconds: Double, ok: Bool, done: Int, total: Int)
        case warning(String)
        /// The tail of a failing command's log.
        case logTail(path: String, text: String)
    }

    public struct StepTime: Codable, Sendable {
        public var name: String
        public var seconds: Double
    }

    public struct Result: Codable, Sendable {
        public var name: String
        public var version: String
        public var directory: String
        public var dryRun: Bool
        public var signed: Bool
        public var keyId: String?
        public var commit: String
        public var sourceDateEpoch: Int64
        public var artifacts: [ReleaseIndex.Artifact]
        public var files: [ReleaseEvidence.FileDigest]
        public var logs: String
        public var verified: Bool
        public var warnings: [String]
        public var steps: [StepTime]
    }

    static let stepNames = ["guard", "test", "build", "archive", "index", "sbom", "reproducibility", "provenance", "evidence", "notes", "sign", "verify", "publish"]

    public func run(_ options: Options, progress: @escaping @Sendable (Event) -> Void = { _ in }) throws(HallmarkError) -> Result {
        var steps: [StepTime] = []
        var warnings: [String] = []
        var stepNumber = 0
        func step<T>(_ name: String, _ body: () throws(HallmarkError) -> (T, String)) throws(HallmarkError) -> T {
            stepNumber += 1
            progress(.step(number: stepNumber, total: Self.stepNames.count, name: name))
            let start = DispatchTime.now()
            let (value, detail) = try body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            steps.append(StepTime(name: name, seconds: seconds))
            progress(.stepDone(name: name, seconds: seconds, detail: detail))
            return value
        }
        func warn(_ message: String) {
            warnings.append(message)
            progress(.warning(message))
        }

        // Config and source.
        let configPath = try context.resolve(options.configPath)
        guard FileIO.isFile(configPath) else {
            throw .invalidInput("\(options.configPath): No such file; run `hallmark init` to write one, or pass --config")
        }
        let configDirectory = (configPath as NSString).deletingLastPathComponent
        let config = try ConfigLoader().load(path: configPath, display: options.configPath)
        let configData = try FileIO.read(configPath, display: options.configPath)
        let configSha256 = Hex.encode(SHA256Hasher.hash(configData))

        var matrix = config.matrix
        if let selected = options.targets {
            for platform in selected where !matrix.contains(where: { $0.platform == platform }) {
                throw .usage("--targets: \(platform) is not in the build matrix of \(options.configPath) (\(Set(matrix.map(\.platform.description)).sorted().joined(separator: ", ")))")
            }
            matrix = matrix.filter { selected.contains($0.platform) }
        }

        // 1. Guard. The release's own output directory never makes the tree dirty.
        let git = GitRepository(directory: configDirectory, environment: context.processEnvironment)
        let distRoot = try context.resolve(options.output) ?? (configDirectory + "/" + config.dist)
        let distInRepository = git.topLevel.map { Paths.relative(distRoot, from: $0) }.flatMap { $0.hasPrefix("..") || $0 == "." ? nil : $0 }
        let guardReport = try step("guard") { () throws(HallmarkError) in
            let report = try VersionGuard(context: context).check(
                version: options.version, directory: configDirectory,
                options: .init(requireV: config.guardOptions.requireV, matchRef: config.guardOptions.matchRef,
                               requireTag: config.guardOptions.requireTag, allowDirty: options.allowDirty,
                               ignoredPaths: distInRepository.map { [$0] } ?? []))
            for failure in report.failures {
                if failure.name == "semver" || failure.name == "git" || failure.name == "v-prefix" || !options.dryRun {
                    throw HallmarkError.invalidInput("version-guard: \(failure.detail)")
                }
                warn("version-guard (ignored in a dry run): \(failure.detail)")
            }
            return (report, "\(options.version) at \(report.commit.map { String($0.prefix(12)) } ?? "?")")
        }
        guard let commit = guardReport.commit, let repoRoot = git.topLevel else {
            throw .invalidInput("\(options.configPath): not inside a git repository with a commit")
        }
        let sourceDateEpoch: Int64
        if let value = context.settings.sourceDateEpoch {
            guard let parsed = Int64(value), parsed >= 0 else { throw .invalidInput("SOURCE_DATE_EPOCH=\(value) is not a number of seconds") }
            sourceDateEpoch = parsed
        } else {
            guard let time = git.headCommitTime else { throw .io("cannot read the commit time of HEAD") }
            sourceDateEpoch = time
        }
        let ref: String? = git.tagCommit(options.version) == commit
            ? "refs/tags/\(options.version)" : (context.settings.ci.githubRef ?? git.currentBranchRef)
        let repository = config.project.repository ?? git.originURL ?? "file://\(repoRoot)"
        let workflowRef = context.settings.ci.githubWorkflowRef
        let workingDirectory = Paths.relative(configDirectory, from: repoRoot)
        let configRelative = Paths.relative(configPath, from: repoRoot)

        // Signing key: resolved before any work, so a missing key fails fast.
        var signingKey: PrivateKey?
        if !options.dryRun {
            let reference = options.keyReference ?? config.signingKey
            do {
                signingKey = try KeyResolver(context: context).signingKey(reference)
            } catch where error.code == .usage {
                throw .usage("signing is required for a release: pass --key PATH, set signing.key in \(options.configPath), or set \(KeyResolver.signingKeyVariable); or pass --dry-run to sign nothing")
            } catch where reference?.hasPrefix("env://") == true && error.message.contains("is not set") {
                throw .usage("signing is required for a release, but \(error.message); set it to the key's PEM, pass --key PATH, or pass --dry-run to sign nothing")
            }
        }

        // Where things go.
        let releaseDirectory = distRoot + "/" + options.version
        let workRoot = distRoot + "/.hallmark-work/" + options.version
        let staging = workRoot + "/release"
        let logs = workRoot + "/logs"
        try Paths.removeIfPresent(workRoot)
        for directory in [staging, logs] { try Paths.makeDirectory(directory) }

        // Every build runs in a clean checkout of the commit at a fixed path, never in the live work tree: what
        // ships is what the commit builds, and a rebuild finds the same paths.
        let tree = try BuildTree.prepare(BuildTree(commit: commit), repository: repoRoot, commit: commit, environment: context.processEnvironment)
        defer { tree.remove() }
        let sourceDirectory = workingDirectory == "." ? tree.source : tree.source + "/" + workingDirectory
        if options.dryRun, guardReport.failures.contains(where: { $0.name == "clean" }) {
            warn("the build uses commit \(commit.prefix(12)) as committed: uncommitted changes are not built")
        }

        // 2. Test.
        try step("test") { () throws(HallmarkError) in
            guard let command = config.testCommand, !options.skipTests else {
                return ((), config.testCommand == nil ? "no test command configured" : "skipped (--skip-tests)")
            }
            let log = logs + "/test.log"
            let status = try Subprocess.shell(command, in: sourceDirectory, environment: context.processEnvironment, logPath: log)
            guard status == 0 else {
                progress(.logTail(path: log, text: Subprocess.tail(log)))
                throw HallmarkError.invalidInput("the test command failed (exit \(status)); see \(log)")
            }
            return ((), command)
        }

        // 3. Build.
        let semver = (try? SemanticVersion(parsing: options.version))?.bare ?? options.version
        let baseValues: [String: String] = [
            "project": config.project.name, "version": options.version, "semver": semver, "tag": options.version,
            "commit": commit, "short_commit": String(commit.prefix(12)), "source_date_epoch": String(sourceDateEpoch),
        ]
        let pinnedEnvironment: [String: String] = [
            "SOURCE_DATE_EPOCH": String(sourceDateEpoch), "TZ": "UTC", "LC_ALL": "C",
            "HALLMARK_VERSION": options.version, "HALLMARK_COMMIT": commit,
        ]
        let jobs = try matrix.map { (entry) throws(HallmarkError) -> BuildJob in
            let buildDirectory = entry.build.directory == "." ? sourceDirectory : sourceDirectory + "/" + entry.build.directory
            guard FileIO.isDirectory(buildDirectory) else {
                throw .invalidInput("\(options.configPath): build \(entry.build.id): dir \"\(entry.build.directory)\" does not exist")
            }
            let binaryName = entry.build.binary + entry.platform.executableSuffix
            let outputPath = tree.output + "/\(entry.build.id)/\(entry.platform.slug)/\(binaryName)"
            let outputForCommand = Paths.relative(outputPath, from: buildDirectory)
            var values = baseValues
            values["os"] = entry.platform.os
            values["arch"] = entry.platform.arch
            values["ext"] = entry.platform.executableSuffix
            values["binary"] = entry.build.binary
            values["id"] = entry.build.id
            values["output"] = outputForCommand
            var targetEnvironment: [String: String] = [
                "HALLMARK_OS": entry.platform.os, "HALLMARK_ARCH": entry.platform.arch, "HALLMARK_OUTPUT": outputForCommand,
                "HALLMARK_BINARY": entry.build.binary,
            ]
            for (key, template) in entry.build.environment {
                targetEnvironment[key] = try template.render(values, source: "\(options.configPath): build \(entry.build.id) env \(key)")
            }
            let command = try entry.build.command.render(values, source: "\(options.configPath): build \(entry.build.id) command")
            let producedAt = try entry.build.output.map { (template) throws(HallmarkError) -> String in
                let path = try template.render(values, source: "\(options.configPath): build \(entry.build.id) output")
                if let reason = RelativePath.unsafeReason(path), !path.hasPrefix("../") || path.contains("\0") {
                    throw HallmarkError.invalidInput("\(options.configPath): build \(entry.build.id) output \"\(path)\": \(reason)")
                }
                return path
            }
            return BuildJob(
                build: entry.build, platform: entry.platform, directory: buildDirectory,
                directoryRelative: Paths.relative(buildDirectory, from: tree.source), command: command,
                environment: targetEnvironment, outputPath: outputPath, producedAt: producedAt ?? outputForCommand,
                copyFrom: producedAt.map { buildDirectory + "/" + $0 },
                log: logs + "/\(entry.build.id)_\(entry.platform.slug).log")
        }
        var processEnvironment = context.processEnvironment
        for (key, value) in pinnedEnvironment { processEnvironment[key] = value }
        for (key, value) in tree.pathMapEnvironment(base: processEnvironment) { processEnvironment[key] = value }
        let binaries = try step("build") { () throws(HallmarkError) in
            let results = BuildRunner.run(
                jobs, baseEnvironment: processEnvironment, width: config.parallelism ?? context.settings.processorCount,
                progress: progress)
            var failures: [String] = []
            var built: [BuiltBinary] = []
            for (job, result) in zip(jobs, results) {
                switch result {
                case .success(let binary): built.append(binary)
                case .failure(let error):
                    // The first failing target's log tail; the others are named in the error line.
                    if failures.isEmpty { progress(.logTail(path: job.log, text: Subprocess.tail(job.log))) }
                    failures.append(error.message)
                }
            }
            if let first = failures.first {
                throw HallmarkError.invalidInput(failures.count == 1 ? first : "\(first) (and \(failures.count - 1) more failed builds)")
            }
            return (built, "\(built.count) target\(built.count == 1 ? "" : "s")")
        }

        // 4. Archive.
        let extraFiles = config.archives.files
        for file in extraFiles where !FileIO.isFile(sourceDirectory + "/" + file) {
            throw .invalidInput("\(options.configPath): archives.files lists \(file), which is not in commit \(commit.prefix(12)) beside the config (is it committed?)")
        }
        var archiveNames = Set<String>()
        var archiveJobs: [(BuiltBinary, String, ArchiveFormat)] = []
        for binary in binaries {
            var values = baseValues
            values["os"] = binary.job.platform.os
            values["arch"] = binary.job.platform.arch
            values["ext"] = binary.job.platform.executableSuffix
            values["binary"] = binary.job.build.binary
            values["id"] = binary.job.build.id
            let base = try config.archives.name.render(values, source: "\(options.configPath): archives.name")
            guard let format = ArchiveFormat(rawValue: config.archives.format(for: binary.job.platform.os)) else {
                throw .invalidInput("\(options.configPath): unknown archive format for \(binary.job.platform.os)")
            }
            let name = base + format.fileExtension
            if base.isEmpty || base.contains("/") || base.contains("\\") || base.hasPrefix(".") || RelativePath.unsafeReason(name) != nil {
                throw .invalidInput("\(options.configPath): archives.name renders to \"\(name)\" for \(binary.job.platform), which is not a plain file name inside the release directory; use a name without \"/\" or a leading \".\"")
            }
            guard archiveNames.insert(name).inserted else {
                throw .invalidInput("\(options.configPath): archives.name gives \"\(name)\" to two targets; add {{ os }}, {{ arch }} or {{ id }} to it")
            }
            archiveJobs.append((binary, name, format))
        }
        let archiver = DeterministicArchiver(modificationTime: sourceDateEpoch, compressionLevel: Int32(config.archives.compressionLevel))
        let artifacts = try step("archive") { () throws(HallmarkError) in
            // One archive at a time: each already compresses its blocks on every core, and two side by side only
            // share the cores and their caches (Benchmarks/release.sh: 1.72x tar|pigz that way, 1.89x this way).
            let results = Parallel.map(archiveJobs, width: 1) { (job) throws(HallmarkError) -> BuiltArtifact in
                let (binary, name, format) = job
                var entries = [ArchiveEntry.executable(binary.pathInArchive, from: binary.job.outputPath)]
                for file in extraFiles { entries.append(.regular(file, from: sourceDirectory + "/" + file)) }
                let path = staging + "/" + name
                let size = try archiver.write(entries, format: format, to: path)
                let sha256 = try FileHasher.hexDigest(ofFileAt: path, algorithm: .sha256, display: name)
                return BuiltArtifact(
                    platform: binary.job.platform, build: binary.job.build.id, archive: name, format: format.rawValue,
                    archiveSha256: sha256, archiveSize: size, binaryPath: binary.pathInArchive, binarySha256: binary.sha256,
                    binarySha1: binary.sha1, binarySize: binary.size, command: binary.job.command, directory: binary.job.directoryRelative,
                    environment: binary.job.environment, output: binary.job.producedAt)
            }
            var out: [BuiltArtifact] = []
            for result in results { out.append(try result.get()) }
            let total = out.reduce(UInt64(0)) { $0 + $1.archiveSize }
            return (out, "\(out.count) archives, \(ReleaseNotes.humanSize(total))")
        }

        // Facts for the describing steps.
        var tools: [String: String] = ["hallmark": VersionInfo.releaseVersion]
        if let version = git.version() { tools["git"] = version }
        for tool in config.tools {
            if case .success(let output) = Swift.Result(catching: { () throws(HallmarkError) in try Subprocess.run([tool, "--version"], in: sourceDirectory, environment: processEnvironment) }),
                output.status == 0,
                let line = (output.stdout + output.stderr).split(separator: "\n").first
            {
                tools[tool] = String(line).trimmingCharacters(in: .whitespaces)
            } else {
                warn("provenance.tools: `\(tool) --version` did not run; its version is not recorded")
            }
        }
        let dependencies = try readLockfiles(config: config, configDirectory: sourceDirectory, repoRoot: tree.source, display: options.configPath)
        let builderID = config.builderID
            ?? workflowRef.map { ref in "https://github.com/\(ref)" }
            ?? "https://hallmark.dev/builders/local"
        let invocationID: String = {
            if let url = context.settings.ci.githubRunURL { return url }
            let seed = [config.project.name, options.version, commit, configSha256].joined(separator: "\n")
            return "urn:hallmark:invocation:" + String(Hex.encode(SHA256Hasher.hash(Data(seed.utf8))).prefix(32))
        }()
        let facts = ReleaseFacts(
            name: config.project.name, version: options.version, commit: commit, ref: ref, repository: repository,
            workflowRef: workflowRef, sourceDateEpoch: sourceDateEpoch, builderID: builderID, invocationID: invocationID,
            config: configRelative, configSha256: configSha256, workingDirectory: workingDirectory,
            supplier: config.project.supplier ?? Self.defaultSupplier(repository: repository, name: config.project.name),
            license: config.project.license, tools: tools, hallmarkVersion: VersionInfo.releaseVersion, artifacts: artifacts,
            dependencies: dependencies)

        let signed = signingKey != nil
        var metadata = [SPDXDocument.fileName, ReproducibilityManifest.fileName, "provenance.json"]
        if signed { metadata.append("provenance.intoto.jsonl") }
        metadata += [ReleaseEvidence.fileName, ReleaseEvidence.markdownFileName, "release-notes.md", ReleaseDirectory.checksums]
        if signed { metadata.append(ReleaseDirectory.signatures) }
        if !config.sbomEnabled { metadata.removeAll { $0 == SPDXDocument.fileName } }
        var written: [String: (sha256: String, size: UInt64)] = [:]
        for artifact in artifacts { written[artifact.archive] = (artifact.archiveSha256, artifact.archiveSize) }
        func write(_ name: String, _ data: Data) throws(HallmarkError) {
            try FileIO.writeAtomically(data, to: staging + "/" + name)
            written[name] = (Hex.encode(SHA256Hasher.hash(data)), UInt64(data.count))
        }
        func encode(_ value: some Encodable) throws(HallmarkError) -> Data {
            do { return try CanonicalJSON.prettyData(value) } catch { throw .io("cannot encode JSON: \(error)") }
        }

        // 5–8. Describe.
        try step("index") { () throws(HallmarkError) in
            let index = ReleaseIndex(
                name: facts.name, version: facts.version, commit: commit, sourceDateEpoch: sourceDateEpoch, repository: repository,
                artifacts: artifacts.map(\.indexEntry), metadata: metadata)
            try write(ReleaseIndex.fileName, try encode(index))
            return ((), "\(artifacts.count) artifacts")
        }
        try step("sbom") { () throws(HallmarkError) in
            guard config.sbomEnabled else { return ((), "disabled in the config") }
            try write(SPDXDocument.fileName, try encode(SBOMBuilder.document(facts)))
            return ((), "SPDX 2.3, \(dependencies.count) dependencies")
        }
        try step("reproducibility") { () throws(HallmarkError) in
            let manifest = ReproducibilityManifest(
                name: facts.name, version: facts.version, commit: commit, ref: ref, repository: repository, workflowRef: workflowRef,
                workingDirectory: workingDirectory, config: configRelative, configSha256: configSha256, sourceDateEpoch: sourceDateEpoch,
                environment: pinnedEnvironment, tools: tools,
                targets: artifacts.map { artifact in
                    ReproducibilityManifest.Target(
                        os: artifact.platform.os, arch: artifact.platform.arch, build: artifact.build, directory: artifact.directory,
                        command: artifact.command, environment: artifact.environment, output: artifact.output,
                        binary: ReleaseIndex.Binary(path: artifact.binaryPath, sha256: artifact.binarySha256, size: artifact.binarySize),
                        rebuild: "hallmark rebuild \(options.version) --target \(artifact.platform)" + (artifacts.filter { $0.platform == artifact.platform }.count > 1 ? " --build \(artifact.build)" : ""))
                }, buildTree: tree.convention)
            try write(ReproducibilityManifest.fileName, try encode(manifest))
            return ((), "\(artifacts.count) targets")
        }
        try step("provenance") { () throws(HallmarkError) in
            let subjectNames = artifacts.map(\.archive) + [ReleaseIndex.fileName] + (config.sbomEnabled ? [SPDXDocument.fileName] : []) + [ReproducibilityManifest.fileName]
            let statement = ProvenanceBuilder.statement(facts, subjects: subjectNames.map { ($0, written[$0]!.sha256) })
            try write("provenance.json", try encode(statement))
            guard let signingKey else { return ((), "SLSA v1, unsigned (dry run)") }
            let envelope = try Attestation(context: context).sign(statement, key: signingKey)
            try write("provenance.intoto.jsonl", try Attestation.jsonLine(envelope))
            return ((), "SLSA v1, signed DSSE")
        }

        // 9. Evidence: the checks so far, and every file written before it.
        try step("evidence") { () throws(HallmarkError) in
            var expected: [String: String] = [:]
            for (name, value) in written { expected[name] = value.sha256 }
            let cross = MetadataCrossCheck.run(root: staging, expected: expected, keys: signingKey.map { [$0.publicKey] } ?? [], complete: false)
            var checks = guardReport.checks.map { ReleaseEvidence.Check(name: "version-guard: \($0.name)", passed: $0.passed, detail: $0.detail) }
            checks.append(.init(name: "builds", passed: true, detail: "\(artifacts.count) targets built; each binary hashed after its build"))
            checks.append(.init(
                name: "metadata cross-check", passed: cross.problems.isEmpty,
                detail: cross.problems.isEmpty ? "\(cross.checked.joined(separator: ", ")) agree with the archives' digests" : cross.problems.map(\.message).joined(separator: "; ")))
            guard cross.problems.isEmpty else { throw HallmarkError.verificationFailed("the release metadata disagrees with itself: \(cross.problems[0].message)", problem: cross.problems[0].code) }
            let evidence = ReleaseEvidence(
                name: facts.name, version: facts.version, commit: commit, ref: ref, repository: repository, sourceDate: facts.sourceDate,
                builder: .init(id: builderID, invocationId: invocationID, hallmarkVersion: VersionInfo.releaseVersion, tools: tools),
                config: .init(name: configRelative, sha256: configSha256, size: UInt64(configData.count)), dryRun: !signed,
                targets: artifacts.map { .init(os: $0.platform.os, arch: $0.platform.arch, build: $0.build, archive: $0.archive, sha256: $0.archiveSha256, binarySha256: $0.binarySha256) },
                files: written.keys.sorted().map { .init(name: $0, sha256: written[$0]!.sha256, size: written[$0]!.size) },
                dependencies: dependencies.count,
                signing: .init(signed: signed, keyId: signingKey?.publicKey.keyID, algorithm: signingKey?.algorithm.signatureAlgorithmName),
                checks: checks)
            try write(ReleaseEvidence.fileName, try encode(evidence))
            try write(ReleaseEvidence.markdownFileName, Data(ReleaseNotes.evidenceMarkdown(evidence).utf8))
            return ((), "\(checks.count) checks passed")
        }

        // 10. Notes.
        try step("notes") { () throws(HallmarkError) in
            var template = ReleaseNotes.defaultTemplate
            var source = "the built-in notes template"
            if let custom = config.notesTemplate {
                if let reason = RelativePath.unsafeReason(custom) { throw HallmarkError.invalidInput("\(options.configPath): release_notes.template \"\(custom)\": \(reason)") }
                template = try FileIO.readText(configDirectory + "/" + custom, display: custom, limit: 1 << 20)
                source = custom
            }
            let text = try ReleaseNotes.render(
                template: template, source: source,
                context: ReleaseNotes.context(facts, signed: signed, keyID: signingKey?.publicKey.keyID, extraFiles: extraFiles))
            try write("release-notes.md", Data(text.utf8))
            return ((), source)
        }

        // 11. Sign (or list only).
        try step("sign") { () throws(HallmarkError) in
            if let signingKey {
                let result = try ReleaseSigning(context: context).sign(directory: staging, key: signingKey)
                return ((), "\(result.signed.count) files signed with \(String(result.keyId.prefix(16)))… (\(result.algorithm))")
            }
            let entries = written.keys.sorted().map { ChecksumEntry(algorithm: .sha256, digest: written[$0]!.sha256, path: $0) }
            try FileIO.writeAtomically(ChecksumList(entries: entries).gnuData, to: staging + "/" + ReleaseDirectory.checksums)
            warn("dry run: nothing was signed (no signatures.json, no provenance.intoto.jsonl)")
            return ((), "dry run: checksums.txt only, nothing signed")
        }

        // 12. Verify the staged release exactly as a user would.
        let report = try step("verify") { () throws(HallmarkError) in
            let report = try ReleaseVerification(context: context).verify(
                directory: staging, keys: signingKey.map { [$0.publicKey] } ?? [], policy: signed ? .required : .allowUnsigned)
            try FileIO.writeAtomically(try encode(report), to: workRoot + "/verify.json")
            guard report.verified else {
                throw HallmarkError.verificationFailed(
                    "the staged release does not verify: \(report.problems.first?.message ?? "?") (report: \(workRoot)/verify.json)", problem: report.problems.first?.code)
            }
            return (report, "\(report.files.count) files, cross-checked \(report.crossChecked.joined(separator: ", "))")
        }

        // 13. Move into place.
        try step("publish") { () throws(HallmarkError) in
            if FileManager.default.fileExists(atPath: releaseDirectory) {
                warn("replacing the previous \(Paths.relative(releaseDirectory, from: context.workingDirectory))")
            }
            try Paths.replaceDirectory(releaseDirectory, with: staging, scratch: workRoot + "/previous")
            return ((), Paths.relative(releaseDirectory, from: context.workingDirectory))
        }

        var files: [ReleaseEvidence.FileDigest] = []
        for file in report.files {
            if let sha = file.sha256 { files.append(.init(name: file.name, sha256: sha, size: written[file.name]?.size ?? 0)) }
        }
        return Result(
            name: facts.name, version: options.version, directory: releaseDirectory, dryRun: options.dryRun, signed: signed,
            keyId: signingKey?.publicKey.keyID, commit: commit, sourceDateEpoch: sourceDateEpoch, artifacts: artifacts.map(\.indexEntry),
            files: files, logs: logs, verified: report.verified, warnings: warnings, steps: steps)
    }

    static func defaultSupplier(repository: String, name: String) -> String {
        // https://github.com/OWNER/REPO → OWNER
        if let url = URL(string: repository), let host = url.host, !host.isEmpty {
            let parts = url.path.split(separator: "/")
            if let owner = parts.first { return "Organization: \(owner)" }
            return "Organization: \(host)"
        }
        return "Organization: \(name)"
    }

    /// Lockfiles named in the config, plus every known lockfile beside the config and in each build's directory.
    func readLockfiles(config: ReleaseConfig, configDirectory: String, repoRoot: String, display: String) throws(HallmarkError) -> [LockedDependency] {
        var paths: [String] = config.lockfiles.map { configDirectory + "/" + $0 }
        var directories = [configDirectory]
        for build in config.builds where build.directory != "." { directories.append(configDirectory + "/" + build.directory) }
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() where Lockfiles.isLockfile(name) { paths.append(directory + "/" + name) }
        }
        var seen = Set<String>()
        var out: [LockedDependency] = []
        for path in paths where seen.insert((path as NSString).standardizingPath).inserted {
            let display = Paths.relative(path, from: configDirectory)
            guard FileIO.isFile(path) else { throw .invalidInput("\(display): the lockfile named in sbom.lockfiles does not exist") }
            let data = try FileIO.read(path, display: display)
            // go.sum repeats go.mod's modules; read it only when there is no go.mod beside it.
            if (path as NSString).lastPathComponent == "go.sum",
                FileIO.isFile(((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("go.mod"))
            {
                _ = try Lockfiles.parse(data, name: path, source: display)  // still must parse
                continue
            }
            out += try Lockfiles.parse(data, name: path, source: display)
        }
        return out
    }
}
