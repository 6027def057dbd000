import Foundation
import HallmarkCore

/// Preparation before the builds: each target's command, environment and output path rendered from the config,
/// with the variables that pin the build (source date, time zone, locale) and map the checkout's path out of it.
struct BuildPlanStep: ReleaseStep {
    let name = "build plan"
    let announced = false
    let requires: [ReleaseProduct] = [.source, .workspace]
    let produces = ReleaseProduct.buildPlan

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let inputs = state.inputs
        let source = try state.need(\.source, .source, for: name)
        let workspace = try state.need(\.workspace, .workspace, for: name)
        let version = inputs.options.version
        let commit = source.commit
        let semver = (try? SemanticVersion(parsing: version))?.bare ?? version
        let baseValues: [String: String] = [
            "project": inputs.config.project.name, "version": version, "semver": semver, "tag": version,
            "commit": commit, "short_commit": String(commit.prefix(12)),
            "source_date_epoch": String(source.sourceDateEpoch),
        ]
        let pinnedEnvironment: [String: String] = [
            "SOURCE_DATE_EPOCH": String(source.sourceDateEpoch), "TZ": "UTC", "LC_ALL": "C",
            "HALLMARK_VERSION": version, "HALLMARK_COMMIT": commit,
        ]
        let jobs = try inputs.matrix.map { (entry) throws(HallmarkError) -> BuildJob in
            try Self.job(
                build: entry.build, platform: entry.platform, values: baseValues, workspace: workspace,
                display: inputs.options.configPath)
        }
        var processEnvironment = context.engine.processEnvironment
        for (key, value) in pinnedEnvironment { processEnvironment[key] = value }
        for (key, value) in workspace.tree.pathMapEnvironment(base: processEnvironment) {
            processEnvironment[key] = value
        }
        state.buildPlan = BuildPlan(
            baseValues: baseValues, pinnedEnvironment: pinnedEnvironment, processEnvironment: processEnvironment,
            jobs: jobs)
        return "\(jobs.count) jobs"
    }

    /// One target's job; `display` names the config in errors.
    static func job(
        build: ReleaseConfig.Build, platform: Platform, values baseValues: [String: String],
        workspace: ReleaseWorkspace, display: String
    ) throws(HallmarkError) -> BuildJob {
        let sourceDirectory = workspace.sourceDirectory
        let buildDirectory = build.directory == "." ? sourceDirectory : sourceDirectory + "/" + build.directory
        guard FileIO.isDirectory(buildDirectory) else {
            throw .invalidInput("\(display): build \(build.id): dir \"\(build.directory)\" does not exist")
        }
        let binaryName = build.binary + platform.executableSuffix
        let outputPath = workspace.tree.output + "/\(build.id)/\(platform.slug)/\(binaryName)"
        let outputForCommand = Paths.relative(outputPath, from: buildDirectory)
        var values = baseValues
        values["os"] = platform.os
        values["arch"] = platform.arch
        values["ext"] = platform.executableSuffix
        values["binary"] = build.binary
        values["id"] = build.id
        values["output"] = outputForCommand
        var environment: [String: String] = [
            "HALLMARK_OS": platform.os, "HALLMARK_ARCH": platform.arch, "HALLMARK_OUTPUT": outputForCommand,
            "HALLMARK_BINARY": build.binary,
        ]
        for (key, template) in build.environment {
            environment[key] = try template.render(values, source: "\(display): build \(build.id) env \(key)")
        }
        let command = try build.command.render(values, source: "\(display): build \(build.id) command")
        let producedAt = try build.output.map { (template) throws(HallmarkError) -> String in
            let path = try template.render(values, source: "\(display): build \(build.id) output")
            if let reason = RelativePath.unsafeReason(path), !path.hasPrefix("../") || path.contains("\0") {
                throw HallmarkError.invalidInput("\(display): build \(build.id) output \"\(path)\": \(reason)")
            }
            return path
        }
        return BuildJob(
            build: build, platform: platform, directory: buildDirectory,
            directoryRelative: Paths.relative(buildDirectory, from: workspace.tree.source), command: command,
            environment: environment, outputPath: outputPath, producedAt: producedAt ?? outputForCommand,
            copyFrom: producedAt.map { buildDirectory + "/" + $0 },
            log: workspace.logs + "/\(build.id)_\(platform.slug).log")
    }
}

/// Step 3: every target's build, in parallel; the first failing target's log tail is shown, and the error names
/// how many more failed.
struct BuildStep: ReleaseStep {
    let name = "build"
    let requires: [ReleaseProduct] = [.tested, .buildPlan]
    let produces = ReleaseProduct.binaries

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let plan = try state.need(\.buildPlan, .buildPlan, for: name)
        let results = BuildRunner.run(
            plan.jobs, baseEnvironment: plan.processEnvironment,
            width: state.inputs.config.parallelism ?? context.engine.settings.processorCount,
            progress: context.progress)
        var failures: [String] = []
        var built: [BuiltBinary] = []
        for (job, result) in zip(plan.jobs, results) {
            switch result {
            case .success(let binary): built.append(binary)
            case .failure(let error):
                // The first failing target's log tail; the others are named in the error line.
                if failures.isEmpty { context.progress(.logTail(path: job.log, text: Subprocess.tail(job.log))) }
                failures.append(error.message)
            }
        }
        if let first = failures.first {
            throw .invalidInput(failures.count == 1 ? first : "\(first) (and \(failures.count - 1) more failed builds)")
        }
        state.binaries = built
        return "\(built.count) target\(built.count == 1 ? "" : "s")"
    }
}
