import Foundation
import HallmarkArchive
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// `hallmark evidence export` and `verify-export`: the records of one change record, with their inclusion proofs
/// and the signed checkpoint they lead to, in a deterministic zip an auditor checks offline with the log's public
/// key alone.
public struct EvidenceExport: Sendable {
    public static let manifestFile = "manifest.json"
    public static let checkpointFile = "checkpoint.txt"

    /// `manifest.json`: what the export holds.
    public struct Manifest: Codable, Sendable {
        public struct Record: Codable, Sendable {
            public var id: String
            public var kind: String
            public var logIndex: Int64
            public var sha256: String
            public var file: String
            public var proof: [String]
        }

        public var schemaVersion = 1
        public var mediaType = "application/vnd.hallmark.evidence-export.v1+json"
        public var changeRecord: String
        public var origin: String
        public var treeSize: Int64
        public var rootHash: String
        public var records: [Record]
    }

    public struct Exported: Codable, Sendable {
        public var schemaVersion = 1
        public var out: String
        public var changeRecord: String
        public var records: [String]
        public var treeSize: Int64
    }

    public var context: EngineContext
    public var options: EvidenceStoreOptions

    public init(context: EngineContext, options: EvidenceStoreOptions) {
        self.context = context
        self.options = options
    }

    public func export(changeRecord: String, out: String) async throws(HallmarkError) -> Exported {
        let outPath = try context.resolve(out)
        let (manifest, entries) = try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            try await collect(changeRecord, log: log)
        }
        var files: [(String, Data)] = entries
        do {
            files.append((Self.manifestFile, try CanonicalJSON.prettyData(manifest)))
        } catch {
            throw .io("cannot encode the manifest: \(error)")
        }
        let checksums = ChecksumList(entries: files.map { ChecksumEntry(algorithm: .sha256, digest: Hex.encode(SHA256Hasher.hash($0.1)), path: $0.0) })
        files.append((ReleaseDirectory.checksums, checksums.gnuData))
        let archiver = DeterministicArchiver(modificationTime: 315_532_800, parallelism: 1)
        let staging = outPath + ".tmp-\(getpid())"
        do throws(HallmarkError) {
            _ = try archiver.write(files.map { ArchiveEntry(path: $0.0, content: .data($0.1), mode: 0o644) }, format: .zip, to: staging)
            guard rename(staging, outPath) == 0 else { throw .io("\(out): cannot write (\(String(cString: strerror(errno))))") }
        } catch {
            FileIO.removeQuietly(staging)
            throw error
        }
        return Exported(out: out, changeRecord: changeRecord, records: manifest.records.map(\.id), treeSize: manifest.treeSize)
    }

    /// Every record of `changeRecord` and the records they link (approvals of its requests), with proofs against
    /// the latest checkpoint.
    func collect(_ changeRecord: String, log: EvidenceLog) async throws(HallmarkError) -> (Manifest, [(String, Data)]) {
        guard log.isPinned else { throw .usage("pass --log-key with the log's public key, so the export is checked before it is written") }
        let (size, note) = try await log.latestCheckpoint()
        let checkpoint = try SignedNote.verifiedCheckpoint(note, name: log.origin, key: log.publicKey, source: "the latest checkpoint")
        var rows = try await log.search(EvidenceQuery(changeRecord: changeRecord, limit: 100_000))
        for request in rows where request.kind.hasSuffix("request") {
            rows += try await log.search(EvidenceQuery(kind: EvidenceKind.promotionApproval.rawValue, subject: request.recordID, limit: 10_000))
        }
        guard !rows.isEmpty else { throw .invalidInput("change record \(changeRecord): no records in \(log.location)") }
        var records: [Manifest.Record] = []
        var files: [(String, Data)] = [(Self.checkpointFile, Data(note.utf8)), ("log.pub", Data(log.publicKey.pemText.utf8))]
        for row in rows.sorted(by: { $0.index < $1.index }) where !records.contains(where: { $0.id == row.recordID }) {
            let record = try await log.record(row.recordID)
            guard let index = record.index else { continue }
            let proof = try await log.inclusionProof(leaf: index, size: size)
            guard MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(record.body), index: index, size: size, root: Data(checkpoint.rootHash), proof: proof) else {
                throw .verificationFailed("\(record.id): its inclusion proof does not lead to the latest checkpoint; run hallmark audit verify", problem: .evidenceInclusionInvalid)
            }
            let file = "records/\(String(format: "%08lld", index))-\(record.id).json"
            files.append((file, record.body))
            records.append(.init(id: record.id, kind: record.kind.rawValue, logIndex: index, sha256: record.digest, file: file, proof: proof.map { Hex.encode($0) }))
        }
        let manifest = Manifest(changeRecord: changeRecord, origin: log.origin, treeSize: size, rootHash: Hex.encode(checkpoint.rootHash), records: records)
        return (manifest, files)
    }
}
