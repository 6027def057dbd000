import Foundation
import HallmarkCore
import HallmarkCrypto
import HallmarkStore

/// Where governance commands find the store and the log key (their `--store` and `--log-key`).
public struct EvidenceStoreOptions: Sendable {
    public var store: String?
    public var logKey: String?
    /// A log kept open by a long-running process (`hallmark serve`): operations use it instead of opening the
    /// store themselves, and leave it open.
    public var shared: EvidenceLog?
    /// PostgreSQL connections to keep open (1 for a command; a server runs operations side by side).
    public var connections: Int

    public init(store: String? = nil, logKey: String? = nil, shared: EvidenceLog? = nil, connections: Int = 1) {
        self.store = store
        self.logKey = logKey
        self.shared = shared
        self.connections = connections
    }
}

/// The evidence log over a store: appends signed records with their Merkle nodes and a signed checkpoint in one
/// transaction (retrying when another writer appended first), and reads records back verified.
public final class EvidenceLog: Sendable {
    /// The store default when neither `--store` nor `HALLMARK_STORE` names one.
    public static let defaultStore = "sqlite:.hallmark/evidence.db"
    static let publicKeyMeta = "log.public-key"
    static let originMeta = "log.origin"

    let store: any EvidenceStore
    let context: EngineContext
    /// The log's signing key (nil when opened for reading).
    let signingKey: PrivateKey?
    /// The key checkpoints must verify with: the signing key's, or the pinned public key given for reading.
    public let publicKey: PublicKey
    public let origin: String
    /// Whether `publicKey` came from the caller (a key file), not from the store it is to check.
    public let isPinned: Bool
    /// Where this host's writers keep the last checkpoint the log key signed (`log.key.state`), so a log cut
    /// short or rewritten in the database is refused rather than signed again.
    let stateFile: String?
    /// The latest checkpoint verified with the log key: records are read only from below it, with an inclusion proof.
    let head = LockedValue<(size: Int64, root: Data)?>(nil)
    /// After this process's last append: the log's size and the perfect subtrees that make its root, which are
    /// all the next append reads. Used once without reading the store; if another writer appended meanwhile,
    /// the store's guarded size says so and the append is planned again from the store.
    let frontier = LockedValue<(size: Int64, nodes: [MerkleNodeID: Data])?>(nil)

    private init(
        store: any EvidenceStore, context: EngineContext, signingKey: PrivateKey?, publicKey: PublicKey, origin: String, isPinned: Bool,
        stateFile: String?
    ) {
        self.isPinned = isPinned
        self.stateFile = stateFile
        self.store = store
        self.context = context
        self.signingKey = signingKey
        self.publicKey = publicKey
        self.origin = origin
    }

    public var location: String { store.location.description }

    public func close() async { await store.close() }

    /// Runs `body` with the log, closing the store after.
    public static func with<T: Sendable>(
        _ context: EngineContext, _ options: EvidenceStoreOptions, writing: Bool,
        _ body: (EvidenceLog) async throws(HallmarkError) -> T
    ) async throws(HallmarkError) -> T {
        if let shared = options.shared {
            if writing, shared.signingKey == nil { throw .usage("\(shared.location): this log was opened for reading; it cannot append") }
            return try await body(shared)
        }
        let log = try await open(context: context, options: options, writing: writing)
        do throws(HallmarkError) {
            let value = try await body(log)
            await log.close()
            return value
        } catch {
            await log.close()
            throw error
        }
    }

    /// The store location for `options`.
    static func location(_ context: EngineContext, _ options: EvidenceStoreOptions) throws(HallmarkError) -> StoreLocation {
        let location = try StoreLocation(parsing: options.store ?? context.settings.evidenceStore ?? defaultStore)
        if case .sqlite(let path) = location { return .sqlite(path: try context.resolve(path)) }
        return location
    }

    /// The log key's default path: `log.key` beside an SQLite store, else `.hallmark/log.key`.
    static func defaultKeyPath(_ location: StoreLocation) -> String {
        if case .sqlite(let path) = location { return (path as NSString).deletingLastPathComponent + "/log.key" }
        return ".hallmark/log.key"
    }

    /// Opens the store. Writing migrates it when needed and loads the log key (creating one, with its `.pub`,
    /// for a log that has none yet). Reading needs the log's public key pinned: `--log-key` (a public or private
    /// key), else the `.pub` beside the default key.
    public static func open(context: EngineContext, options: EvidenceStoreOptions, writing: Bool) async throws(HallmarkError) -> EvidenceLog {
        let location = try location(context, options)
        let store = try await openEvidenceStore(location, connections: options.connections)
        do throws(HallmarkError) {
            if writing {
                if try await store.schemaVersion() < EvidenceSchema.latest { _ = try await store.migrate() }
            } else {
                let version = try await store.schemaVersion()
                guard version > 0 else {
                    throw HallmarkError.store("\(location): no evidence store here yet; capture a rollout, or run hallmark store migrate")
                }
            }
            let keyPath = try context.resolve(options.logKey ?? context.settings.logKeyPath ?? defaultKeyPath(location))
            let (signingKey, publicKey, pinned) = try await logKeys(store: store, keyPath: keyPath, writing: writing, context: context)
            let origin = writing
                ? try await store.setMetaIfAbsent(originMeta, "hallmark-evidence/" + publicKey.keyID.prefix(16))
                : try await store.meta(originMeta) ?? "hallmark-evidence/" + publicKey.keyID.prefix(16)
            return EvidenceLog(
                store: store, context: context, signingKey: signingKey, publicKey: publicKey, origin: origin, isPinned: pinned,
                stateFile: Self.stateFile(keyPath: keyPath, writing: writing))
        } catch {
            await store.close()
            throw error
        }
    }

    static func logKeys(
        store: any EvidenceStore, keyPath: String, writing: Bool, context: EngineContext
    ) async throws(HallmarkError) -> (PrivateKey?, PublicKey, pinned: Bool) {
        let recorded = try await store.meta(publicKeyMeta)
        if writing {
            let key: PrivateKey
            if FileIO.exists(keyPath) {
                key = try KeyResolver(context: context).signingKey(keyPath)
            } else if recorded == nil {
                key = try PrivateKey.generate(.ed25519)
                let directory = (keyPath as NSString).deletingLastPathComponent
                if !FileIO.exists(directory) {
                    do {
                        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                    } catch {
                        throw HallmarkError.io("\(directory): cannot create the directory for the log key: \(error.localizedDescription)")
                    }
                }
                try FileIO.writeAtomically(Data(try pem(key).utf8), to: keyPath, mode: 0o600)
                try FileIO.writeAtomically(Data(key.publicKey.pemText.utf8), to: keyPath + ".pub", mode: 0o644)
            } else {
                throw HallmarkError.usage("\(keyPath): no log key here, and this store's log is signed by another; pass --log-key (or set HALLMARK_LOG_KEY) with its key")
            }
            guard key.publicKey.rawEd25519 != nil else { throw .invalidKey("\(keyPath): the log key must be Ed25519 (checkpoints are signed notes)") }
            let stored = try await store.setMetaIfAbsent(publicKeyMeta, key.publicKey.pemText)
            guard stored == key.publicKey.pemText else {
                throw .usage("\(keyPath): this store's log is signed by another key; pass --log-key (or HALLMARK_LOG_KEY) with its key")
            }
            return (key, key.publicKey, true)
        }
        let pinned = FileIO.exists(keyPath + ".pub") && !keyPath.hasSuffix(".pub") ? keyPath + ".pub" : keyPath
        if FileIO.exists(pinned) { return (nil, try KeyResolver(context: context).publicKey(pinned), true) }
        guard let recorded else { throw HallmarkError.store("the store records no log key; nothing was ever appended to it") }
        // Unpinned: good for searching; `audit verify` and exports insist on a pinned key (isPinned).
        return (nil, try PublicKey(pem: recorded, source: "the store's recorded log key"), false)
    }

    /// `log.key.state` beside the log key (also found from `log.key.pub`); for reading, only when it exists.
    static func stateFile(keyPath: String, writing: Bool) -> String? {
        let base = keyPath.hasSuffix(".key.pub") ? String(keyPath.dropLast(4)) : keyPath
        return writing || FileIO.exists(base + ".state") ? base + ".state" : nil
    }

    static func pem(_ key: PrivateKey) throws(HallmarkError) -> String {
        do { return try key.pemText(passphrase: nil) } catch { throw .io("cannot encode the log key: \(error)") }
    }

    // MARK: Appending

    /// What an append did.
    enum Appended: Sendable {
        case appended(index: Int64, checkpoint: StoredCheckpoint)
        /// A guarded state moved first: the caller re-reads it and decides again.
        case conflict(key: String)
        /// This exact record is already in the log.
        case duplicate
    }

    /// Appends `record` with its index row (its `index` is set here) and updated rows of other records, under
    /// `guards`. Retries while other writers append first.
    func append(_ record: SignedRecord, row: IndexRow, updates: [IndexRow] = [], guards: [StateGuard]) async throws(HallmarkError) -> Appended {
        guard let signingKey else { throw .usage("internal: the log was opened for reading") }
        let leafHash = MerkleTree.leafHash(record.body)
        for attempt in 0..<500 {
            var (size, nodes) = try await planned(fresh: attempt > 0)
            guard size >= 0, size < 1 << 48 else {
                throw .verificationFailed("\(location): the log's size \(size) is impossible (the database was changed); run hallmark audit verify", problem: .evidenceRecordChanged)
            }
            guard try await checkSigned(size: size, nodes: nodes) else { continue }
            guard let completed = MerkleTree.completed(byAppending: size, leafHash: leafHash, nodes: nodes) else {
                throw .store("\(location): the log's Merkle nodes below leaf \(size) are missing; run hallmark audit verify")
            }
            nodes.merge(completed) { _, new in new }
            guard let root = MerkleTree.root(size: size + 1, nodes: nodes) else {
                throw .store("\(location): cannot compute the log root at size \(size + 1); run hallmark audit verify")
            }
            let note = try SignedNote.signCheckpoint(origin: origin, size: size + 1, root: root, name: origin, key: signingKey)
            let checkpoint = StoredCheckpoint(size: size + 1, rootHash: root, note: note)
            var newRow = row
            newRow.index = size
            let entry = LogEntry(index: size, recordID: record.id, kind: record.kind.rawValue, body: record.body, leafHash: leafHash)
            switch try await store.append(LogAppend(entry: entry, nodes: completed, checkpoint: checkpoint, rows: [newRow] + updates, guards: guards)) {
            case .appended:
                rememberSigned(size: size + 1, root: root)
                head.set((size + 1, root))
                frontier.set((size + 1, nodes.filter { MerkleTree.nodesForRoot(size: size + 1).contains($0.key) }))
                return .appended(index: size, checkpoint: checkpoint)
            case .guardFailed(let key): return .conflict(key: key)
            case .duplicateRecord: return .duplicate
            case .logMoved:
                frontier.set(nil)
                try? await Task.sleep(nanoseconds: UInt64.random(in: 0...UInt64(min(attempt + 1, 20) * 500_000)))
            }
        }
        throw .store("\(location): the log kept moving under 500 attempts to append \(record.id); try again")
    }

    /// Before signing over the log at `size`: its root from the stored nodes is the root the log key signed at
    /// that size (so the key never signs over nodes changed in the database), and this host's writers never
    /// signed a longer log or another root for it (a log cut short or rewritten).
    /// The log's size and the nodes an append at that size reads: this process's frontier when it has one (and
    /// `fresh` is not asked for), else read from the store.
    func planned(fresh: Bool) async throws(HallmarkError) -> (Int64, [MerkleNodeID: Data]) {
        if !fresh, let known = frontier.current { return (known.size, known.nodes) }
        return try await store.sizeAndNodes { size in
            MerkleTree.nodesForAppend(leaf: size).union(MerkleTree.nodesForRoot(size: size + 1)).union(MerkleTree.nodesForRoot(size: size))
        }
    }

    /// False when the size read was stale (another writer on this host appended since): plan again.
    func checkSigned(size: Int64, nodes: [MerkleNodeID: Data]) async throws(HallmarkError) -> Bool {
        let remembered = Self.readState(stateFile)
        if let remembered, size < remembered.size {
            if try await store.logSize() >= remembered.size { return false }
            throw .verificationFailed("\(location): the log holds \(size) records, but the log key signed it at size \(remembered.size): it was cut short; run hallmark audit verify", problem: .evidenceConsistencyInvalid)
        }
        guard size > 0 else { return true }
        guard let root = MerkleTree.root(size: size, nodes: nodes) else {
            throw .store("\(location): the log's Merkle nodes at size \(size) are missing; run hallmark audit verify")
        }
        if let cached = head.current, cached.size == size, cached.root == root {
            // The root this process signed (or verified) last: nothing to fetch.
        } else {
            guard let stored = try await store.checkpoint(size: size) else {
                throw .verificationFailed("\(location): no checkpoint for the log's size \(size) (records were added behind the log); run hallmark audit verify", problem: .evidenceCheckpointInvalid)
            }
            let signed = try SignedNote.verifiedCheckpoint(stored.note, name: origin, key: publicKey, source: "\(location) checkpoint \(size)")
            guard signed.size == size, root == Data(signed.rootHash) else {
                throw .verificationFailed("\(location): the stored Merkle nodes are not the tree the log key signed at size \(size); refusing to sign over them; run hallmark audit verify", problem: .evidenceRecordChanged)
            }
            head.set((size, root))
        }
        if let remembered {
            // The tree signed now extends the one this host signed: a consistency proof from the stored nodes.
            let ranges = MerkleNodeID.consistencyPath(old: remembered.size, new: size)
            let proofNodes = try await store.nodes(MerkleTree.nodes(for: ranges))
            let proof = MerkleTree.consistencyProof(old: remembered.size, new: size, nodes: proofNodes) ?? []
            guard MerkleTree.verifyConsistency(old: remembered.size, new: size, oldRoot: remembered.root, newRoot: root, proof: proof) else {
                throw .verificationFailed("\(location): the log is not an extension of the one the log key signed at size \(remembered.size); it was rewritten; run hallmark audit verify", problem: .evidenceConsistencyInvalid)
            }
        }
        return true
    }

    /// `log.key.state`: `SIZE HEX-ROOT` of the largest checkpoint this host signed.
    static func readState(_ path: String?) -> (size: Int64, root: Data)? {
        guard let path, FileIO.exists(path), case .success(let text) = Result(catching: { () throws(HallmarkError) in try FileIO.readText(path, limit: 4_096) })
        else { return nil }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count >= 2, let size = Int64(parts[0]), let root = Hex.decode(String(parts[1])) else { return nil }
        return (size, Data(root))
    }

    /// Written in place, fixed width, without an fsync: after a power failure it may lag the log by the last
    /// appends (as SQLite's WAL with synchronous=NORMAL may lose them), never run ahead of it. (Renaming a new
    /// file over it each time makes ext4 flush on every append.)
    func rememberSigned(size: Int64, root: Data) {
        guard let stateFile, (Self.readState(stateFile)?.size ?? -1) < size else { return }
        let line = Data((String(format: "%020lld", size) + " " + Hex.encode(root) + "\n").utf8)
        FileIO.overwriteInPlace(line, at: stateFile, mode: 0o600)
    }

    // MARK: Reading

    /// The record with `id`, verified; throws when it is not in the log.
    public func record(_ id: String) async throws(HallmarkError) -> EvidenceRecord {
        guard let entry = try await store.entry(recordID: id) else {
            throw .invalidInput("\(id): no such record in \(location); find ids with hallmark evidence search")
        }
        return try await verified(entry)
    }

    /// The latest checkpoint, verified with the log key, covering leaf `index` (re-read when the cached one does
    /// not reach it).
    func signedHead(covering index: Int64) async throws(HallmarkError) -> (size: Int64, root: Data) {
        if let cached = head.current, index < cached.size { return cached }
        let size = try await store.logSize()
        guard size > 0, size < 1 << 48, let stored = try await store.checkpoint(size: size) else {
            throw .verificationFailed("\(location): no signed checkpoint covers the log's size \(size); run hallmark audit verify", problem: .evidenceCheckpointInvalid)
        }
        let signed = try SignedNote.verifiedCheckpoint(stored.note, name: origin, key: publicKey, source: "\(location) checkpoint \(size)")
        guard signed.size == size else {
            throw .verificationFailed("\(location): checkpoint \(size) names size \(signed.size)", problem: .evidenceCheckpointInvalid)
        }
        let value = (size, Data(signed.rootHash))
        head.set(value)
        return value
    }

    /// An entry's record, verified: it lies inside the signed log (an inclusion proof from the stored nodes to the
    /// latest checkpoint the log key signed), its bytes hash to its leaf, and the record checks.
    func verified(_ entry: LogEntry) async throws(HallmarkError) -> EvidenceRecord {
        guard entry.index >= 0 else {
            throw .verificationFailed("\(entry.recordID): stored at leaf \(entry.index), outside the log; run hallmark audit verify", problem: .evidenceRecordChanged)
        }
        let signed = try await signedHead(covering: entry.index)
        guard entry.index < signed.size else {
            throw .verificationFailed("\(entry.recordID): leaf \(entry.index) is beyond the signed log (size \(signed.size)); run hallmark audit verify", problem: .evidenceRecordChanged)
        }
        let leaf = MerkleTree.leafHash(entry.body)
        let proof = try await inclusionProof(leaf: entry.index, size: signed.size)
        guard leaf == entry.leafHash, MerkleTree.verifyInclusion(leafHash: leaf, index: entry.index, size: signed.size, root: signed.root, proof: proof) else {
            throw .verificationFailed("\(entry.recordID): the stored record is not the one the signed log holds at leaf \(entry.index) (changed after it was logged); run hallmark audit verify", problem: .evidenceRecordChanged)
        }
        do {
            return try EvidenceRecord.verify(body: entry.body, expectedID: entry.recordID, index: entry.index, source: entry.recordID)
        } catch where error.code != .verificationFailed {
            throw .verificationFailed("\(entry.recordID): \(error.message)", problem: .evidenceRecordChanged)
        }
    }

    /// The record `link` names, verified, and checked to be the very record linked (same digest) and of one of `kinds`.
    func linked(_ link: RecordLink, kinds: Set<EvidenceKind>, from source: String) async throws(HallmarkError) -> EvidenceRecord {
        let record = try await record(link.id)
        guard record.digest == link.sha256 else {
            throw .verificationFailed("\(source): links \(link.id) with sha256 \(link.sha256.prefix(12))…, but that record is \(record.digest.prefix(12))…", problem: .promotionLinkInvalid)
        }
        guard kinds.contains(record.kind) else {
            throw .verificationFailed("\(source): \(link.id) is a \(record.kind.rawValue), not a \(kinds.map(\.rawValue).sorted().joined(separator: " or "))", problem: .promotionLinkInvalid)
        }
        return record
    }

    /// Records whose index rows match `query`, verified, newest first.
    func records(_ query: EvidenceQuery) async throws(HallmarkError) -> [EvidenceRecord] {
        var result: [EvidenceRecord] = []
        for row in try await store.search(query) { result.append(try await record(row.recordID)) }
        return result
    }

    func search(_ query: EvidenceQuery) async throws(HallmarkError) -> [IndexRow] { try await store.search(query) }

    func indexRow(_ id: String) async throws(HallmarkError) -> IndexRow? { try await store.indexRow(recordID: id) }

    func head(_ key: String) async throws(HallmarkError) -> StateHead? { try await store.head(key) }

    /// The latest checkpoint, verified with the log key.
    public func latestCheckpoint() async throws(HallmarkError) -> (size: Int64, note: String) {
        let size = try await store.logSize()
        guard size > 0 else { return (0, "") }
        guard let checkpoint = try await store.checkpoint(size: size) else {
            throw .verificationFailed("\(location): no checkpoint for the log's size \(size)", problem: .evidenceCheckpointInvalid)
        }
        _ = try SignedNote.verifiedCheckpoint(checkpoint.note, name: origin, key: publicKey, source: "checkpoint \(size)")
        return (size, checkpoint.note)
    }

    /// The inclusion proof of leaf `index` in the tree of `size`.
    func inclusionProof(leaf index: Int64, size: Int64) async throws(HallmarkError) -> [Data] {
        let ranges = MerkleNodeID.inclusionPath(leaf: index, size: size)
        let nodes = try await store.nodes(MerkleTree.nodes(for: ranges))
        guard let proof = MerkleTree.inclusionProof(leaf: index, size: size, nodes: nodes) else {
            throw .store("\(location): Merkle nodes for leaf \(index) are missing; run hallmark audit verify")
        }
        return proof
    }
}


extension EvidenceRecord {
    /// The record of the request's chain this one followed (decisions and executions).
    var after: RecordLink? { approval?.after ?? execution?.after }
}

extension EvidenceLog {
    /// A request's chain, read from the log: from the request's state head back through each record's `after`
    /// link to the request, every record verified and linked by digest; oldest first, the request excluded. A
    /// record the head does not reach is not in it (the audit finds such forks).
    func chain(of request: EvidenceRecord) async throws(HallmarkError) -> [EvidenceRecord] {
        guard let state = try await head(IndexReplay.requestKey(request.id)), state.digest != request.digest else { return [] }
        guard let entry = try await store.entries(from: state.index, count: 1).first, entry.index == state.index else {
            throw .verificationFailed("\(request.id): its state head points at leaf \(state.index), which the log does not have; run hallmark audit verify", problem: .evidenceIndexMismatch)
        }
        var current = try await verified(entry)
        guard current.digest == state.digest else {
            throw .verificationFailed("\(request.id): its state head names \(state.digest.prefix(12))…, leaf \(state.index) is \(current.digest.prefix(12))…; run hallmark audit verify", problem: .evidenceIndexMismatch)
        }
        var chain: [EvidenceRecord] = []
        for _ in 0..<100_000 {
            let follows = current.approval?.request ?? current.execution?.request
            guard follows == request.link, let after = current.after else {
                throw .verificationFailed("\(request.id): \(current.id) in its chain is not a decision or execution of it; run hallmark audit verify", problem: .promotionLinkInvalid)
            }
            chain.insert(current, at: 0)
            if after == request.link { return chain }
            current = try await linked(after, kinds: [.promotionApproval, .promotionExecution, .rollbackExecution], from: current.id)
        }
        throw .verificationFailed("\(request.id): its chain does not end", problem: .promotionLinkInvalid)
    }
}
