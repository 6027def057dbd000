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
        public var keyIDs: [String]
        public var threshold: Int
        public var keys: [String: PublicKey]
        /// Delegations only: target path patterns.
        public var paths: [String]
        public var terminating: Bool
    }

    /// The key named by a TUF key object (ed25519 hex, or PEM for ecdsa and rsa); nil for a key this verifier
    /// cannot use, which then verifies no signature (TUF clients ignore keys of unknown types).
    static func key(_ object: JSONValue, source: String) -> PublicKey? {
        guard let type = object["keytype"]?.stringValue, let value = object["keyval"]?["public"]?.stringValue else { return nil }
        let parsed: Result<PublicKey, HallmarkError>
        switch type {
        case "ed25519":
            guard let raw = Hex.decode(value) else { return nil }
            parsed = Result { () throws(HallmarkError) in try PublicKey(rawEd25519: raw, source: source) }
        case "ecdsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "rsa":
            parsed = Result { () throws(HallmarkError) in try PublicKey(pem: value, source: source) }
        default:
            return nil
        }
        switch parsed {
        case .success(let key): return key
        case .failure: return nil
        }
    }

    static func keys(_ object: JSONValue?, source: String) -> [String: PublicKey] {
        var out: [String: PublicKey] = [:]
        for (id, value) in object?.objectValue ?? [:] {
            if let key = key(value, source: "\(source) key \(id)") { out[id] = key }
        }
        return out
    }

    /// A top-level role from root metadata.
    public func rootRole(_ name: String) -> Role? {
        guard let role = signed["roles"]?[name], let threshold = role["threshold"]?.intValue, threshold >= 1 else { return nil }
        let ids = role["keyids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return Role(name: name, keyIDs: ids, threshold: threshold, keys: Self.keys(signed["keys"], source: "root"), paths: [], terminating: false)
    }

    /// The roles this targets metadata delegates to, in order.
    public var delegatedRoles: [Role] {
        let keys = Self.keys(signed["delegations"]?["keys"], source: "delegations")
        return (signed["delegations"]?["roles"]?.arrayValue ?? []).compactMap { role in
            guard let name = role["name"]?.stringValue, let threshold = role["threshold"]?.intValue, threshold >= 1 else { return nil }
            return Role(
                name: name, keyIDs: role["keyids"]?.arrayValue?.compactMap(\.stringValue) ?? [], threshold: threshold, keys: keys,
                paths: role["paths"]?.arrayValue?.compactMap(\.stringValue) ?? [], terminating: role["terminating"]?.boolValue ?? false)
        }
    }

    /// How many of `role`'s keys made a valid signature over `signedBytes` (each key counted once).
    public func validSignatureCount(by role: Role) -> Int {
        var counted = Set<String>()
        for (keyID, signature) in signatures where role.keyIDs.contains(keyID) && !counted.contains(keyID) {
            guard !signature.isEmpty, let key = role.keys[keyID], let bytes = Hex.decode(signature) else { continue }
            if key.isValidSignature(bytes, for: signedBytes) { counted.insert(keyID) }
        }
        return counted.count
    }

    public func isSigned(by role: Role) -> Bool { validSignatureCount(by: role) >= role.threshold }
}
