import Foundation
import HallmarkCore

/// `hallmark init`: detect the project kind and write a `hallmark.yml` that releases it as it stands.
public struct ProjectInit: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public enum Kind: String, Codable, Sendable {
        case swiftpm, cargo, go, make
    }

    public struct Result: Codable, Sendable {
        public var kind: Kind
        public var binary: String
        public var config: String
        public var targets: [String]
        public var command: String
        public var gitignoreUpdated: Bool
    }

    /// What detection decided for a project: how to build it and what to record about it.
    private struct Detected {
        var kind: Kind
        var binaryName: String
        var command: String
        var output: String?
        var targets: [Platform]
        var tools: [String]
        var environment: [String: String] = [:]
    }

    /// Detects the project in `directory`, writes its `hallmark.yml` (replacing one only with `force`) and keeps
    /// release output out of git.
    public func run(directory: String, binary: String?, force: Bool) throws(HallmarkError) -> Result {
        let root = try context.resolve(directory)
        guard FileIO.isDirectory(root) else { throw .io("\(directory): No such directory") }
        let configPath = root + "/" + ReleaseConfig.defaultFileName
        // Every file init reads or writes by name, resolved like any path (a link that leads out is refused).
        for name in ["Package.swift", "Cargo.toml", "go.mod", "Makefile", "makefile", "GNUmakefile", ".gitignore", ReleaseConfig.defaultFileName] {
            _ = try context.resolve(root + "/" + name)
        }
        if FileIO.isFile(configPath) && !force {
            throw .invalidInput("\(ReleaseConfig.defaultFileName) already exists in \(directory); pass --force to replace it")
        }
        if let binary, binary.isEmpty || binary.contains("/") || RelativePath.unsafeReason(binary) != nil {
            throw .usage("--binary must be a plain file name")
        }
        let name = URL(fileURLWithPath: root).lastPathComponent
        var detected = try Self.detect(in: root, directory: directory, name: name, binary: binary)
        detected.binaryName = detected.binaryName.trimmingCharacters(in: .whitespaces)
        let yaml = Self.configText(name: name, detected: detected, extras: Self.extraFiles(in: root))
        // Prove the file is one we read before writing it.
        _ = try ConfigLoader().parse(yaml, source: ReleaseConfig.defaultFileName)
        try FileIO.writeAtomically(Data(yaml.utf8), to: configPath)
        let gitignoreUpdated = try Self.updateGitignore(in: root, kind: detected.kind, binaryName: detected.binaryName)
        return Result(
            kind: detected.kind, binary: detected.binaryName, config: Paths.relative(configPath, from: context.workingDirectory),
            targets: detected.targets.map(\.description), command: detected.command, gitignoreUpdated: gitignoreUpdated)
    }

    /// The project kind at `root` (SwiftPM, Cargo, Go or make, in that order of precedence) and how to build it;
    /// the binary is `binary`, else the one the manifest names, else the directory's `name`.
    private static func detect(in root: String, directory: String, name: String, binary: String?) throws(HallmarkError) -> Detected {
        let host = Platform.host
        /// `binary`, else the name the manifest at `path` gives, else the directory's name.
        func binaryName(_ read: (String) throws(HallmarkError) -> String?, _ path: String) throws(HallmarkError) -> String {
            if let binary { return binary }
            return try read(path) ?? name
        }
        if FileIO.isFile(root + "/Package.swift") {
            // The build path mapped out of the binary (#file, debug info), so a rebuild anywhere gives the same bytes.
            return Detected(
                kind: .swiftpm, binaryName: try binaryName(Self.swiftExecutable, root + "/Package.swift"),
                command: "swift build -c release --product {{ binary }} -Xswiftc -file-prefix-map -Xswiftc \"$HALLMARK_BUILD_ROOT=.\"",
                output: ".build/release/{{ binary }}", targets: [host], tools: ["swift"])
        } else if FileIO.isFile(root + "/Cargo.toml") {
            return Detected(
                kind: .cargo, binaryName: try binaryName(Self.cargoBinary, root + "/Cargo.toml"),
                command: "cargo build --release --bin {{ binary }}", output: "target/release/{{ binary }}", targets: [host],
                tools: ["cargo", "rustc"])
        } else if FileIO.isFile(root + "/go.mod") {
            return Detected(
                kind: .go, binaryName: try binaryName(Self.goBinary, root + "/go.mod"),
                command: "go build -trimpath -ldflags \"-s -w -X main.version={{ version }} -X main.commit={{ commit }}\" -o \"$HALLMARK_OUTPUT\" .",
                output: nil,
                targets: ["linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64"].map { Platform(os: String($0.split(separator: "/")[0]), arch: String($0.split(separator: "/")[1])) },
                tools: ["go"], environment: ["CGO_ENABLED": "0", "GOOS": "{{ os }}", "GOARCH": "{{ arch }}"])
        } else if ["Makefile", "makefile", "GNUmakefile"].contains(where: { FileIO.isFile(root + "/" + $0) }) {
            return Detected(
                kind: .make, binaryName: binary ?? name, command: "make", output: "{{ binary }}", targets: [host], tools: ["make", "cc"])
        }
        throw .invalidInput("\(directory): no Package.swift, Cargo.toml, go.mod or Makefile found; write \(ReleaseConfig.defaultFileName) by hand (see `hallmark init --help`)")
    }

    /// The README, LICENSE and COPYING files at `root`, sorted: the archives carry them.
    private static func extraFiles(in root: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted().filter { file in
            let upper = file.uppercased()
            return (upper.hasPrefix("README") || upper.hasPrefix("LICENSE") || upper.hasPrefix("COPYING")) && FileIO.isFile(root + "/" + file)
        }
    }

    /// The text of `hallmark.yml` for the project `name` as detected, its archives carrying `extras`.
    private static func configText(name: String, detected: Detected, extras: [String]) -> String {
        var yaml = """
            # hallmark.yml — written by `hallmark init` for a \(detected.kind.rawValue) project. Every key is described in
            # `hallmark init --help`. Try it: hallmark release --version v0.1.0 --dry-run
            version: 1
            project:
              name: \(Self.quote(name))
            builds:
              - id: \(Self.quote(detected.binaryName))
                binary: \(Self.quote(detected.binaryName))
                # The command sees HALLMARK_VERSION, HALLMARK_COMMIT, HALLMARK_OS, HALLMARK_ARCH, HALLMARK_OUTPUT and
                # SOURCE_DATE_EPOCH, and the same values as {{ version }}, {{ commit }}, {{ os }}, {{ arch }}, {{ output }}.
                command: \(Self.quote(detected.command))

            """
        if let output = detected.output { yaml += "    output: \(Self.quote(output))\n" }
        if !detected.environment.isEmpty {
            yaml += "    env:\n"
            for key in detected.environment.keys.sorted() { yaml += "      \(key): \(Self.quote(detected.environment[key]!))\n" }
        }
        yaml += "    targets: [\(detected.targets.map(\.description).joined(separator: ", "))]\n"
        yaml += "archives:\n  format: tar.gz\n  formats: { windows: zip }\n  name: \"\(ReleaseConfig.defaultArchiveName)\"\n"
        yaml += extras.isEmpty ? "  files: []\n" : "  files: [\(extras.map(Self.quote).joined(separator: ", "))]\n"
        yaml += """
            signing:
              key: env://HALLMARK_SIGNING_KEY
            sbom:
              enabled: true
            provenance:
              tools: [\(detected.tools.joined(separator: ", "))]
            guard:
              require_tag: true
            dist: dist
            # test: "make test"

            """
        return yaml
    }

    /// Keeps release output (and an in-tree binary) out of git, so the next release finds a clean tree: adds the
    /// entries `.gitignore` at `root` lacks. Returns whether it changed.
    private static func updateGitignore(in root: String, kind: Kind, binaryName: String) throws(HallmarkError) -> Bool {
        var ignore = ["/dist/"]
        if kind == .make { ignore.append("/\(binaryName)") }
        let gitignorePath = root + "/.gitignore"
        let existing = (try? FileIO.readText(gitignorePath, limit: 1 << 20)) ?? ""
        let present = Set(existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        let missing = ignore.filter { entry in
            let bare = entry.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            return ![entry, bare, bare + "/", "/" + bare].contains(where: present.contains)
        }
        guard !missing.isEmpty else { return false }
        var text = existing
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        text += missing.joined(separator: "\n") + "\n"
        try FileIO.writeAtomically(Data(text.utf8), to: gitignorePath)
        return true
    }

    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The first executable product or target named in Package.swift.
    static func swiftExecutable(_ path: String) throws(HallmarkError) -> String? {
        let text = try FileIO.readText(path, display: "Package.swift", limit: 1 << 20)
        for marker in [".executable(", ".executableTarget("] {
            guard let range = text.range(of: marker) else { continue }
            let rest = text[range.upperBound...]
            guard let nameKey = rest.range(of: "name:"), let open = rest[nameKey.upperBound...].firstIndex(of: "\"") else { continue }
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "\"") else { continue }
            return String(rest[afterOpen..<close])
        }
        return nil
    }

    static func cargoBinary(_ path: String) throws(HallmarkError) -> String? {
        let toml = try MiniTOML(parsing: try FileIO.readText(path, display: "Cargo.toml", limit: 1 << 20), source: "Cargo.toml")
        if let bin = toml.arrayTables("bin").first?.string("name") { return bin }
        return toml.tables.first(where: { $0.name == "package" })?.string("name")
    }

    static func goBinary(_ path: String) throws(HallmarkError) -> String? {
        let text = try FileIO.readText(path, display: "go.mod", limit: 1 << 20)
        for line in text.split(separator: "\n") where line.hasPrefix("module ") {
            let module = line.dropFirst("module ".count).trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\"", with: "")
            return module.split(separator: "/").last.map(String.init)
        }
        return nil
    }
}
