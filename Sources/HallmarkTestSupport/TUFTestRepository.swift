import Foundation
import HallmarkCore
import HallmarkCrypto

/// A small TUF repository written to a directory (`metadata/`, `targets/`, consistent snapshots), signed with
/// Ed25519 keys made for the test, for driving `hallmark trust update` through rollbacks, rotations and other
/// attacks. Change the fields, then `publish…` what a repository (or an attacker) would serve.
public struct TUFTestRepository {
    public let directory: String
    /// Keys root lists for each role, and the keys that sign each role's metadata.
    public var roleKeys: [String: [PrivateKey]] = [:]
    public var signers: [String: [PrivateKey]] = [:]
    public var thresholds: [String: Int] = ["root": 1, "timestamp": 1, "snapshot": 1, "targets": 1]
    /// Extra key ids root lists for a role, each naming an existing key again (the same key under another id).
    public var aliasKeyIDs: [String: [(id: String, key: PrivateKey)]] = [:]
    public var versions: [String: Int] = ["root": 1, "timestamp": 1, "snapshot": 1, "targets": 1]
    public var expires: [String: String] = [:]
    public var targets: [String: Data] = [:]
    /// Leave `meta.snapshot.json.version` out of the timestamp.
    public var timestampOmitsSnapshotVersion = false
    /// A delegation from one targets role to another: the keys it lists, the paths it covers.
    public struct Delegation {
        public var name: String
        public var keys: [PrivateKey]
        public var paths: [String]
        public var terminating = false
        public init(name: String, keys: [PrivateKey], paths: [String], terminating: Bool = false) {
            (self.name, self.keys, self.paths, self.terminating) = (name, keys, paths, terminating)
        }
    }
    /// The roles each targets role (`targets` or a delegated one) delegates to, in order.
    public var delegations: [String: [Delegation]] = [:]
    /// Each delegated role's targets, and the keys that sign its metadata (the snapshot lists every role here).
    public var roleTargets: [String: [String: Data]] = [:]
    public var roleSigners: [String: [PrivateKey]] = [:]

    public static let defaultExpiry = "2030-01-01T00:00:00Z"

    /// A repository with one fresh key per role; nothing is written until a publish call.
    public init(directory: String) throws {
        self.directory = directory
        for role in ["root", "timestamp", "snapshot", "targets"] {
            let key = try PrivateKey.generate(.ed25519)
            roleKeys[role] = [key]
            signers[role] = [key]
        }
        try FileManager.default.createDirectory(atPath: directory + "/metadata", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/targets", withIntermediateDirectories: true)
    }

    /// The TUF key object of `key` (ed25519, hex), with `extra` fields (which change its key id, not the key).
    public static func keyObject(_ key: PrivateKey, extra: [String: JSONValue] = [:]) -> JSONValue {
        var fields: [String: JSONValue] = [
            "keytype": .string("ed25519"), "scheme": .string("ed25519"),
            "keyval": .object(["public": .string(Hex.encode(key.publicKey.rawEd25519 ?? []))]),
        ]
        fields.merge(extra) { $1 }
        return .object(fields)
    }

    /// The key id: hex SHA-256 of the key object's canonical JSON.
    public static func keyID(_ object: JSONValue) -> String {
        Hex.encode(SHA256Hasher.hash(object.olpcCanonicalData ?? []))
    }

    public static func keyID(_ key: PrivateKey) -> String { keyID(keyObject(key)) }

    /// Signs `signed` with `keys`; `signatures` overrides the list (key id, key) when given.
    public static func envelope(_ signed: JSONValue, keys: [PrivateKey], signatures: [(String, PrivateKey)]? = nil)
        throws -> Data
    {
        let bytes = signed.olpcCanonicalData ?? []
        var list: [JSONValue] = []
        for (id, key) in signatures ?? keys.map({ (keyID($0), $0) }) {
            list.append(.object(["keyid": .string(id), "sig": .string(Hex.encode(try key.signature(for: bytes)))]))
        }
        return JSONValue.object(["signed": signed, "signatures": .array(list)]).prettyData
    }

    func common(_ role: String) -> [String: JSONValue] {
        [
            "_type": .string(role), "spec_version": .string("1.0.31"), "version": .number(String(versions[role] ?? 1)),
            "expires": .string(expires[role] ?? Self.defaultExpiry),
        ]
    }

    /// Root metadata as `N.root.json` (N = `versions["root"]`), signed by `signers["root"]` and any `extraSigners`
    /// (the previous root's keys, for a rotation).
    @discardableResult
    public func publishRoot(extraSigners: [PrivateKey] = []) throws -> Data {
        var keys: [String: JSONValue] = [:]
        var roles: [String: JSONValue] = [:]
        for role in ["root", "timestamp", "snapshot", "targets"] {
            var ids: [JSONValue] = []
            for key in roleKeys[role] ?? [] {
                keys[Self.keyID(key)] = Self.keyObject(key)
                ids.append(.string(Self.keyID(key)))
            }
            for alias in aliasKeyIDs[role] ?? [] {
                keys[alias.id] = Self.keyObject(alias.key, extra: ["x-alias": .string(alias.id)])
                ids.append(.string(alias.id))
            }
            roles[role] = .object(["keyids": .array(ids), "threshold": .number(String(thresholds[role] ?? 1))])
        }
        var signed = common("root")
        signed["consistent_snapshot"] = .bool(true)
        signed["keys"] = .object(keys)
        signed["roles"] = .object(roles)
        let data = try Self.envelope(.object(signed), keys: (signers["root"] ?? []) + extraSigners)
        try write("metadata/\(versions["root"] ?? 1).root.json", data)
        return data
    }

    /// The alias key id for `key` that `aliasKeyIDs` entries use.
    public static func aliasID(_ key: PrivateKey, _ tag: String) -> String {
        keyID(keyObject(key, extra: ["x-alias": .string(tag)]))
    }

    /// Targets metadata as `N.targets.json`, and each target as `targets/SHA256.NAME`.
    @discardableResult
    public func publishTargets() throws -> Data { try publishRole("targets") }

    /// The metadata of targets role `role` (`targets` or a delegated role, signed by `signers` or `roleSigners`)
    /// as `N.ROLE.json`, with its delegations, and each of its targets as `targets/DIR/SHA256.NAME`.
    @discardableResult
    public func publishRole(_ role: String) throws -> Data {
        var entries: [String: JSONValue] = [:]
        for (name, bytes) in (role == "targets" ? targets : roleTargets[role] ?? [:]) {
            let sha = Hex.encode(SHA256Hasher.hash(bytes))
            entries[name] = .object([
                "length": .number(String(bytes.count)), "hashes": .object(["sha256": .string(sha)]),
            ])
            let slash = name.lastIndex(of: "/")
            let directoryPart = slash.map { String(name[...$0]) } ?? ""
            let file = slash.map { String(name[name.index(after: $0)...]) } ?? name
            try FileManager.default.createDirectory(
                atPath: directory + "/targets/" + directoryPart, withIntermediateDirectories: true)
            try write("targets/\(directoryPart)\(sha).\(file)", bytes)
        }
        var signed = common("targets")
        signed["version"] = .number(String(versions[role] ?? 1))
        signed["expires"] = .string(expires[role] ?? Self.defaultExpiry)
        signed["targets"] = .object(entries)
        if let list = delegations[role] {
            var keys: [String: JSONValue] = [:]
            var roles: [JSONValue] = []
            for delegation in list {
                for key in delegation.keys { keys[Self.keyID(key)] = Self.keyObject(key) }
                roles.append(
                    .object([
                        "name": .string(delegation.name), "keyids": .array(delegation.keys.map { .string(Self.keyID($0)) }),
                        "threshold": .number("1"), "paths": .array(delegation.paths.map { .string($0) }),
                        "terminating": .bool(delegation.terminating),
                    ]))
            }
            signed["delegations"] = .object(["keys": .object(keys), "roles": .array(roles)])
        }
        let data = try Self.envelope(
            .object(signed), keys: (role == "targets" ? signers["targets"] : roleSigners[role]) ?? [])
        try write("metadata/\(versions[role] ?? 1).\(TUFNames.quote(role)).json", data)  // as clients fetch it
        return data
    }

    /// Snapshot metadata as `N.snapshot.json`, listing the current targets version.
    @discardableResult
    public func publishSnapshot() throws -> Data {
        var signed = common("snapshot")
        var meta: [String: JSONValue] = ["targets.json": .object(["version": .number(String(versions["targets"] ?? 1))])]
        for role in roleSigners.keys { meta[role + ".json"] = .object(["version": .number(String(versions[role] ?? 1))]) }
        signed["meta"] = .object(meta)
        let data = try Self.envelope(.object(signed), keys: signers["snapshot"] ?? [])
        try write("metadata/\(versions["snapshot"] ?? 1).snapshot.json", data)
        return data
    }

    /// `timestamp.json`, naming the current snapshot version (unless `timestampOmitsSnapshotVersion`).
    @discardableResult
    public func publishTimestamp(signatures: [(String, PrivateKey)]? = nil) throws -> Data {
        var signed = common("timestamp")
        let entry: JSONValue =
            timestampOmitsSnapshotVersion
            ? .object([:]) : .object(["version": .number(String(versions["snapshot"] ?? 1))])
        signed["meta"] = .object(["snapshot.json": entry])
        let data = try Self.envelope(.object(signed), keys: signers["timestamp"] ?? [], signatures: signatures)
        try write("metadata/timestamp.json", data)
        return data
    }

    /// Delegated roles, targets, snapshot and timestamp, in the order a repository publishes them.
    public func publishAll() throws {
        for role in roleSigners.keys.sorted() { try publishRole(role) }
        try publishTargets()
        try publishSnapshot()
        try publishTimestamp()
    }

    /// Bumps the versions of `roles` by one.
    public mutating func bump(_ roles: String...) {
        for role in roles { versions[role, default: 1] += 1 }
    }

    /// Replaces `role`'s key (listed and signing) with a fresh one.
    public mutating func rotateKey(_ role: String) throws {
        let key = try PrivateKey.generate(.ed25519)
        roleKeys[role] = [key]
        signers[role] = [key]
    }

    /// Publishes the next root version with a fresh root key, signed by the old root key and the new one.
    public mutating func rotateRoot() throws {
        let old = signers["root"] ?? []
        try rotateKey("root")
        bump("root")
        try publishRoot(extraSigners: old)
    }

    /// Lists `role`'s first key a second time under another key id (same key, one extra field in its object).
    public mutating func listFirstKeyTwice(_ role: String) {
        guard let key = roleKeys[role]?.first else { return }
        aliasKeyIDs[role, default: []].append((Self.aliasID(key, "second-id"), key))
    }

    /// `timestamp.json` with one signature under every key id root lists for the timestamp role.
    @discardableResult
    public func publishTimestampUnderEveryKeyID() throws -> Data {
        let plain = (roleKeys["timestamp"] ?? []).map { (Self.keyID($0), $0) }
        let aliases = (aliasKeyIDs["timestamp"] ?? []).map { ($0.id, $0.key) }
        return try publishTimestamp(signatures: plain + aliases)
    }

    /// Adds a second, distinct key to `role` (listed and signing).
    public mutating func addKey(_ role: String) throws {
        let key = try PrivateKey.generate(.ed25519)
        roleKeys[role, default: []].append(key)
        signers[role, default: []].append(key)
    }

    /// Removes the file at `relative` (e.g. an intermediate root a mirror no longer serves).
    public func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: directory + "/" + relative)
    }

    /// The path of the first root, to bootstrap a client with.
    public var initialRoot: String { directory + "/metadata/1.root.json" }

    func write(_ relative: String, _ data: Data) throws {
        try data.write(to: URL(fileURLWithPath: directory + "/" + relative))
    }
}
