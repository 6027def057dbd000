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

    /// The records of `changeRecord` read from the log itself (never the index, which could hide one): rollouts,
    /// requests and executions that name it, and every decision on those requests; each checked, and the whole log
    /// checked against the signed root.
    func select(_ changeRecord: String, log: EvidenceLog, size: Int64, root: Data) async throws(HallmarkError) -> [EvidenceRecord] {
        var builder = MerkleTree.Builder()
        var selected: [EvidenceRecord] = []
        var requests: Set<String> = []
        while builder.size < size {
            let entries = try await log.store.entries(from: builder.size, count: 2_000)
            guard !entries.isEmpty else { break }
            for entry in entries where entry.index == builder.size {
                builder.append(leafHash: MerkleTree.leafHash(entry.body))
                let record = try EvidenceRecord.verify(body: entry.body, expectedID: entry.recordID, index: entry.index, source: entry.recordID)
                let own: String?
                switch record.predicate {
                case .rollout(let p): own = p.changeRecord
                case .request(let p): own = p.changeRecord
                case .execution(let p): own = p.changeRecord
                case .approval(let p): own = requests.contains(p.request.id) ? changeRecord : nil
                }
                guard own == changeRecord else { continue }
                if record.request != nil { requests.insert(record.id) }
                selected.append(record)
            }
        }
        guard builder.size == size, builder.root == root else {
            throw .verificationFailed("\(log.location): the records are not the log the key signed at size \(size); run hallmark audit verify", problem: .evidenceRecordChanged)
        }
        return selected
    }

    /// Every record of `changeRecord` and the records they link (approvals of its requests), with proofs against
    /// the latest checkpoint.
    func collect(_ changeRecord: String, log: EvidenceLog) async throws(HallmarkError) -> (Manifest, [(String, Data)]) {
        guard log.isPinned else { throw .usage("pass --log-key with the log's public key, so the export is checked before it is written") }
        let (size, note) = try await log.latestCheckpoint()
        let checkpoint = try SignedNote.verifiedCheckpoint(note, name: log.origin, key: log.publicKey, source: "the latest checkpoint")
        let selected = try await select(changeRecord, log: log, size: size, root: Data(checkpoint.rootHash))
        guard !selected.isEmpty else { throw .invalidInput("change record \(changeRecord): no records in \(log.location)") }
        var records: [Manifest.Record] = []
        var files: [(String, Data)] = [(Self.checkpointFile, Data(note.utf8)), ("log.pub", Data(log.publicKey.pemText.utf8))]
        for record in selected {
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
