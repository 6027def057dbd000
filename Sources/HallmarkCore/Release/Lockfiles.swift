import Foundation

/// A third-party package a release was built with, as a lockfile records it.
public struct LockedDependency: Codable, Sendable, Hashable {
    /// The purl type: swift, golang, cargo, npm, pypi.
    public var ecosystem: String
    public var name: String
    public var version: String?
    /// Package URL (https://github.com/package-url/purl-spec).
    public var purl: String
    /// Who distributes it (the SPDX supplier), e.g. `Organization: apple` or `Organization: crates.io`.
    public var supplier: String
    /// An SPDX download location: a URL, a VCS locator, or NOASSERTION.
    public var downloadLocation: String
    /// A digest the lockfile pins, keyed by in-toto algorithm name (sha256, sha512), hex.
    public var digest: [String: String]
    /// The lockfile it came from, relative to the project.
    public var lockfile: String
}

/// Reads the lockfiles Hallmark knows. Each reader takes the file's bytes and the name to use in errors.
public enum Lockfiles {
    /// The lockfile names looked for in a project directory (plus `requirements*.txt`).
    public static let knownNames = ["Package.resolved", "go.mod", "go.sum", "Cargo.lock", "package-lock.json", "poetry.lock", "uv.lock"]

    /// Whether `name` is a lockfile Hallmark reads.
    public static func isLockfile(_ name: String) -> Bool {
        knownNames.contains(name) || (name.hasPrefix("requirements") && name.hasSuffix(".txt"))
    }

    /// Parses the lockfile called `name` (its base name picks the reader).
    public static func parse(_ data: Data, name: String, source: String) throws(HallmarkError) -> [LockedDependency] {
        let base = (name as NSString).lastPathComponent
        switch base {
        case "Package.resolved": return try swiftPackageResolved(data, source: source)
        case "go.mod": return try goMod(text(data, source), source: source)
        case "go.sum": return try goSum(text(data, source), source: source)
        case "Cargo.lock": return try cargoLock(text(data, source), source: source)
        case "package-lock.json": return try npmPackageLock(data, source: source)
        case "poetry.lock", "uv.lock": return try pythonLock(text(data, source), source: source, uv: base == "uv.lock")
        default:
            if isLockfile(base) { return try requirements(text(data, source), source: source) }
            throw .invalidInput("\(source): not a lockfile Hallmark reads")
        }
    }

    static func text(_ data: Data, _ source: String) throws(HallmarkError) -> String {
        guard let text = String(data: data, encoding: .utf8) else { throw .invalidInput("\(source): not UTF-8 text") }
        return text
    }

    static func json(_ data: Data, _ source: String) throws(HallmarkError) -> JSONValue {
        do { return try JSONValue(parsing: data) } catch {
            throw .invalidInput("\(source): \(error.description) (the lockfile does not parse; regenerate it with its tool)")
        }
    }

    /// Percent-encodes a purl name or namespace segment.
    static func purlEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: ".-_~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    // MARK: SwiftPM

    static func swiftPackageResolved(_ data: Data, source: String) throws(HallmarkError) -> [LockedDependency] {
        let root = try json(data, source)
        guard let version = root["version"]?.intValue else { throw .invalidInput("\(source): no \"version\" field; not a Package.resolved file") }
        let pins: [JSONValue]
        switch version {
        case 1: pins = root["object"]?["pins"]?.arrayValue ?? []
        case 2, 3: pins = root["pins"]?.arrayValue ?? []
        default: throw .invalidInput("\(source): Package.resolved version \(version) is not supported (1, 2 and 3 are)")
        }
        var out: [LockedDependency] = []
        for (index, pin) in pins.enumerated() {
            guard let location = (pin["location"] ?? pin["repositoryURL"])?.stringValue, let state = pin["state"] else {
                throw .invalidInput("\(source): pins[\(index)] has no location or state")
            }
            let revision = state["revision"]?.stringValue
            let pinned = state["version"]?.stringValue ?? state["branch"]?.stringValue ?? revision
            var path = location
            for scheme in ["https://", "http://", "ssh://", "git@"] where path.hasPrefix(scheme) { path = String(path.dropFirst(scheme.count)) }
            path = path.replacingOccurrences(of: ":", with: "/")
            if path.hasSuffix(".git") { path = String(path.dropLast(4)) }
            let segments = path.split(separator: "/").map(String.init)
            let name = (pin["identity"]?.stringValue ?? pin["package"]?.stringValue ?? segments.last ?? location)
            let owner = segments.count >= 2 ? segments[segments.count - 2] : (segments.first ?? "NOASSERTION")
            let purl = "pkg:swift/" + segments.map(purlEncode).joined(separator: "/") + (pinned.map { "@" + purlEncode($0) } ?? "")
            let isURL = location.hasPrefix("https://") || location.hasPrefix("http://")
            out.append(LockedDependency(
                ecosystem: "swift", name: segments.last ?? name, version: pinned, purl: purl,
                supplier: "Organization: \(owner)",
                downloadLocation: isURL ? "git+\(location)\(revision.map { "@" + $0 } ?? "")" : "NOASSERTION",
                digest: revision.map { ["gitCommit": $0] } ?? [:], lockfile: source))
        }
        return out
    }

    // MARK: Go

    static func goDependency(module: String, version: String, source: String, digest: [String: String] = [:]) -> LockedDependency {
        let segments = module.split(separator: "/").map(String.init)
        let supplier = segments.count >= 2 ? "\(segments[0])/\(segments[1])" : module
        return LockedDependency(
            ecosystem: "golang", name: module, version: version,
            purl: "pkg:golang/" + segments.map(purlEncode).joined(separator: "/") + "@" + purlEncode(version),
            supplier: "Organization: \(supplier)",
            downloadLocation: "https://proxy.golang.org/\(module.lowercased())/@v/\(version).zip", digest: digest, lockfile: source)
    }

    static func goMod(_ text: String, source: String) throws(HallmarkError) -> [LockedDependency] {
        var out: [LockedDependency] = []
        var inRequire = false
        var sawModule = false
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if let comment = line.range(of: "//") { line = String(line[..<comment.lowerBound]) }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let first = fields.first else { continue }
            if inRequire {
                if first == ")" { inRequire = false; continue }
                guard fields.count == 2 else { throw .invalidInput("\(source):\(index + 1): expected `module version` in the require block") }
                out.append(goDependency(module: fields[0], version: fields[1], source: source))
                continue
            }
            switch first {
            case "module": sawModule = true
            case "require":
                if fields.count == 2 && fields[1] == "(" { inRequire = true } else if fields.count == 3 {
                    out.append(goDependency(module: fields[1], version: fields[2], source: source))
                } else {
                    throw .invalidInput("\(source):\(index + 1): malformed require directive")
                }
            case "go", "toolchain", "replace", "exclude", "retract", "godebug", "tool", ")", "(": continue
            default:
                if fields.count >= 2 && fields[1] == "(" { continue }
                throw .invalidInput("\(source):\(index + 1): unknown directive \"\(first)\" (the go.mod does not parse)")
            }
        }
        if inRequire { throw .invalidInput("\(source): a require block is never closed") }
        if !sawModule { throw .invalidInput("\(source): no module directive (the go.mod does not parse)") }
        return out
    }

    static func goSum(_ text: String, source: String) throws(HallmarkError) -> [LockedDependency] {
        var out: [LockedDependency] = []
        var seen = Set<String>()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = raw.split(separator: " ").map(String.init)
            if fields.isEmpty { continue }
            guard fields.count == 3, fields[2].hasPrefix("h1:") else {
                throw .invalidInput("\(source):\(index + 1): expected `module version h1:hash` (the go.sum does not parse)")
            }
            if fields[1].hasSuffix("/go.mod") { continue }
            guard seen.insert(fields[0] + "@" + fields[1]).inserted else { continue }
            out.append(goDependency(module: fields[0], version: fields[1], source: source))
        }
        return out
    }

    // MARK: Cargo

    static func cargoLock(_ text: String, source: String) throws(HallmarkError) -> [LockedDependency] {
        let toml = try MiniTOML(parsing: text, source: source)
        var out: [LockedDependency] = []
        for table in toml.arrayTables("package") {
            guard let name = table.string("name"), let version = table.string("version") else {
                throw .invalidInput("\(source):\(table.line): a [[package]] without name or version")
            }
            guard let origin = table.string("source") else { continue }  // the workspace's own crates
            let fromRegistry = origin.hasPrefix("registry+")
            out.append(LockedDependency(
                ecosystem: "cargo", name: name, version: version,
                purl: "pkg:cargo/\(purlEncode(name))@\(purlEncode(version))",
                supplier: fromRegistry && origin.contains("crates.io") ? "Organization: crates.io" : "Organization: \(origin.split(separator: "#").first.map(String.init) ?? origin)",
                downloadLocation: fromRegistry
                    ? "https://crates.io/api/v1/crates/\(name)/\(version)/download"
                    : (origin.hasPrefix("git+") ? String(origin.split(separator: "#").first ?? "") : "NOASSERTION"),
                digest: table.string("checksum").map { ["sha256": $0] } ?? [:], lockfile: source))
        }
        return out
    }

    // MARK: npm

    static func npmDependency(name: String, entry: JSONValue, source: String) -> LockedDependency {
        let version = entry["version"]?.stringValue
        let encodedName: String
        if name.hasPrefix("@"), let slash = name.firstIndex(of: "/") {
            encodedName = "%40" + purlEncode(String(name[name.index(after: name.startIndex)..<slash])) + "/" + purlEncode(String(name[name.index(after: slash)...]))
        } else {
            encodedName = purlEncode(name)
        }
        var digest: [String: String] = [:]
        if let integrity = entry["integrity"]?.stringValue, integrity.hasPrefix("sha512-"),
            let bytes = Data(base64Encoded: String(integrity.dropFirst(7)))
        {
            digest["sha512"] = Hex.encode(bytes)
        }
        let resolved = entry["resolved"]?.stringValue
        return LockedDependency(
            ecosystem: "npm", name: name, version: version, purl: "pkg:npm/\(encodedName)" + (version.map { "@" + purlEncode($0) } ?? ""),
            supplier: "Organization: npmjs.com",
            downloadLocation: resolved.flatMap { $0.hasPrefix("https://") ? $0 : nil } ?? "NOASSERTION", digest: digest, lockfile: source)
    }

    static func npmPackageLock(_ data: Data, source: String) throws(HallmarkError) -> [LockedDependency] {
        let root = try json(data, source)
        guard root["lockfileVersion"]?.intValue != nil else { throw .invalidInput("\(source): no lockfileVersion; not a package-lock.json") }
        var out: [LockedDependency] = []
        if let packages = root["packages"]?.objectValue {
            for (path, entry) in packages where !path.isEmpty && entry["link"]?.boolValue != true {
                guard let range = path.range(of: "node_modules/", options: .backwards) else { continue }
                out.append(npmDependency(name: String(path[range.upperBound...]), entry: entry, source: source))
            }
        } else if let dependencies = root["dependencies"]?.objectValue {
            func walk(_ deps: [String: JSONValue]) {
                for (name, entry) in deps {
                    out.append(npmDependency(name: name, entry: entry, source: source))
                    if let nested = entry["dependencies"]?.objectValue { walk(nested) }
                }
            }
            walk(dependencies)
        }
        return Array(Set(out)).sorted { $0.purl < $1.purl }
    }

    // MARK: Python

    static func pypiName(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: ".", with: "-")
    }

    static func pypiDependency(name: String, version: String?, source: String, digest: [String: String] = [:]) -> LockedDependency {
        let normalized = pypiName(name)
        return LockedDependency(
            ecosystem: "pypi", name: normalized, version: version,
            purl: "pkg:pypi/\(purlEncode(normalized))" + (version.map { "@" + purlEncode($0) } ?? ""),
            supplier: "Organization: PyPI",
            downloadLocation: version.map { "https://pypi.org/project/\(normalized)/\($0)/" } ?? "https://pypi.org/project/\(normalized)/",
            digest: digest, lockfile: source)
    }

    static func requirements(_ text: String, source: String) throws(HallmarkError) -> [LockedDependency] {
        var out: [LockedDependency] = []
        var logical: [(Int, String)] = []
        var pending = ""
        var startLine = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw).trimmingWhitespace()
            if pending.isEmpty { startLine = index + 1 }
            if line.hasSuffix("\\") {
                line.removeLast()
                pending += line + " "
                continue
            }
            logical.append((startLine, pending + line))
            pending = ""
        }
        for (number, line) in logical {
            var spec = line
            if let hash = spec.range(of: " #") ?? (spec.hasPrefix("#") ? spec.range(of: "#") : nil) { spec = String(spec[..<hash.lowerBound]) }
            spec = spec.trimmingWhitespace()
            if spec.isEmpty || spec.hasPrefix("-") { continue }
            if let options = spec.range(of: " --") { spec = String(spec[..<options.lowerBound]).trimmingWhitespace() }
            if let marker = spec.firstIndex(of: ";") { spec = String(spec[..<marker]).trimmingWhitespace() }
            let nameEnd = spec.firstIndex(where: { !($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }) ?? spec.endIndex
            let name = String(spec[..<nameEnd])
            guard let first = name.first, first.isLetter || first.isNumber else {
                throw .invalidInput("\(source):\(number): \"\(line)\" is not a requirement (expected NAME==VERSION)")
            }
            var rest = String(spec[nameEnd...]).trimmingWhitespace()
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { throw .invalidInput("\(source):\(number): unclosed extras in \"\(line)\"") }
                rest = String(rest[rest.index(after: close)...]).trimmingWhitespace()
            }
            var version: String?
            if rest.hasPrefix("===") {
                version = String(rest.dropFirst(3)).trimmingWhitespace()
            } else if rest.hasPrefix("==") {
                version = String(rest.dropFirst(2)).trimmingWhitespace()
            } else if !rest.isEmpty, !"<>=!~@".contains(rest.first!) {
                throw .invalidInput("\(source):\(number): \"\(line)\" is not a requirement (expected NAME==VERSION)")
            }
            if let v = version, v.isEmpty || v.contains(",") || v.contains("*") { version = nil }
            out.append(pypiDependency(name: name, version: version, source: source))
        }
        return out
    }

    static func pythonLock(_ text: String, source: String, uv: Bool) throws(HallmarkError) -> [LockedDependency] {
        let toml = try MiniTOML(parsing: text, source: source)
        var out: [LockedDependency] = []
        for table in toml.arrayTables("package") {
            guard let name = table.string("name") else { throw .invalidInput("\(source):\(table.line): a [[package]] without a name") }
            if uv, let origin = table.values["source"], ["editable", "virtual", "directory", "path"].contains(where: { origin.contains($0) }) {
                continue  // the project itself, or a local path
            }
            guard let version = table.string("version") else { throw .invalidInput("\(source):\(table.line): package \(name) has no version") }
            out.append(pypiDependency(name: name, version: version, source: source))
        }
        return out
    }
}
