import Crypto
import Foundation
import HallmarkCore

/// One TUF metadata file (root, timestamp, snapshot, targets or a delegated targets role), parsed strictly:
/// `signed` must have `_type`, a 1.x `spec_version`, a positive `version` and an `expires` of the form
/// YYYY-MM-DDTHH:MM:SSZ; signatures must name distinct key ids.
public struct TUFMetadata: Sendable {
    public var signed: JSONValue
    public var signatures: [(keyID: String, signature: String)]
    public var type: String
    public var version: Int
    public var expires: Date
    /// The bytes the signatures cover (OLPC canonical JSON of `signed`).
    public var signedBytes: [UInt8]
    /// The file's bytes as read (kept byte for byte in the client's metadata directory).
    public var data: Data
    /// What messages call this metadata (its file name or URL).
    public var source: String

    public init(parsing data: Data, source: String) throws(HallmarkError) {
        func bad(_ why: String) -> HallmarkError { .invalidInput("\(source): invalid TUF metadata: \(why)") }
        let root: JSONValue
        do { root = try JSONValue(parsing: data) } catch { throw bad(error.description) }
        guard let signed = root["signed"], case .object = signed else { throw bad("no \"signed\" object") }
        guard let list = root["signatures"]?.arrayValue else { throw bad("no \"signatures\" list") }
        var seen = Set<String>()
        var signatures: [(String, String)] = []
        for entry in list {
            guard let keyID = entry["keyid"]?.stringValue, let sig = entry["sig"]?.stringValue else {
                throw bad("a signature lacks keyid or sig")
            }
            guard seen.insert(keyID).inserted else { throw bad("multiple signatures for key id \(keyID)") }
            signatures.append((keyID, sig))
        }
        guard let type = signed["_type"]?.stringValue, !type.isEmpty else { throw bad("signed._type is missing") }
        guard ["root", "timestamp", "snapshot", "targets"].contains(type) else { throw bad("signed._type \"\(type)\" is not root, timestamp, snapshot or targets") }
        guard let spec = signed["spec_version"]?.stringValue else { throw bad("signed.spec_version is missing") }
        let parts = spec.split(separator: ".", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }), parts[0] == "1" else {
            throw bad("spec_version \"\(spec)\" is not 1.x")
        }
        guard case .number(let versionText)? = signed["version"], let version = Int(versionText), version >= 1 else {
            throw bad("signed.version must be a positive integer")
        }
        guard let expiresText = signed["expires"]?.stringValue, let expires = Self.parseExpiry(expiresText) else {
            throw bad("signed.expires is not of the form YYYY-MM-DDTHH:MM:SSZ")
        }
        guard let bytes = signed.olpcCanonicalData else { throw bad("signed holds a non-integer number") }
        self.signed = signed
        self.signatures = signatures
        self.type = type
        self.version = version
        self.expires = expires
        signedBytes = bytes
        self.data = data
        self.source = source
    }

    /// TUF's strict expiry form; anything else (fractions, offsets) is refused.
    static func parseExpiry(_ text: String) -> Date? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 20, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"), utf8[10] == UInt8(ascii: "T"),
            utf8[13] == UInt8(ascii: ":"), utf8[16] == UInt8(ascii: ":"), utf8[19] == UInt8(ascii: "Z")
        else { return nil }
        return RFC3339.parse(text)
    }

    public func isExpired(at now: Date) -> Bool { expires <= now }

    /// A role's keys and threshold, as a root or a delegating targets role states them.
    public struct Role: Sendable {
        public var name: String
        /// The key ids as listed (a repeated id is listed twice but counts once).
        public var keyIDs: [String]
        public var threshold: Int
        /// The delegator's key table; keys this verifier cannot use are absent.
        public var keys: [String: TUFKey]
        /// Delegations only: target path patterns (`paths`), or nil.
        public var paths: [String]?
        /// Delegations only: hex prefixes of the target path's SHA-256 (`path_hash_prefixes`), or nil.
        public var pathHashPrefixes: [String]?
        public var terminating: Bool

        /// Whether this delegation covers `target`: a `paths` pattern matches it, or its SHA-256 starts with a
        /// `path_hash_prefixes` entry.
        public func covers(_ target: String) -> Bool {
            if let paths { return paths.contains { TUFPathPattern.matches(target, pattern: $0) } }
            if let pathHashPrefixes {
                let digest = Hex.encode(SHA256.hash(data: Data(target.utf8)))
                return pathHashPrefixes.contains { digest.hasPrefix($0) }
            }
            return false
        }
    }

    static func keys(_ object: JSONValue?, source: String) -> [String: TUFKey] {
        var out: [String: TUFKey] = [:]
        for (id, value) in object?.objectValue ?? [:] {
            if let key = TUFKey(value, source: "\(source) key \(id)") { out[id] = key }
        }
        return out
    }

    /// A top-level role from root metadata; nil when it is missing or malformed.
    public func rootRole(_ name: String) -> Role? {
        guard let role = signed["roles"]?[name], let threshold = role["threshold"]?.intValue, threshold >= 1,
            let ids = role["keyids"]?.arrayValue
        else { return nil }
        return Role(
            name: name, keyIDs: ids.compactMap(\.stringValue), threshold: threshold, keys: Self.keys(signed["keys"], source: "root"),
            paths: nil, pathHashPrefixes: nil, terminating: false)
    }

    /// The roles this targets metadata delegates to, in order. Throws when the delegations are malformed: a role
    /// without a name or threshold, with both or neither of `paths` and `path_hash_prefixes`, named twice, or with
    /// an empty or top-level role name.
    public func delegations() throws(HallmarkError) -> [Role] {
        guard let delegations = signed["delegations"] else { return [] }
        func bad(_ why: String) -> HallmarkError { .invalidInput("\(source): invalid delegations: \(why)") }
        guard case .object = delegations else { throw bad("not an object") }
        if delegations["succinct_roles"] != nil { throw bad("succinct_roles (TAP 15) are not supported") }
        let keys = Self.keys(delegations["keys"], source: "\(source) delegations")
        guard let list = delegations["roles"]?.arrayValue else { throw bad("no roles list") }
        var names = Set<String>()
        var roles: [Role] = []
        for entry in list {
            guard let name = entry["name"]?.stringValue, let threshold = entry["threshold"]?.intValue, threshold >= 1,
                let ids = entry["keyids"]?.arrayValue, ids.allSatisfy({ $0.stringValue != nil })
            else { throw bad("a role lacks a name, keyids or a positive threshold") }
            // A delegated role's metadata is kept beside the top-level files as NAME.json: an empty or top-level
            // name would overwrite them (and the specification reserves those names).
            // Compared without case: on a case-insensitive file system `Timestamp.json` is `timestamp.json`.
            guard !name.isEmpty, !["root", "timestamp", "snapshot", "targets"].contains(name.lowercased()) else {
                throw bad("a delegated role cannot be named \"\(name)\" (empty and top-level role names are reserved)")
            }
            guard names.insert(name).inserted else { throw bad("role \(name) is delegated twice") }
            let paths = entry["paths"].map { $0.arrayValue?.compactMap(\.stringValue) ?? [] }
            let prefixes = entry["path_hash_prefixes"].map { $0.arrayValue?.compactMap(\.stringValue) ?? [] }
            guard (paths == nil) != (prefixes == nil) else { throw bad("role \(name) needs exactly one of paths and path_hash_prefixes") }
            roles.append(
                Role(
                    name: name, keyIDs: ids.compactMap(\.stringValue), threshold: threshold, keys: keys, paths: paths,
                    pathHashPrefixes: prefixes, terminating: entry["terminating"]?.boolValue ?? false))
        }
        return roles
    }

    /// How many distinct keys of `role` made a valid signature over `signedBytes`. A key counts once however many
    /// of the role's key ids name it; a signature by a key id the role does not list counts for nothing.
    public func validSignatureCount(by role: Role) -> Int {
        var counted = Set<[UInt8]>()
        let listed = Set(role.keyIDs)
        for (keyID, signature) in signatures where listed.contains(keyID) {
            guard let key = role.keys[keyID], let bytes = Hex.decode(signature), !counted.contains(key.identity) else { continue }
            if key.isValidSignature(bytes, over: signedBytes) { counted.insert(key.identity) }
        }
        return counted.count
    }

    public func isSigned(by role: Role) -> Bool { validSignatureCount(by: role) >= role.threshold }
}
