import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// `hallmark audit verify`, `store migrate` and `store rebuild`: the log checked from its leaves up — every record
/// hashes to its leaf and verifies, every checkpoint is signed by the pinned log key and commits to the tree the
/// leaves make, an earlier checkpoint the auditor kept is consistent with today's, every record's inclusion proof
/// leads to the latest root, and the search index is what the log derives.
public struct AuditLog: Sendable {
    public var context: EngineContext
    public var options: EvidenceStoreOptions

    public init(context: EngineContext, options: EvidenceStoreOptions) {
        self.context = context
        self.options = options
    }

    public struct Report: Codable, Sendable {
        public var schemaVersion = VerificationReportSchema.version
        public var verified: Bool
        public var store: String
        public var origin: String
        public var treeSize: Int64
        public var rootHash: String?
        public var recordsChecked: Int64
        public var checkpointsChecked: Int64
        public var consistentWith: Int64?
        public var problems: [VerificationProblem]
    }

    /// The whole log, checked. `checkpoint` is a checkpoint kept from earlier (its file); `writeCheckpoint` saves
    /// today's latest one for the next audit.
    public func verify(checkpoint: String?, writeCheckpoint: String?) async throws(HallmarkError) -> Report {
        let kept = try checkpoint.map { (path) throws(HallmarkError) in try FileIO.readText(try context.resolve(path), display: path, limit: 1 << 16) }
        return try await EvidenceLog.with(context, options, writing: false) { log async throws(HallmarkError) in
            guard log.isPinned else {
                throw .usage("pass --log-key with the log's public key (log.key.pub beside the log key); the key the store records cannot vouch for the store")
            }
            var walk = LogWalk(log: log, keepRootAt: kept.flatMap { Self.keptSize($0) })
            try await walk.run()
            var problems = walk.problems
            let size = walk.builder.size
            var consistentWith: Int64?
            if let kept {
                consistentWith = try await checkKept(kept, walk: walk, log: log, problems: &problems)
            }
            try await checkIndex(walk.replay, log: log, problems: &problems)
            problems.add(contentsOf: walk.replay.violations)
            let verdict = problems.verdict({ walk.recordsChecked == size ? size : nil }, subject: log.location)
            if verdict.isVerified, let writeCheckpoint, let latest = walk.latestNote {
                try FileIO.writeAtomically(Data(latest.utf8), to: try context.resolve(writeCheckpoint))
            }
            return Report(
                verified: verdict.isVerified, store: log.location, origin: log.origin, treeSize: size,
                rootHash: size > 0 ? Hex.encode(walk.builder.root) : nil, recordsChecked: walk.recordsChecked,
                checkpointsChecked: walk.checkpointsChecked, consistentWith: consistentWith, problems: verdict.problems)
        }
    }

    /// A checkpoint kept from an earlier audit: signed by the log key, and the tree it names is a prefix of
    /// today's (its root is the root of today's first leaves, and the consistency proof from the stored nodes
    /// verifies).
    func checkKept(_ text: String, walk: LogWalk, log: EvidenceLog, problems: inout ProblemList) async throws(HallmarkError) -> Int64? {
        let old: TransparencyLog.Checkpoint
        do {
            old = try SignedNote.verifiedCheckpoint(text, name: log.origin, key: log.publicKey, source: "--checkpoint")
        } catch {
            return problems.fail(.evidenceCheckpointInvalid, error.message, file: "--checkpoint")
        }
        let size = walk.builder.size
        guard old.size <= size, let oldRoot = old.size == 0 ? MerkleTree.emptyRoot : walk.keptRoot, oldRoot == Data(old.rootHash) else {
            return problems.fail(
                .evidenceConsistencyInvalid,
                "the kept checkpoint (size \(old.size)) is not a prefix of the log as it is now (size \(size)): the log was rewritten or truncated")
        }
        let ranges = MerkleNodeID.consistencyPath(old: old.size, new: size)
        let nodes = try await log.store.nodes(MerkleTree.nodes(for: ranges))
        guard let proof = MerkleTree.consistencyProof(old: old.size, new: size, nodes: nodes),
            MerkleTree.verifyConsistency(old: old.size, new: size, oldRoot: oldRoot, newRoot: walk.builder.root, proof: proof)
        else {
            return problems.fail(.evidenceConsistencyInvalid, "the stored Merkle nodes do not prove size \(old.size) consistent with size \(size)")
        }
        return old.size
    }

    /// The tree size a kept checkpoint names (its second line), before it is checked.
    static func keptSize(_ text: String) -> Int64? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.count > 1 ? Int64(lines[1]) : nil
    }

    /// The search index and state heads must be what the log derives.
    func checkIndex(_ replay: IndexReplay, log: EvidenceLog, problems: inout ProblemList) async throws(HallmarkError) {
        for (id, row) in replay.rows.sorted(by: { $0.value.index < $1.value.index }) {
            let stored = try await log.store.indexRow(recordID: id)
            var expected = row
            expected.targets = Array(Set(row.targets)).sorted()
            if stored != expected {
                problems.add(.evidenceIndexMismatch, "\(id): the search index row differs from what the log derives; run hallmark store rebuild", file: id)
            }
        }
        for (key, head) in replay.heads.sorted(by: { $0.key < $1.key }) where try await log.store.head(key) != head {
            problems.add(.evidenceIndexMismatch, "state head \(key) differs from the log's latest record for it; run hallmark store rebuild")
        }
        for stored in try await log.store.allHeads() where replay.heads[stored.key] == nil {
            problems.add(.evidenceIndexMismatch, "state head \(stored.key) is for nothing in the log; run hallmark store rebuild")
        }
        // And the other way: no index row the log does not derive.
        var before: Int64?
        while true {
            let page = try await log.store.search(EvidenceQuery(before: before, limit: 5_000))
            for row in page where replay.rows[row.recordID] == nil {
                problems.add(.evidenceIndexMismatch, "\(row.recordID): an index row for no record in the log; run hallmark store rebuild", file: row.recordID)
            }
            guard page.count == 5_000, let last = page.last else { break }
            before = last.index
        }
    }

    // MARK: Store administration

    public struct StoreReport: Codable, Sendable {
        public var schemaVersion = 1
        public var store: String
        public var storeSchemaVersion: Int
        public var applied: [Int]
        public var treeSize: Int64
        public var rowsRebuilt: Int?
    }

    /// `store migrate`: applies pending migrations and makes the log key when the log has none.
    public func migrate() async throws(HallmarkError) -> StoreReport {
        let location = try EvidenceLog.location(context, options)
        let store = try await openEvidenceStore(location)
        let applied: [Int]
        do throws(HallmarkError) {
            applied = try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        return try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            StoreReport(
                store: log.location, storeSchemaVersion: try await log.store.schemaVersion(), applied: applied,
                treeSize: try await log.store.logSize())
        }
    }

    /// `store rebuild`: recomputes the search index and state heads from the log (which must check first).
    public func rebuild() async throws(HallmarkError) -> StoreReport {
        try await EvidenceLog.with(context, options, writing: true) { log async throws(HallmarkError) in
            var walk = LogWalk(log: log)
            try await walk.run()
            guard walk.problems.isEmpty else {
                throw .verificationFailed(walk.problems.all, subject: "\(log.location): the log does not check, so the index was not rebuilt")
            }
            try await log.store.replaceIndex(rows: walk.replay.rows.values.sorted { $0.index < $1.index }, heads: Array(walk.replay.heads.values))
            return StoreReport(
                store: log.location, storeSchemaVersion: try await log.store.schemaVersion(), applied: [], treeSize: walk.builder.size,
                rowsRebuilt: walk.replay.rows.count)
        }
    }
}

/// One pass over the log in batches: each leaf recomputed from its record and checked, the tree rebuilt, each
/// checkpoint checked against it, and the index replayed.
struct LogWalk {
    let log: EvidenceLog
    var builder = MerkleTree.Builder()
    var replay = IndexReplay()
    var problems = ProblemList()
    var recordsChecked: Int64 = 0
    var checkpointsChecked: Int64 = 0
    var latestNote: String?
    /// The size whose root a kept checkpoint names, and that root once the walk gets there.
    var keepRootAt: Int64?
    var keptRoot: Data?
    /// The root `log.key.state` says the log key signed at `keepRootAt` (when no kept checkpoint was given).
    var rememberedRoot: Data?

    init(log: EvidenceLog, keepRootAt: Int64? = nil) {
        self.log = log
        self.keepRootAt = keepRootAt
    }

    mutating func run() async throws(HallmarkError) {
        let size = try await log.store.logSize()
        guard size >= 0, size < 1 << 48 else {
            problems.add(.evidenceRecordChanged, "the log's size is \(size), which no log has (the database was changed)")
            return
        }
        if let stray = try await log.store.entries(from: Int64.min, count: 1).first, stray.index < 0 {
            problems.add(.evidenceRecordChanged, "\(stray.recordID) is stored at leaf \(stray.index), outside the log", file: stray.recordID)
        }
        if let beyond = try await log.store.entries(from: size, count: 1).first {
            problems.add(.evidenceRecordChanged, "\(beyond.recordID) is stored at leaf \(beyond.index), beyond the log's size \(size)", file: beyond.recordID)
        }
        if let remembered = EvidenceLog.readState(log.stateFile) {
            if remembered.size > size {
                problems.add(.evidenceConsistencyInvalid, "the log key signed this log at size \(remembered.size) (log.key.state); it now holds \(size): it was cut short")
            } else if keepRootAt == nil {
                keepRootAt = remembered.size
                rememberedRoot = remembered.root
            }
        }
        let batch = 2_000
        var next: Int64 = 0
        while next < size {
            let entries = try await log.store.entries(from: next, count: batch)
            let checkpoints = try await log.store.checkpoints(from: next + 1, count: batch)
            let bySize = Dictionary(checkpoints.map { ($0.size, $0) }, uniquingKeysWith: { first, _ in first })
            guard !entries.isEmpty else { break }
            var completed: [MerkleNodeID: Data] = [:]
            for entry in entries {
                guard entry.index == builder.size else {
                    problems.add(.evidenceRecordChanged, "leaf \(builder.size) is missing from the log (found \(entry.index) next)")
                    return
                }
                completed.merge(check(entry, checkpoint: bySize[entry.index + 1])) { _, new in new }
            }
            // The stored nodes serve inclusion proofs: each must be the node the leaves make.
            let stored = try await log.store.nodes(Set(completed.keys))
            for (id, hash) in completed.sorted(by: { $0.key < $1.key }) where stored[id] != hash {
                problems.add(.evidenceInclusionInvalid, "Merkle node \(id) in the store is not the hash of its leaves; inclusion proofs from it would not verify")
            }
            next = builder.size
        }
        if builder.size < size {
            problems.add(.evidenceRecordChanged, "the log says it holds \(size) records; \(builder.size) are there")
        }
        if let rememberedRoot, let keptRoot, rememberedRoot != keptRoot {
            problems.add(.evidenceConsistencyInvalid, "the log at size \(keepRootAt ?? 0) is not the tree the log key signed there (log.key.state): it was rewritten")
        }
    }

    @discardableResult
    mutating func check(_ entry: LogEntry, checkpoint: StoredCheckpoint?) -> [MerkleNodeID: Data] {
        let leaf = MerkleTree.leafHash(entry.body)
        if leaf != entry.leafHash {
            problems.add(.evidenceRecordChanged, "\(entry.recordID) (leaf \(entry.index)): the stored record does not hash to its leaf; it was changed after it was logged", file: entry.recordID)
        }
        do {
            let record = try EvidenceRecord.verify(body: entry.body, expectedID: entry.recordID, index: entry.index, source: entry.recordID)
            replay.add(record, index: entry.index)
            recordsChecked += 1
        } catch {
            problems.add(error.problem ?? .evidenceSignatureInvalid, "\(entry.recordID) (leaf \(entry.index)): \(error.message)", file: entry.recordID)
        }
        let completed = builder.append(leafHash: leaf)
        let size = builder.size
        if size == keepRootAt { keptRoot = builder.root }
        guard let checkpoint else {
            problems.add(.evidenceCheckpointInvalid, "no checkpoint for size \(size) (every append writes one)")
            return completed
        }
        do {
            let parsed = try SignedNote.verifiedCheckpoint(checkpoint.note, name: log.origin, key: log.publicKey, source: "checkpoint \(size)")
            guard parsed.size == size, Data(parsed.rootHash) == builder.root else {
                problems.add(
                    .evidenceRecordChanged,
                    "\(entry.recordID) (leaf \(entry.index)): the signed checkpoint at size \(size) commits to other content; this record or an earlier one was changed",
                    file: entry.recordID)
                return completed
            }
            checkpointsChecked += 1
            latestNote = checkpoint.note
        } catch {
            problems.add(.evidenceCheckpointInvalid, error.message)
        }
        return completed
    }
}
