import Foundation
import HallmarkCore
import HallmarkCrypto

/// Preparation before the describing steps: what they all state about the release — source, builder, invocation,
/// tool versions, locked dependencies and the archives.
struct FactsStep: ReleaseStep {
    let name = "facts"
    let announced = false
    let requires: [ReleaseProduct] = [.source, .workspace, .buildPlan, .artifacts]
    let produces = ReleaseProduct.facts

    func run(_ state: inout ReleaseState, _ context: ReleaseStepContext) throws(HallmarkError) -> String {
        let inputs = state.inputs
        let config = inputs.config
        let source = try state.need(\.source, .source, for: name)
        let workspace = try state.need(\.workspace, .workspace, for: name)
        let plan = try state.need(\.buildPlan, .buildPlan, for: name)
        let artifacts = try state.need(\.artifacts, .artifacts, for: name)
        var tools: [String: String] = ["hallmark": VersionInfo.releaseVersion]
        if let version = inputs.git.version() { tools["git"] = version }
        for tool in config.tools {
            if let version = Self.toolVersion(tool, in: workspace.sourceDirectory, environment: plan.processEnvironment)
            {
                tools[tool] = version
            } else {
                state.warn("provenance.tools: `\(tool) --version` did not run; its version is not recorded", context)
            }
        }
        let dependencies = try Self.readLockfiles(
            config: config, configDirectory: workspace.sourceDirectory, display: inputs.options.configPath)
        state.facts = ReleaseFacts(
            name: config.project.name, version: inputs.options.version, commit: source.commit, ref: source.ref,
            repository: source.repository, workflowRef: source.workflowRef, sourceDateEpoch: source.sourceDateEpoch,
            builderID: config.builderID ?? source.workflowRef.map { ref in "https://github.com/\(ref)" }
                ?? "https://hallmark.dev/builders/local",
            invocationID: Self.invocationID(inputs, commit: source.commit, ci: context.engine.settings.ci),
            config: source.configRelative, configSha256: inputs.configSha256, workingDirectory: source.workingDirectory,
            supplier: config.project.supplier
                ?? Self.defaultSupplier(repository: source.repository, name: config.project.name),
            license: config.project.license, tools: tools, hallmarkVersion: VersionInfo.releaseVersion,
            artifacts: artifacts, dependencies: dependencies)
        return "\(tools.count) tools, \(dependencies.count) dependencies"
    }

    /// The first line `TOOL --version` prints, or nil when it does not run or fails.
    static func toolVersion(_ tool: String, in directory: String, environment: [String: String]) -> String? {
        guard
            case .success(let output) = Swift.Result(catching: { () throws(HallmarkError) in
                try Subprocess.run([tool, "--version"], in: directory, environment: environment)
            }), output.status == 0, let line = (output.stdout + output.stderr).split(separator: "\n").first
        else { return nil }
        return String(line).trimmingCharacters(in: .whitespaces)
    }

    /// The CI run's URL on GitHub Actions; elsewhere a URN derived from the release, so a rerun gets the same one.
    static func invocationID(_ inputs: ReleaseInputs, commit: String, ci: CISettings) -> String {
        if let url = ci.githubRunURL { return url }
        let seed = [inputs.config.project.name, inputs.options.version, commit, inputs.configSha256].joined(
            separator: "\n")
        return "urn:hallmark:invocation:" + String(Hex.encode(SHA256Hasher.hash(Data(seed.utf8))).prefix(32))
    }

    /// The SPDX supplier when the config names none: the repository's owner, else its host, else the project.
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
    static func readLockfiles(config: ReleaseConfig, configDirectory: String, display: String) throws(HallmarkError)
        -> [LockedDependency]
    {
        var paths: [String] = config.lockfiles.map { configDirectory + "/" + $0 }
        var directories = [configDirectory]
        for build in config.builds where build.directory != "." {
            directories.append(configDirectory + "/" + build.directory)
        }
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.sorted() where Lockfiles.isLockfile(name) { paths.append(directory + "/" + name) }
        }
        var seen = Set<String>()
        var out: [LockedDependency] = []
        for path in paths where seen.insert((path as NSString).standardizingPath).inserted {
            let display = Paths.relative(path, from: configDirectory)
            guard FileIO.isFile(path) else {
                throw .invalidInput("\(display): the lockfile named in sbom.lockfiles does not exist")
            }
            let data = try FileIO.read(path, display: display)
            // go.sum repeats go.mod's modules; read it only when there is no go.mod beside it.
            if (path as NSString).lastPathComponent == "go.sum",
                FileIO.isFile(
                    ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("go.mod"))
            {
                _ = try Lockfiles.parse(data, name: path, source: display)  // still must parse
                continue
            }
            out += try Lockfiles.parse(data, name: path, source: display)
        }
        return out
    }
}
