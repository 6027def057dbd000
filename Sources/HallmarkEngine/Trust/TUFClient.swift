import Foundation
import HallmarkCore
import HallmarkCrypto

/// A TUF client (TUF 1.0, "Detailed client workflow") keeping its trusted metadata in a directory:
///
/// ```
/// METADATA_DIR/
///   root.json  timestamp.json  snapshot.json  targets.json     the trusted top-level metadata, as downloaded
///   <percent-encoded role>.json                                delegated targets roles
///   root_history/N.root.json                                   every root accepted, by version
/// ```
///
/// Local files are only a cache of what was verified before: each is verified again when loaded, and one that
/// fails to load or verify is ignored (and fetched again), never trusted.
public struct TUFClient: Sendable {
    /// Size caps for metadata whose length no trusted metadata states.
    public struct Limits: Sendable {
        public var root = 512_000
        public var timestamp = 16_384
        public var snapshot = 2_000_000
        public var targets = 2_000_000
        public var maxRootRotations = 32
        public var maxDelegations = 32
        public init() {}
    }

    public var metadataDirectory: String
    public var repository: any TUFRepository
    public var limits: Limits
    public private(set) var trusted: TUFTrustedSet
    /// Root versions accepted in this run after the starting one, in order.
    public private(set) var rootsAccepted: [Int] = []
    /// What happened along the way that did not fail the update (local files ignored, roles skipped).
    public private(set) var notes: [String] = []
    private var refreshed = false

    /// Starts from `bootstrap` (a root the caller trusts; messages call it `bootstrapSource`), or else from the
    /// directory's `root.json`. The starting
    /// root is verified against itself and written to `root_history/N.root.json` and `root.json`.
    /// `referenceTime` is the time every expiry is judged at, fixed for the whole update.
    public init(
        metadataDirectory: String, repository: any TUFRepository, referenceTime: Date, bootstrap: Data? = nil,
        bootstrapSource: String = "the initial root", limits: Limits = Limits()
    ) throws(HallmarkError) {
        self.metadataDirectory = metadataDirectory
        self.repository = repository
        self.limits = limits
        let data: Data
        if let bootstrap {
            data = bootstrap
            trusted = try TUFTrustedSet(root: bootstrap, source: bootstrapSource, referenceTime: referenceTime)
        } else {
            let start = try Self.startingRoot(in: metadataDirectory, referenceTime: referenceTime, limit: limits.root)
            (data, trusted) = (start.data, start.trusted)
            notes += start.notes
        }
        try Paths.makeDirectory(metadataDirectory + "/root_history")
        try FileIO.writeAtomically(data, to: metadataDirectory + "/root_history/\(trusted.root.version).root.json")
        try FileIO.writeAtomically(data, to: metadataDirectory + "/root.json")
    }

    /// The directory's `root.json`, or, when it cannot be read or is not a root that verifies against itself
    /// (a truncated or overwritten file), the newest root in `root_history/` that is: every root there was
    /// accepted before, so the walk resumes from the last one that is still intact.
    static func startingRoot(in directory: String, referenceTime: Date, limit: Int) throws(HallmarkError) -> (
        data: Data, trusted: TUFTrustedSet, notes: [String]
    ) {
        var candidates = [directory + "/root.json"]
        let history = directory + "/root_history"
        var notes: [String] = []
        var names: [String] = []
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: history)
        } catch {
            notes.append("no root history in \(history)")  // then root.json is the only candidate
        }
        let kept = names
            .compactMap { name -> (Int, String)? in
                guard name.hasSuffix(".root.json"), let version = Int(name.dropLast(".root.json".count)) else {
                    return nil
                }
                return (version, history + "/" + name)
            }
        candidates += kept.sorted { $0.0 > $1.0 }.map(\.1)
        var firstError: HallmarkError?
        for path in candidates {
            do {
                let data = try FileIO.read(path, display: path, limit: limit)
                let trusted = try TUFTrustedSet(root: data, source: path, referenceTime: referenceTime)
                return (data, trusted, notes)
            } catch {
                notes.append("ignored \(path): \(error.message)")
                firstError = firstError ?? error
            }
        }
        throw firstError ?? .io("\(directory)/root.json: No such file or directory")
    }

    // MARK: Refresh

    /// Updates root, timestamp, snapshot and top-level targets, in that order.
    /// Once per client, as the workflow is defined: a second call is refused.
    public mutating func refresh() async throws(HallmarkError) {
        guard !refreshed else { throw TUFTrustedSet.outOfOrder("a client refreshes once") }
        refreshed = true
        try await loadRoot()
        try await loadTimestamp()
        try await loadSnapshot()
        _ = try await loadTargets("targets", delegator: "root")
    }

    /// Walks `N+1.root.json` from the trusted root (at most `maxRootRotations` steps): a local copy in
    /// `root_history/` is used when it verifies, else it is fetched. 403 or 404 ends the walk; any other failure
    /// fails the update. `root.json` always ends up as the last root accepted.
    mutating func loadRoot() async throws(HallmarkError) {
        let walked: Result<Void, HallmarkError>
        do {
            try await walkRoots()
            walked = .success(())
        } catch {
            walked = .failure(error)
        }
        try FileIO.writeAtomically(trusted.root.data, to: metadataDirectory + "/root.json")
        try walked.get()
    }

    private mutating func walkRoots() async throws(HallmarkError) {
        let first = trusted.root.version + 1
        for version in first..<(first + limits.maxRootRotations) {
            let name = "\(version).root.json"
            let local = metadataDirectory + "/root_history/" + name
            if FileIO.isFile(local) {
                do {
                    try trusted.updateRoot(try FileIO.read(local, display: local, limit: limits.root), source: local)
                    rootsAccepted.append(version)
                    continue
                } catch {
                    notes.append("ignored \(local): \(error.message)")
                }
            }
            let data: Data
            switch await repository.metadata(name, limit: limits.root) {
            case .success(let fetched): data = fetched
            case .failure(.notFound): return
            case .failure(.failed(let error)): throw error
            }
            try trusted.updateRoot(data, source: name)
            try FileIO.writeAtomically(data, to: local)
            rootsAccepted.append(version)
        }
    }

    /// The local timestamp (if it verifies) is the floor for rollback checks; then `timestamp.json` is fetched.
    mutating func loadTimestamp() async throws(HallmarkError) {
        if let data = readLocal("timestamp.json", limit: limits.timestamp) {
            do { try trusted.updateTimestamp(data, source: localPath("timestamp.json")) } catch {
                notes.append("local timestamp not final: \(error.message)")
            }
        }
        let data = try await fetch("timestamp.json", limit: limits.timestamp)
        if try trusted.updateTimestamp(data, source: "timestamp.json") == .updated {
            try persist("timestamp.json", data)
        }
    }

    /// The local snapshot is used when it verifies and is the version the timestamp names; else the snapshot is
    /// fetched (`N.snapshot.json` with consistent snapshots) within the length the timestamp states.
    mutating func loadSnapshot() async throws(HallmarkError) {
        if let data = readLocal("snapshot.json", limit: limits.snapshot) {
            do {
                try trusted.updateSnapshot(data, source: localPath("snapshot.json"), trusted: true)
                return
            } catch {
                notes.append("local snapshot not final: \(error.message)")
            }
        }
        guard let timestamp = trusted.timestamp else {
            throw TUFTrustedSet.outOfOrder("the snapshot loads after the timestamp")
        }
        let meta = try TUFTrustedSet.snapshotMeta(of: timestamp)
        let name = trusted.consistentSnapshot ? "\(meta.version!).snapshot.json" : "snapshot.json"
        let data = try await fetch(name, limit: meta.length ?? limits.snapshot)
        try trusted.updateSnapshot(data, source: name, trusted: false)
        try persist("snapshot.json", data)
    }

    /// The targets metadata of `role` as trusted through `delegator`: already verified through it in this run,
    /// else the local copy when it verifies against the delegator, else fetched.
    mutating func loadTargets(_ role: String, delegator: String) async throws(HallmarkError) -> TUFMetadata {
        if trusted.contains(role, delegatedBy: delegator), let cached = trusted.targets[role] { return cached }
        let file = TUFNames.quote(role) + ".json"
        if let data = readLocal(file, limit: limits.targets) {
            do {
                try trusted.updateTargets(data, source: localPath(file), role: role, delegator: delegator)
                return trusted.targets[role]!
            } catch {
                notes.append("local \(role) not usable: \(error.message)")
            }
        }
        guard let meta = try trusted.snapshotEntry(for: role) else {
            throw .verificationFailed(
                "\(role) is delegated by \(delegator) but the snapshot does not list \(role).json",
                problem: .tufNotListed)
        }
        let name = trusted.consistentSnapshot ? "\(meta.version!).\(file)" : file
        let data = try await fetch(name, limit: meta.length ?? limits.targets)
        try trusted.updateTargets(data, source: name, role: role, delegator: delegator)
        try persist(file, data)
        return trusted.targets[role]!
    }

    // MARK: Targets

    /// A target as the trusted metadata describes it, and the role that lists it.
    public struct TargetInfo: Sendable {
        public var path: String
        public var file: TUFFileInfo
        public var role: String
    }

    /// Finds `path` by a pre-order depth-first walk of the delegations from the top-level targets: each role's
    /// own targets first, then the roles it delegates `path` to, in order; a terminating delegation ends the
    /// search below it, and at most `maxDelegations` roles (the top-level targets included) are visited.
    /// Nil when no role lists it.
    public mutating func targetInfo(_ path: String) async throws(HallmarkError) -> TargetInfo? {
        if !refreshed { try await refresh() }
        guard trusted.targets["targets"] != nil else {
            throw .verificationFailed("the update of the top-level metadata failed, so no target can be looked up", problem: .verificationIncomplete)
        }
        var pending: [(role: String, delegator: String)] = [("targets", "root")]
        var visited = Set<String>()
        while visited.count < limits.maxDelegations, let (role, delegator) = pending.popLast() {
            if visited.contains(role) { continue }
            let meta = try await loadTargets(role, delegator: delegator)
            if let entry = meta.signed["targets"]?[path] {
                let order = JSONMemberOrder.keys(in: meta.data, at: ["signed", "targets", path, "hashes"])
                return TargetInfo(
                    path: path, file: try TUFFileInfo(target: entry, path: path, source: meta.source, order: order),
                    role: role)
            }
            visited.insert(role)
            var children: [(role: String, delegator: String)] = []
            for child in try meta.delegations() where child.covers(path) {
                children.append((child.name, role))
                if child.terminating {
                    pending.removeAll()
                    break
                }
            }
            pending.append(contentsOf: children.reversed())
        }
        if !pending.isEmpty {
            notes.append("stopped after visiting \(limits.maxDelegations) roles; \(pending.count) left unvisited")
        }
        return nil
    }

    /// Where a target is kept in `directory`: its path percent-encoded into one file name (`.` and `..`, which
    /// percent-encoding leaves as they are, encoded too, so no name leaves the directory).
    public static func localPath(of target: TargetInfo, in directory: String) -> String {
        let name = TUFNames.quote(target.path)
        return directory + "/" + (name == "." || name == ".." ? String(repeating: "%2E", count: name.count) : name)
    }

    /// The local copy of `target` when it is there with the right length and hashes.
    public func cachedTarget(_ target: TargetInfo, in directory: String) -> String? {
        let path = Self.localPath(of: target, in: directory)
        guard FileIO.isFile(path),
            case .success(let data) = TUFDirectoryRepository.read(path, limit: target.file.length ?? 0),
            target.file.mismatch(data) == nil
        else { return nil }
        return path
    }

    /// Fetches `target` (as `DIR/HASH.NAME` with consistent snapshots, by the first hash listed), checks its
    /// length and every hash of a known algorithm, and only then writes it to `directory`. Returns the bytes and
    /// where they were written.
    @discardableResult
    public func download(_ target: TargetInfo, into directory: String) async throws(HallmarkError) -> (
        data: Data, path: String
    ) {
        var remote = target.path
        if trusted.consistentSnapshot, let first = target.file.hashes.first {
            let slash = remote.lastIndex(of: "/")
            let directoryPart = slash.map { String(remote[...$0]) } ?? ""
            let base = slash.map { String(remote[remote.index(after: $0)...]) } ?? remote
            remote = directoryPart + first.value + "." + base
        }
        let data: Data
        switch await repository.target(
            TUFNames.quote(remote, keepingSlashes: true), limit: target.file.length ?? limits.targets)
        {
        case .success(let fetched): data = fetched
        case .failure(let failure): throw failure.error
        }
        if let why = target.file.mismatch(data) {
            throw .verificationFailed("\(target.path): \(why) (from \(repository.display))", problem: .tufMismatch)
        }
        let destination = Self.localPath(of: target, in: directory)
        try Paths.makeDirectory(directory)
        try FileIO.writeAtomically(data, to: destination)
        return (data, destination)
    }

    // MARK: Files

    private func localPath(_ name: String) -> String { metadataDirectory + "/" + name }

    /// A local metadata file's bytes, or nil when it is absent or unreadable (a note says why).
    private mutating func readLocal(_ name: String, limit: Int) -> Data? {
        let path = localPath(name)
        guard FileIO.isFile(path) else { return nil }
        switch TUFDirectoryRepository.read(path, limit: limit) {
        case .success(let data): return data
        case .failure(let failure):
            notes.append("ignored \(path): \(failure.error.message)")
            return nil
        }
    }

    private func fetch(_ name: String, limit: Int) async throws(HallmarkError) -> Data {
        switch await repository.metadata(name, limit: limit) {
        case .success(let data): return data
        case .failure(let failure): throw failure.error
        }
    }

    private func persist(_ name: String, _ data: Data) throws(HallmarkError) {
        try FileIO.writeAtomically(data, to: localPath(name))
    }
}
