import Crypto
import Foundation
import HallmarkCore

/// What a parent metadata file says about another file: a `meta` entry (version, and optionally length and
/// hashes) in timestamp or snapshot, or a `targets` entry (length and hashes) in targets metadata.
public struct TUFFileInfo: Sendable {
    /// `meta` entries only.
    public var version: Int?
    public var length: Int?
    /// Algorithm and lower-case hex value, in the order the metadata lists them.
    public var hashes: [(algorithm: String, value: String)]

    /// Hash algorithms this client computes. Others are ignored, as long as one of these is listed.
    public static let knownAlgorithms: Set<String> = ["sha256", "sha384", "sha512"]

    /// A `meta` entry: `version` ≥ 1, optional `length` ≥ 0 and non-empty `hashes`.
    public init(meta entry: JSONValue, name: String, source: String) throws(HallmarkError) {
        func bad(_ why: String) -> HallmarkError { .invalidInput("\(source): invalid meta entry for \(name): \(why)") }
        guard case .object = entry else { throw bad("not an object") }
        guard case .number? = entry["version"], let version = entry["version"]?.intValue, version >= 1 else {
            throw bad("version must be a positive integer")
        }
        self.version = version
        length = try Self.length(entry, required: false, bad: bad)
        hashes = try Self.hashes(entry, required: false, order: nil, bad: bad)
    }

    /// A `targets` entry: `length` ≥ 0 and non-empty `hashes` are required. `order` lists the hash algorithms
    /// in document order (JSON objects are read unordered), so the first listed hash names consistent-snapshot files.
    public init(target entry: JSONValue, path: String, source: String, order: [String]?) throws(HallmarkError) {
        func bad(_ why: String) -> HallmarkError {
            .invalidInput("\(source): invalid targets entry for \(path): \(why)")
        }
        guard case .object = entry else { throw bad("not an object") }
        version = nil
        length = try Self.length(entry, required: true, bad: bad)
        hashes = try Self.hashes(entry, required: true, order: order, bad: bad)
    }

    private static func length(_ entry: JSONValue, required: Bool, bad: (String) -> HallmarkError) throws(HallmarkError)
        -> Int?
    {
        guard let value = entry["length"] else {
            if required { throw bad("no length") }
            return nil
        }
        guard let length = value.intValue, length >= 0 else { throw bad("length must be a non-negative integer") }
        return length
    }

    private static func hashes(
        _ entry: JSONValue, required: Bool, order: [String]?, bad: (String) -> HallmarkError
    ) throws(HallmarkError) -> [(algorithm: String, value: String)] {
        guard let value = entry["hashes"] else {
            if required { throw bad("no hashes") }
            return []
        }
        guard let object = value.objectValue, !object.isEmpty else { throw bad("hashes must be a non-empty object") }
        var out: [(algorithm: String, value: String)] = []
        let names =
            order.flatMap { $0.count == object.count && Set($0) == Set(object.keys) ? $0 : nil } ?? object.keys.sorted()
        for name in names {
            guard let hex = object[name]?.stringValue else { throw bad("hash \(name) is not a string") }
            out.append((name, hex.lowercased()))
        }
        return out
    }

    /// Why `data` does not match this entry (length, or any listed hash of a known algorithm), or nil when it
    /// matches. Listing only unknown algorithms is a mismatch: nothing would have been checked.
    public func mismatch(_ data: Data) -> String? {
        if let length, data.count != length { return "\(data.count) bytes, but the metadata says \(length)" }
        var checked = 0
        for (algorithm, expected) in hashes {
            let actual: String
            switch algorithm {
            case "sha256": actual = Hex.encode(SHA256.hash(data: data))
            case "sha384": actual = Hex.encode(SHA384.hash(data: data))
            case "sha512": actual = Hex.encode(SHA512.hash(data: data))
            default: continue
            }
            guard actual == expected else { return "its \(algorithm) is \(actual), but the metadata says \(expected)" }
            checked += 1
        }
        if !hashes.isEmpty && checked == 0 {
            return
                "the metadata lists only hash algorithms this client does not know (\(hashes.map(\.algorithm).joined(separator: ", ")))"
        }
        return nil
    }
}
