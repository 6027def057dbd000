import Foundation
import HallmarkCore
import Yams

/// Reads `hallmark.yml` strictly: unknown keys are errors with a suggestion, YAML errors give line and column,
/// and every message names the file.
public struct ConfigLoader: Sendable {
    public init() {}

    /// Loads the config at `path`; `display` names it in errors.
    public func load(path: String, display: String) throws(HallmarkError) -> ReleaseConfig {
        let text = try FileIO.readText(path, display: display, limit: 1 << 20)
        return try parse(text, source: display)
    }

    public func parse(_ text: String, source: String) throws(HallmarkError) -> ReleaseConfig {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw HallmarkError.invalidInput("\(source): the file is empty; run `hallmark init` to write one")
            }
            root = node
        } catch let error as HallmarkError {
            throw error
        } catch let error as YamlError {
            throw .invalidInput(Self.describe(error, source: source))
        } catch {
            throw .invalidInput("\(source): not valid YAML: \(error)")
        }
        return try read(YAMLReader(node: root, path: "", source: source))
    }

    static func describe(_ error: YamlError, source: String) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return "\(source):\(mark.line):\(mark.column): invalid YAML: \(detail)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "\(source):\(context.mark.line):\(context.mark.column): the key \(duplicates.joined(separator: ", ")) appears twice"
        default:
            return "\(source): invalid YAML: \(String(describing: error).split(separator: "\n").first ?? "")"
        }
    }

    /// Reads the whole file: the version, the required project and builds, then each optional section, always in
    /// this order (so the first error reported for a file is always the same).
    private func read(_ root: YAMLReader) throws(HallmarkError) -> ReleaseConfig {
        let top = try root.mapping(allowed: [
            "version", "project", "builds", "archives", "signing", "sbom", "provenance", "release_notes", "test", "guard",
            "deployments",
            "dist", "parallelism",
        ])
        if let version = top["version"] {
            let value = try version.int()
            guard value == 1 else { throw version.error("config version \(value) is not supported (this hallmark reads version 1)") }
        }
        guard let projectNode = top["project"] else { throw root.error("the required key \"project\" is missing") }
        let project = try readProject(projectNode)
        guard let buildsNode = top["builds"] else { throw root.error("the required key \"builds\" is missing (a list of builds)") }
        let builds = try readBuilds(buildsNode)
        var archives = ReleaseConfig.Archives()
        if let node = top["archives"] { archives = try readArchives(node) }
        var config = ReleaseConfig(project: project, builds: builds, archives: archives)
        try readSettings(top, into: &config)
        if let node = top["deployments"] { config.deployments = try DeploymentReader(source: node.source).read(node) }
        return config
    }

    /// `project:`: a plain name, and optional repository, supplier (`Organization: ` unless it says otherwise) and
    /// license.
    private func readProject(_ projectNode: YAMLReader) throws(HallmarkError) -> ReleaseConfig.Project {
        let projectMap = try projectNode.mapping(allowed: ["name", "repository", "supplier", "license"])
        guard let nameNode = projectMap["name"] else { throw projectNode.error("project.name is required") }
        let name = try nameNode.string()
        guard !name.isEmpty, !name.contains("/") else { throw nameNode.error("project.name must be a non-empty name without \"/\"") }
        var supplier = try projectMap["supplier"]?.string()
        if let s = supplier, !(s.hasPrefix("Organization: ") || s.hasPrefix("Person: ")) { supplier = "Organization: \(s)" }
        return ReleaseConfig.Project(
            name: name, repository: try projectMap["repository"]?.string(), supplier: supplier,
            license: try projectMap["license"]?.string())
    }

    /// `builds:`: a non-empty list of builds with distinct ids.
    private func readBuilds(_ buildsNode: YAMLReader) throws(HallmarkError) -> [ReleaseConfig.Build] {
        var builds: [ReleaseConfig.Build] = []
        var ids = Set<String>()
        for node in try buildsNode.sequence() {
            builds.append(try readBuild(node, ids: &ids))
        }
        guard !builds.isEmpty else { throw buildsNode.error("builds is empty: add at least one build") }
        return builds
    }

    /// One build: a plain binary name, a command with known template variables, an id not in `ids` (the binary's
    /// name by default), a safe directory, environment variables, an output template and its targets.
    private func readBuild(_ node: YAMLReader, ids: inout Set<String>) throws(HallmarkError) -> ReleaseConfig.Build {
        let map = try node.mapping(allowed: ["id", "binary", "command", "dir", "env", "output", "targets"])
        guard let binaryNode = map["binary"] else { throw node.error("\(node.path).binary is required (the executable's name)") }
        let binary = try binaryNode.string()
        guard RelativePath.unsafeReason(binary) == nil, !binary.contains("/") else { throw binaryNode.error("binary must be a plain file name") }
        guard let commandNode = map["command"] else { throw node.error("\(node.path).command is required") }
        let command = TemplateString(try commandNode.string())
        _ = try commandNode.checkTemplate(command)
        let id = try map["id"]?.string() ?? binary
        guard ids.insert(id).inserted else { throw (map["id"] ?? node).error("build id \"\(id)\" is used twice") }
        let directory = try map["dir"]?.string() ?? "."
        if directory != ".", let reason = RelativePath.unsafeReason(directory) { throw map["dir"]!.error("dir \"\(directory)\": \(reason)") }
        var environment: [String: TemplateString] = [:]
        if let envNode = map["env"] { environment = try readEnvironment(envNode) }
        var output: TemplateString?
        if let outputNode = map["output"] {
            output = TemplateString(try outputNode.string())
            _ = try outputNode.checkTemplate(output!)
        }
        guard let targetsNode = map["targets"] else { throw node.error("\(node.path).targets is required (e.g. [linux/amd64, darwin/arm64])") }
        return ReleaseConfig.Build(
            id: id, binary: binary, command: command, directory: directory, environment: environment, output: output,
            targets: try readTargets(targetsNode))
    }

    /// A build's `env:`: environment variable names (letters, digits, `_`) mapped to templates.
    private func readEnvironment(_ envNode: YAMLReader) throws(HallmarkError) -> [String: TemplateString] {
        var environment: [String: TemplateString] = [:]
        for (key, value) in try envNode.stringMap() {
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw envNode.error("\"\(key)\" is not an environment variable name")
            }
            environment[key] = TemplateString(value)
        }
        return environment
    }

    /// A build's `targets:`: a non-empty list of distinct `os/arch` platforms.
    private func readTargets(_ targetsNode: YAMLReader) throws(HallmarkError) -> [Platform] {
        var targets: [Platform] = []
        for target in try targetsNode.sequence() {
            let platform: Platform
            do { platform = try Platform(parsing: try target.string()) } catch { throw target.error(error.message) }
            guard !targets.contains(platform) else { throw target.error("target \(platform) is listed twice") }
            targets.append(platform)
        }
        guard !targets.isEmpty else { throw targetsNode.error("targets is empty") }
        return targets
    }

    /// `archives:`: the format (and per-OS overrides), the name template, extra files and the compression level.
    private func readArchives(_ node: YAMLReader) throws(HallmarkError) -> ReleaseConfig.Archives {
        var archives = ReleaseConfig.Archives()
        let map = try node.mapping(allowed: ["format", "formats", "name", "files", "compression_level"])
        let formats = ["tar.gz", "zip"]
        if let format = map["format"] {
            archives.format = try format.string()
            guard formats.contains(archives.format) else { throw format.error("archive format \"\(archives.format)\" is not tar.gz or zip") }
        }
        if let overrides = map["formats"] {
            for (os, format) in try overrides.stringMap() {
                guard formats.contains(format) else { throw overrides.error("archive format \"\(format)\" for \(os) is not tar.gz or zip") }
                archives.formatOverrides[os] = format
            }
        }
        if let nameNode = map["name"] {
            archives.name = TemplateString(try nameNode.string())
            _ = try nameNode.checkTemplate(archives.name)
        }
        if let files = map["files"] {
            archives.files = try files.stringList()
            for file in archives.files {
                if let reason = RelativePath.unsafeReason(file) { throw files.error("archive file \"\(file)\": \(reason)") }
            }
        }
        if let level = map["compression_level"] {
            archives.compressionLevel = try level.int()
            guard (1...9).contains(archives.compressionLevel) else { throw level.error("compression_level must be 1 to 9") }
        }
        return archives
    }

    /// The optional sections after `archives:`: signing, sbom, provenance, release notes, test, guard, dist and
    /// parallelism.
    private func readSettings(_ top: [String: YAMLReader], into config: inout ReleaseConfig) throws(HallmarkError) {
        if let node = top["signing"] {
            let map = try node.mapping(allowed: ["key"])
            config.signingKey = try map["key"]?.string()
        }
        if let node = top["sbom"] {
            let map = try node.mapping(allowed: ["enabled", "lockfiles"])
            config.sbomEnabled = try map["enabled"]?.bool() ?? true
            config.lockfiles = try map["lockfiles"]?.stringList() ?? []
            for file in config.lockfiles {
                if let reason = RelativePath.unsafeReason(file) { throw map["lockfiles"]!.error("lockfile \"\(file)\": \(reason)") }
            }
        }
        if let node = top["provenance"] {
            let map = try node.mapping(allowed: ["builder_id", "tools"])
            config.builderID = try map["builder_id"]?.string()
            config.tools = try map["tools"]?.stringList() ?? []
        }
        if let node = top["release_notes"] {
            let map = try node.mapping(allowed: ["template"])
            config.notesTemplate = try map["template"]?.string()
        }
        config.testCommand = try top["test"]?.string()
        if let node = top["guard"] {
            let map = try node.mapping(allowed: ["require_v", "require_tag", "match_ref"])
            config.guardOptions = ReleaseConfig.Guard(
                requireV: try map["require_v"]?.bool() ?? false, requireTag: try map["require_tag"]?.bool() ?? true,
                matchRef: try map["match_ref"]?.bool() ?? false)
        }
        if let node = top["dist"] {
            config.dist = try node.string()
            if let reason = RelativePath.unsafeReason(config.dist) { throw node.error("dist \"\(config.dist)\": \(reason)") }
        }
        if let node = top["parallelism"] {
            let value = try node.int()
            guard value >= 1 else { throw node.error("parallelism must be at least 1") }
            config.parallelism = value
        }
    }
}

/// A YAML node with the path and file it came from, for errors that point at a line.
struct YAMLReader {
    let node: Node
    let path: String
    let source: String

    func error(_ message: String) -> HallmarkError {
        let location = node.mark.map { "\(source):\($0.line):\($0.column)" } ?? source
        return .invalidInput("\(location): \(message)")
    }

    private var label: String { path.isEmpty ? "the top level" : path }

    func mapping(allowed: [String]) throws(HallmarkError) -> [String: YAMLReader] {
        guard case .mapping(let mapping) = node else {
            if case .scalar(let s) = node, s.string.isEmpty, s.tag.description.hasSuffix("null") { return [:] }
            throw error("\(label) must be a mapping of keys to values")
        }
        var out: [String: YAMLReader] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw YAMLReader(node: keyNode, path: path, source: source).error("keys must be plain names")
            }
            let key = scalar.string
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                let hint = Suggestion.closest(to: key, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
                throw YAMLReader(node: keyNode, path: childPath, source: source).error(
                    "unknown key \"\(key)\" in \(label)\(hint); allowed: \(allowed.joined(separator: ", "))")
            }
            out[key] = YAMLReader(node: value, path: childPath, source: source)
        }
        return out
    }

    func sequence() throws(HallmarkError) -> [YAMLReader] {
        guard case .sequence(let items) = node else { throw error("\(label) must be a list") }
        return items.enumerated().map { YAMLReader(node: $1, path: "\(path)[\($0)]", source: source) }
    }

    func string() throws(HallmarkError) -> String {
        guard case .scalar(let scalar) = node else { throw error("\(label) must be a string") }
        return scalar.string
    }

    func int() throws(HallmarkError) -> Int {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string) else { throw error("\(label) must be a whole number") }
        return value
    }

    func bool() throws(HallmarkError) -> Bool {
        guard case .scalar(let scalar) = node else { throw error("\(label) must be true or false") }
        switch scalar.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("\(label) must be true or false")
        }
    }

    func stringList() throws(HallmarkError) -> [String] {
        var out: [String] = []
        for item in try sequence() { out.append(try item.string()) }
        return out
    }

    func stringMap() throws(HallmarkError) -> [String: String] {
        guard case .mapping(let mapping) = node else { throw error("\(label) must be a mapping") }
        var out: [String: String] = [:]
        for (key, value) in mapping {
            guard case .scalar(let k) = key, case .scalar(let v) = value else { throw error("\(label) must map names to strings") }
            out[k.string] = v.string
        }
        return out
    }

    /// Checks that a template's variables are known, pointing at this node when not.
    func checkTemplate(_ template: TemplateString) throws(HallmarkError) -> [String] {
        do throws(HallmarkError) {
            let names = try template.variables()
            for name in names where !ReleaseTemplateVariables.all.contains(name) {
                let hint = Suggestion.closest(to: name, in: ReleaseTemplateVariables.all).map { " (did you mean \"{{ \($0) }}\"?)" } ?? ""
                throw HallmarkError.invalidInput("unknown template variable \"{{ \(name) }}\"\(hint); known: \(ReleaseTemplateVariables.all.joined(separator: ", "))")
            }
            return names
        } catch {
            throw self.error(error.message)
        }
    }
}

/// The `{{ }}` variables builds, outputs and archive names may use.
public enum ReleaseTemplateVariables {
    public static let all = [
        "project", "version", "semver", "tag", "commit", "short_commit", "os", "arch", "ext", "binary", "id", "output",
        "source_date_epoch",
    ]
}
