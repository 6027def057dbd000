import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark trust update`: walk a TUF repository mirror from a trusted root, verify timestamp, snapshot and
/// targets (and delegations), and install the target (Sigstore's `trusted_root.json`) only when all of it holds.
public struct TrustUpdate: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    public struct Result: Codable, Sendable {
        public var rootVersion: Int
        public var rootExpires: String
        /// Root versions accepted after the initial one, in order.
        public var rootsWalked: [Int]
        public var timestampVersion: Int
        public var snapshotVersion: Int
        public var targetsVersion: Int
        public var target: String
        public var targetRole: String
        public var sha256: String
        public var length: Int
        public var installedAt: String
    }

    /// Where the installed trusted root lives: `HALLMARK_TRUST_DIR`, else `$XDG_CONFIG_HOME/hallmark`, else
    /// `~/.config/hallmark`.
    public static func defaultTrustedRootPath(environment: [String: String]) -> String? {
        if let dir = environment["HALLMARK_TRUST_DIR"], !dir.isEmpty { return dir + "/trusted_root.json" }
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/hallmark/trusted_root.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.config/hallmark/trusted_root.json" }
        return nil
    }

    public func update(repository: String, initialRoot: String, now: Date, target: String, output: String?) throws(HallmarkError) -> Result {
        let base = context.resolve(repository)
        let metadataDir = FileIO.isDirectory(base + "/metadata") ? base + "/metadata" : base
        let targetsDir = base + "/targets"
        func load(_ name: String) throws(HallmarkError) -> TUFMetadata {
            let path = metadataDir + "/" + name
            return try TUFMetadata(parsing: try FileIO.read(path, display: name, limit: 32 << 20), source: name)
        }
        func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws(HallmarkError) {
            if !condition { throw .verificationFailed(message()) }
        }

        // 1. The root chain: each next version signed by a threshold of the old root's and its own root keys.
        var root = try TUFMetadata(parsing: try FileIO.read(context.resolve(initialRoot), display: initialRoot, limit: 1 << 20), source: initialRoot)
        try expect(root.type == "root", "\(initialRoot): is \(root.type) metadata, not root")
        guard let selfRole = root.rootRole("root") else { throw .invalidInput("\(initialRoot): no root role") }
        try expect(root.isSigned(by: selfRole), "\(initialRoot): the trusted root is not signed by a threshold of its own root keys")
        var walked: [Int] = []
        while FileIO.isFile(metadataDir + "/\(root.version + 1).root.json") {
            let name = "\(root.version + 1).root.json"
            let next = try load(name)
            try expect(next.type == "root", "\(name): is \(next.type) metadata, not root")
            try expect(next.version == root.version + 1, "\(name): has version \(next.version), not \(root.version + 1) (versions only increase by one)")
            guard let oldRole = root.rootRole("root"), let newRole = next.rootRole("root") else { throw .invalidInput("\(name): no root role") }
            let byOld = next.validSignatureCount(by: oldRole)
            try expect(byOld >= oldRole.threshold, "\(name): signed by \(byOld) of the \(oldRole.threshold) keys the trusted root v\(root.version) requires")
            let byNew = next.validSignatureCount(by: newRole)
            try expect(byNew >= newRole.threshold, "\(name): signed by \(byNew) of the \(newRole.threshold) keys its own root role requires")
            root = next
            walked.append(next.version)
        }
        try expect(!root.isExpired(at: now), "root v\(root.version) expired at \(RFC3339.format(unixSeconds: Int64(root.expires.timeIntervalSince1970)))")
        let consistent = root.signed["consistent_snapshot"]?.boolValue ?? false

        // 2. timestamp → snapshot → targets.
        func role(_ name: String) throws(HallmarkError) -> TUFMetadata.Role {
            guard let role = root.rootRole(name) else { throw .invalidInput("root v\(root.version) has no \(name) role") }
            return role
        }
        func checked(_ meta: TUFMetadata, _ file: String, type: String, role: TUFMetadata.Role, version: Int?) throws(HallmarkError) {
            try expect(meta.type == type, "\(file): is \(meta.type) metadata, not \(type)")
            try expect(meta.isSigned(by: role), "\(file): not signed by a threshold (\(role.threshold)) of the \(role.name) role's keys")
            if let version { try expect(meta.version == version, "\(file): has version \(meta.version), but \(version) is expected") }
            try expect(!meta.isExpired(at: now), "\(file): expired at \(RFC3339.format(unixSeconds: Int64(meta.expires.timeIntervalSince1970)))")
        }
        let timestamp = try load("timestamp.json")
        try checked(timestamp, "timestamp.json", type: "timestamp", role: try role("timestamp"), version: nil)
        let snapshotVersion = timestamp.signed["meta"]?["snapshot.json"]?["version"]?.intValue
        let snapshotName = consistent && snapshotVersion != nil ? "\(snapshotVersion!).snapshot.json" : "snapshot.json"
        let snapshotData = try FileIO.read(metadataDir + "/" + snapshotName, display: snapshotName, limit: 32 << 20)
        try checkHashes(timestamp.signed["meta"]?["snapshot.json"], data: snapshotData, name: snapshotName)
        let snapshot = try TUFMetadata(parsing: snapshotData, source: snapshotName)
        try checked(snapshot, snapshotName, type: "snapshot", role: try role("snapshot"), version: snapshotVersion)

        func loadTargets(_ roleName: String, role: TUFMetadata.Role) throws(HallmarkError) -> TUFMetadata {
            let version = snapshot.signed["meta"]?["\(roleName).json"]?["version"]?.intValue
            let name = consistent && version != nil ? "\(version!).\(roleName).json" : "\(roleName).json"
            let data = try FileIO.read(metadataDir + "/" + name, display: name, limit: 32 << 20)
            try checkHashes(snapshot.signed["meta"]?["\(roleName).json"], data: data, name: name)
            let meta = try TUFMetadata(parsing: data, source: name)
            try checked(meta, name, type: "targets", role: role, version: version)
            return meta
        }
        let targets = try loadTargets("targets", role: try role("targets"))

        // 3. Find the target: top-level targets, then delegations depth-first, in order.
        var found: (info: JSONValue, role: String)?
        var visited = Set<String>()
        func search(_ meta: TUFMetadata, roleName: String, depth: Int) throws(HallmarkError) -> Bool {
            if let info = meta.signed["targets"]?[target] {
                found = (info, roleName)
                return true
            }
            guard depth < 8 else { return false }
            for delegated in meta.delegatedRoles where Self.matches(target, patterns: delegated.paths) && visited.insert(delegated.name).inserted {
                let child = try loadTargets(delegated.name, role: delegated)
                if try search(child, roleName: delegated.name, depth: depth + 1) { return true }
                if delegated.terminating { return false }
            }
            return false
        }
        guard try search(targets, roleName: "targets", depth: 0), let found else {
            throw .verificationFailed("the repository's targets do not list \(target)")
        }
        guard let length = found.info["length"]?.intValue, let sha256 = found.info["hashes"]?["sha256"]?.stringValue else {
            throw .invalidInput("\(target): the targets entry has no length or sha256")
        }
        let directory = (target as NSString).deletingLastPathComponent
        let file = (target as NSString).lastPathComponent
        let prefix = directory.isEmpty ? targetsDir : targetsDir + "/" + directory
        let candidates = consistent ? [prefix + "/\(sha256).\(file)"] : [prefix + "/" + file]
        guard let path = candidates.first(where: FileIO.isFile) else { throw .io("\(target): the target file is not in \(repository)/targets") }
        let data = try FileIO.read(path, display: target, limit: 64 << 20)
        try checkHashes(found.info, data: data, name: target)

        // 4. Install it.
        guard let destination = output.map(context.resolve) ?? Self.defaultTrustedRootPath(environment: context.environment) else {
            throw .usage("pass --out: there is no HOME or HALLMARK_TRUST_DIR to install into")
        }
        if target.hasSuffix("trusted_root.json") {
            _ = try TrustedRoot(parsing: data, source: target)  // it must be a trusted root we can use
        }
        try Paths.makeDirectory((destination as NSString).deletingLastPathComponent)
        try FileIO.writeAtomically(data, to: destination)
        return Result(
            rootVersion: root.version, rootExpires: RFC3339.format(unixSeconds: Int64(root.expires.timeIntervalSince1970)),
            rootsWalked: walked, timestampVersion: timestamp.version, snapshotVersion: snapshot.version, targetsVersion: targets.version,
            target: target, targetRole: found.role, sha256: sha256, length: length, installedAt: destination)
    }

    /// A `meta` or `targets` entry's length and hashes must match the bytes, when it states them.
    private func checkHashes(_ entry: JSONValue?, data: Data, name: String) throws(HallmarkError) {
        if let length = entry?["length"]?.intValue, length != data.count {
            throw .verificationFailed("\(name): \(data.count) bytes, but the metadata says \(length)")
        }
        for (algorithm, value) in entry?["hashes"]?.objectValue ?? [:] {
            guard let expected = value.stringValue?.lowercased() else { continue }
            let actual: String
            switch algorithm {
            case "sha256": actual = Hex.encode(SHA256Hasher.hash(data))
            case "sha512": actual = Hex.encode(SHA512Hasher.hash(data))
            default: continue
            }
            if actual != expected { throw .verificationFailed("\(name): its \(algorithm) is \(actual), but the metadata says \(expected)") }
        }
    }

    /// TUF path patterns: shell wildcards per path segment (`*` never crosses `/`).
    static func matches(_ target: String, patterns: [String]) -> Bool {
        let parts = target.split(separator: "/", omittingEmptySubsequences: false)
        return patterns.contains { pattern in
            let pp = pattern.split(separator: "/", omittingEmptySubsequences: false)
            return pp.count == parts.count && zip(pp, parts).allSatisfy { glob(Array($0.0), Array($0.1)) }
        }
    }

    static func glob(_ p: [Character], _ s: [Character]) -> Bool {
        if p.isEmpty { return s.isEmpty }
        if p[0] == "*" { return glob(Array(p.dropFirst()), s) || (!s.isEmpty && glob(p, Array(s.dropFirst()))) }
        guard let c = s.first else { return false }
        return (p[0] == "?" || p[0] == c) && glob(Array(p.dropFirst()), Array(s.dropFirst()))
    }
}
