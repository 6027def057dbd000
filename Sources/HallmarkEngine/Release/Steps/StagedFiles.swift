import Foundation
import HallmarkCore
import HallmarkCrypto

/// The files written to the staging directory so far, with their digests: what the evidence lists, what the
/// provenance names as subjects, and what a dry run's checksums.txt holds.
struct StagedFiles: Sendable {
    /// One written file's SHA-256 (hex) and size.
    struct Record: Sendable, Equatable {
        var sha256: String
        var size: UInt64
    }

    private(set) var records: [String: Record] = [:]

    /// Every record, sorted by name.
    var sorted: [(name: String, record: Record)] {
        records.keys.sorted().compactMap { name in records[name].map { (name, $0) } }
    }

    /// Records a file written elsewhere (an archive).
    mutating func record(_ name: String, sha256: String, size: UInt64) {
        records[name] = Record(sha256: sha256, size: size)
    }

    /// Writes `data` to `directory/name` and records its digest.
    mutating func write(_ name: String, _ data: Data, in directory: String) throws(HallmarkError) {
        try FileIO.writeAtomically(data, to: directory + "/" + name)
        records[name] = Record(sha256: Hex.encode(SHA256Hasher.hash(data)), size: UInt64(data.count))
    }

    /// The digest of a file written earlier; an error, not a crash, when it was not.
    func sha256(of name: String) throws(HallmarkError) -> String {
        guard let record = records[name] else {
            throw .io("internal error: \(name) was not written to the staging directory before it was needed")
        }
        return record.sha256
    }

    /// Canonical pretty JSON, as every JSON file of a release is written.
    static func json(_ value: some Encodable) throws(HallmarkError) -> Data {
        do { return try CanonicalJSON.prettyData(value) } catch { throw .io("cannot encode JSON: \(error)") }
    }
}
