import Foundation
import HallmarkCore
import HallmarkCrypto

/// The metadata a TUF client trusts, changed only through the checks of the specification's client workflow
/// (TUF 1.0, "Detailed client workflow"): root → timestamp → snapshot → targets → delegated targets.
///
/// Each update verifies before it changes anything, with one deliberate exception that the workflow needs for
/// rollback protection: a timestamp or snapshot that is signed and consistent but expired (or, for the snapshot,
/// not the version the timestamp names) is kept as an *intermediate* version and the update then throws. A later
/// download is compared against it, and nothing below it can load until a final one replaces it.
/// Expiry is judged against `referenceTime`, fixed when the set is made.
public struct TUFTrustedSet: Sendable {
    public let referenceTime: Date
    public private(set) var root: TUFMetadata
    public private(set) var timestamp: TUFMetadata?
    public private(set) var snapshot: TUFMetadata?
    /// Targets metadata by role name ("targets" and delegated roles).
    public private(set) var targets: [String: TUFMetadata] = [:]
    /// (delegator, role) pairs each targets role was verified through.
    private var verifiedThrough: Set<[String]> = []

    /// Starts from a trusted root: it must be root metadata signed by a threshold of its own root keys. Its
    /// expiry is not checked here (an expired root may still lead to a newer one).
    public init(root data: Data, source: String, referenceTime: Date) throws(HallmarkError) {
        let root = try TUFMetadata(parsing: data, source: source)
        try Self.expect(root.type == "root", .tufMismatch, "\(source): is \(root.type) metadata, not root")
        let role = try Self.role("root", of: root)
        try Self.expect(
            root.isSigned(by: role), .tufThreshold,
            "\(source): root v\(root.version) is not signed by a threshold (\(role.threshold)) of its own root keys")
        try Self.checkTopLevelRoles(root)
        self.root = root
        self.referenceTime = referenceTime
    }

    /// Whether consistent snapshots are on (`N.role.json` metadata, `HASH.name` targets).
    public var consistentSnapshot: Bool { root.signed["consistent_snapshot"]?.boolValue ?? false }

    // MARK: Root

    /// Accepts root version N+1: signed by a threshold of the trusted root's root keys and of its own.
    public mutating func updateRoot(_ data: Data, source: String) throws(HallmarkError) {
        guard timestamp == nil else { throw Self.outOfOrder("the root is updated before the timestamp") }
        let next = try TUFMetadata(parsing: data, source: source)
        try Self.expect(next.type == "root", .tufMismatch, "\(source): is \(next.type) metadata, not root")
        let trusted = try Self.role("root", of: root)
        let byTrusted = next.validSignatureCount(by: trusted)
        try Self.expect(
            byTrusted >= trusted.threshold, .tufThreshold,
            "\(source): signed by \(byTrusted) of the \(trusted.threshold) keys the trusted root v\(root.version) requires"
        )
        try Self.expect(
            next.version == root.version + 1, .tufMismatch,
            "\(source): has version \(next.version), not \(root.version + 1) (root versions go up by one)")
        let own = try Self.role("root", of: next)
        let byOwn = next.validSignatureCount(by: own)
        try Self.expect(
            byOwn >= own.threshold, .tufThreshold,
            "\(source): signed by \(byOwn) of the \(own.threshold) keys its own root role requires")
        try Self.checkTopLevelRoles(next)
        root = next
    }

    // MARK: Timestamp

    /// What an accepted timestamp changed.
    public enum TimestampOutcome: Sendable {
        case updated
        /// The same version as the trusted one: nothing changes and nothing need be written.
        case unchanged
    }

    /// Accepts a timestamp signed by the root's timestamp role, not older than the trusted one, naming a snapshot
    /// version not older than the trusted timestamp names. The final root must be unexpired. An expired timestamp
    /// is kept (as intermediate) and then refused.
    @discardableResult
    public mutating func updateTimestamp(_ data: Data, source: String) throws(HallmarkError) -> TimestampOutcome {
        guard snapshot == nil else { throw Self.outOfOrder("the timestamp is updated before the snapshot") }
        try Self.expect(
            !root.isExpired(at: referenceTime), .tufExpired,
            "root v\(root.version) expired at \(Self.format(root.expires))")
        let new = try verified(data, source: source, type: "timestamp", role: try Self.role("timestamp", of: root))
        let snapshotMeta = try Self.snapshotMeta(of: new)
        if let trusted = timestamp {
            try Self.expect(
                new.version >= trusted.version, .tufRollback,
                "\(source): timestamp v\(new.version) is older than the trusted v\(trusted.version) (a rollback)")
            if new.version == trusted.version { return .unchanged }
            let trustedMeta = try Self.snapshotMeta(of: trusted)
            try Self.expect(
                snapshotMeta.version! >= trustedMeta.version!, .tufRollback,
                "\(source): names snapshot v\(snapshotMeta.version!), older than the trusted v\(trustedMeta.version!) (a rollback)"
            )
        }
        timestamp = new
        try checkFinalTimestamp()
        return .updated
    }

    private func checkFinalTimestamp() throws(HallmarkError) {
        guard let timestamp else { throw Self.outOfOrder("the timestamp is checked after it is loaded") }
        try Self.expect(
            !timestamp.isExpired(at: referenceTime), .tufExpired,
            "\(timestamp.source): timestamp v\(timestamp.version) expired at \(Self.format(timestamp.expires))")
    }

    // MARK: Snapshot

    /// Accepts a snapshot signed by the root's snapshot role, matching the length and hashes the timestamp states
    /// (unless `trusted`: a local copy verified before, whose hashes a newer timestamp may no longer state), and
    /// not dropping or rolling back any targets role the trusted snapshot lists. Expired, or not the version the
    /// timestamp names: kept as intermediate, then refused.
    public mutating func updateSnapshot(_ data: Data, source: String, trusted: Bool) throws(HallmarkError) {
        guard timestamp != nil, targets.isEmpty else {
            throw Self.outOfOrder("the snapshot is updated after the timestamp, before targets")
        }
        try checkFinalTimestamp()
        let meta = try Self.snapshotMeta(of: timestamp!)
        if !trusted, let why = meta.mismatch(data) {
            throw .verificationFailed("\(source): \(why)", problem: .tufMismatch)
        }
        let new = try verified(data, source: source, type: "snapshot", role: try Self.role("snapshot", of: root))
        let newMeta = try Self.metaEntries(of: new)
        if let current = snapshot {
            for (name, info) in try Self.metaEntries(of: current) {
                guard let now = newMeta[name] else {
                    throw .verificationFailed(
                        "\(source): snapshot v\(new.version) drops \(name), which the trusted snapshot lists",
                        problem: .tufRollback)
                }
                try Self.expect(
                    now.version! >= info.version!, .tufRollback,
                    "\(source): lists \(name) v\(now.version!), older than the trusted v\(info.version!) (a rollback)")
            }
        }
        snapshot = new
        try checkFinalSnapshot()
    }

    private func checkFinalSnapshot() throws(HallmarkError) {
        guard let snapshot, let timestamp else { throw Self.outOfOrder("the snapshot is checked after it is loaded") }
        try Self.expect(
            !snapshot.isExpired(at: referenceTime), .tufExpired,
            "\(snapshot.source): snapshot v\(snapshot.version) expired at \(Self.format(snapshot.expires))")
        let expected = try Self.snapshotMeta(of: timestamp).version!
        try Self.expect(
            snapshot.version == expected, .tufMismatch,
            "\(snapshot.source): snapshot v\(snapshot.version), but the timestamp names v\(expected)")
    }

    // MARK: Targets

    /// Whether `role` is trusted, verified through `delegator` ("root" for the top-level targets).
    public func contains(_ role: String, delegatedBy delegator: String) -> Bool {
        verifiedThrough.contains([delegator, role])
    }

    /// What the trusted snapshot states for `role` (nil when it does not list it).
    public func snapshotEntry(for role: String) throws(HallmarkError) -> TUFFileInfo? {
        guard let snapshot else { return nil }
        return try Self.metaEntries(of: snapshot)["\(role).json"]
    }

    /// Accepts targets metadata for `role`, delegated by `delegator` ("root" for the top-level targets): listed
    /// in the snapshot with this version (and length and hashes, when stated), signed by a threshold of the keys
    /// the delegator names for it *now* (a role trusted through another delegator is verified again), unexpired.
    public mutating func updateTargets(_ data: Data, source: String, role: String, delegator: String)
        throws(HallmarkError)
    {
        guard snapshot != nil else { throw Self.outOfOrder("targets are updated after the snapshot") }
        try checkFinalSnapshot()
        let delegation: TUFMetadata.Role
        if delegator == "root" {
            delegation = try Self.role("targets", of: root)
        } else {
            guard let parent = targets[delegator],
                let found = try parent.delegations().first(where: { $0.name == role })
            else {
                throw .verificationFailed(
                    "\(source): \(delegator) does not delegate to \(role)", problem: .tufNotListed)
            }
            delegation = found
        }
        guard let meta = try snapshotEntry(for: role) else {
            throw .verificationFailed("\(source): the snapshot does not list \(role).json", problem: .tufNotListed)
        }
        if let why = meta.mismatch(data) { throw .verificationFailed("\(source): \(why)", problem: .tufMismatch) }
        let new = try verified(data, source: source, type: "targets", role: delegation)
        try Self.expect(
            new.version == meta.version!, .tufMismatch,
            "\(source): \(role) v\(new.version), but the snapshot names v\(meta.version!)")
        try Self.expect(
            !new.isExpired(at: referenceTime), .tufExpired,
            "\(source): \(role) v\(new.version) expired at \(Self.format(new.expires))")
        _ = try new.delegations()  // malformed delegations make the whole role unusable
        targets[role] = new
        // The role now holds metadata verified through this delegator only: what another delegator's keys and
        // paths allowed no longer stands for it, nor do the roles the replaced metadata delegated to (they are
        // verified again against the new metadata when reached through it).
        verifiedThrough = verifiedThrough.filter { $0[0] != role && $0[1] != role }
        verifiedThrough.insert([delegator, role])
    }

    // MARK: Helpers

    /// Metadata offered out of the workflow's order (a caller's mistake, e.g. a second refresh on one set).
    static func outOfOrder(_ rule: String) -> HallmarkError {
        .usage("TUF metadata out of order: \(rule); start a new client to update again")
    }

    private func verified(_ data: Data, source: String, type: String, role: TUFMetadata.Role) throws(HallmarkError)
        -> TUFMetadata
    {
        let meta = try TUFMetadata(parsing: data, source: source)
        try Self.expect(meta.type == type, .tufMismatch, "\(source): is \(meta.type) metadata, not \(type)")
        let count = meta.validSignatureCount(by: role)
        try Self.expect(
            count >= role.threshold, .tufThreshold,
            "\(source): signed by \(count) distinct keys of the \(role.name) role, which needs \(role.threshold)")
        return meta
    }

    static func role(_ name: String, of root: TUFMetadata) throws(HallmarkError) -> TUFMetadata.Role {
        guard let role = root.rootRole(name) else {
            throw .invalidInput("\(root.source): root v\(root.version) has no valid \(name) role")
        }
        return role
    }

    static func checkTopLevelRoles(_ root: TUFMetadata) throws(HallmarkError) {
        for name in ["root", "timestamp", "snapshot", "targets"] { _ = try role(name, of: root) }
    }

    /// The timestamp's entry for `snapshot.json`: required, with a version.
    static func snapshotMeta(of timestamp: TUFMetadata) throws(HallmarkError) -> TUFFileInfo {
        guard let entry = timestamp.signed["meta"]?["snapshot.json"], entry["version"] != nil else {
            throw .verificationFailed(
                "\(timestamp.source): the timestamp names no snapshot version (meta.snapshot.json.version is missing)",
                problem: .tufMismatch)
        }
        return try TUFFileInfo(meta: entry, name: "snapshot.json", source: timestamp.source)
    }

    static func metaEntries(of snapshot: TUFMetadata) throws(HallmarkError) -> [String: TUFFileInfo] {
        guard let meta = snapshot.signed["meta"]?.objectValue else {
            throw .invalidInput("\(snapshot.source): the snapshot has no meta object")
        }
        var out: [String: TUFFileInfo] = [:]
        for (name, entry) in meta { out[name] = try TUFFileInfo(meta: entry, name: name, source: snapshot.source) }
        return out
    }

    static func expect(_ condition: Bool, _ problem: ProblemCode, _ message: @autoclosure () -> String)
        throws(HallmarkError)
    {
        if !condition { throw .verificationFailed(message(), problem: problem) }
    }

    static func format(_ date: Date) -> String { RFC3339.format(unixSeconds: Int64(date.timeIntervalSince1970)) }
}
