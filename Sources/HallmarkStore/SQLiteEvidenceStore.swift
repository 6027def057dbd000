import Foundation
import GRDB
import HallmarkCore

/// The embedded store: one SQLite file in WAL mode (readers never block the writer), IMMEDIATE write transactions
/// and a busy timeout, so several processes can append to one file.
final class SQLiteEvidenceStore: EvidenceStore {
    let location: StoreLocation
    let path: String
    let pool: DatabasePool

    /// How long a writer waits for another process's transaction before giving up with "locked".
    static let busyTimeout: TimeInterval = 5

    init(path: String) throws(HallmarkError) {
        self.path = path
        location = .sqlite(path: path)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .store("sqlite:\(path): cannot create \(directory): \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Reads map the file rather than copying each page out of the kernel (a server's searches).
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw Self.failure(error, path: path, doing: "open")
        }
    }

    static func failure(_ error: any Error, path: String, doing: String) -> HallmarkError {
        if let error = error as? HallmarkError { return error }
        if let db = error as? DatabaseError {
            switch db.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return .store("sqlite:\(path): the database is locked by another process (waited \(Int(busyTimeout)) s to \(doing)); try again")
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                return .store("sqlite:\(path): not a Hallmark evidence database, or damaged (\(db.message ?? "corrupt")); restore it or choose another --store")
            case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM:
                return .store("sqlite:\(path): cannot \(doing) (\(db.message ?? "\(db.resultCode)")); check the file's permissions")
            default:
                return .store("sqlite:\(path): cannot \(doing): \(db.message ?? "\(db.resultCode)")")
            }
        }
        return .store("sqlite:\(path): cannot \(doing): \(error)")
    }

    func run<T: Sendable>(_ doing: String, write: Bool = false, _ body: @escaping @Sendable (Database) throws -> T) async throws(HallmarkError) -> T {
        do {
            if write {
                return try await pool.writeWithoutTransaction { db in
                    var result: T?
                    try db.inTransaction(.immediate) {
                        result = try body(db)
                        return .commit
                    }
                    guard let result else { throw HallmarkError.store("internal: transaction returned nothing") }
                    return result
                }
            }
            return try await pool.read(body)
        } catch {
            throw Self.failure(error, path: path, doing: doing)
        }
    }

    func close() async {
        try? pool.close()
    }

    // MARK: Migrations and meta

    func migrate() async throws(HallmarkError) -> [Int] {
        try await run("migrate", write: true) { db in
            try db.execute(sql: Schema.migrationsTable.replacingOccurrences(of: "INT64", with: "INTEGER"))
            let applied = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(version), 0) FROM hallmark_migrations") ?? 0
            guard applied <= Schema.latest else {
                throw HallmarkError.store("schema version \(applied) is newer than this hallmark knows (\(Schema.latest)); upgrade hallmark")
            }
            var done: [Int] = []
            for version in (applied + 1)..<(Schema.latest + 1) {
                for sql in Schema.statements(version, .sqlite) { try db.execute(sql: sql) }
                try db.execute(
                    sql: "INSERT INTO hallmark_migrations (version, name) VALUES (?, ?)", arguments: [version, Schema.names[version - 1]])
                done.append(version)
            }
            return done
        }
    }

    func schemaVersion() async throws(HallmarkError) -> Int {
        try await run("read the schema version") { db in
            guard try db.tableExists("hallmark_migrations") else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(version), 0) FROM hallmark_migrations") ?? 0
        }
    }

    func meta(_ key: String) async throws(HallmarkError) -> String? {
        try await run("read \(key)") { db in try String.fetchOne(db, sql: "SELECT value FROM hallmark_meta WHERE key = ?", arguments: [key]) }
    }

    func setMetaIfAbsent(_ key: String, _ value: String) async throws(HallmarkError) -> String {
        try await run("write \(key)", write: true) { db in
            try db.execute(sql: "INSERT INTO hallmark_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", arguments: [key, value])
            return try String.fetchOne(db, sql: "SELECT value FROM hallmark_meta WHERE key = ?", arguments: [key]) ?? value
        }
    }

    // MARK: The log

    func logSize() async throws(HallmarkError) -> Int64 {
        try await run("read the log size") { db in try Int64.fetchOne(db, sql: "SELECT size FROM log_head WHERE id = 1") ?? 0 }
    }

    func nodes(_ ids: Set<MerkleNodeID>) async throws(HallmarkError) -> [MerkleNodeID: Data] {
        guard !ids.isEmpty else { return [:] }
        return try await run("read Merkle nodes") { db in
            var result: [MerkleNodeID: Data] = [:]
            let statement = try db.cachedStatement(sql: "SELECT hash FROM log_nodes WHERE level = ? AND idx = ?")
            for id in ids {
                if let hash = try Data.fetchOne(statement, arguments: [id.level, id.index]) { result[id] = hash }
            }
            return result
        }
    }

    func sizeAndNodes(_ needed: @escaping @Sendable (Int64) -> Set<MerkleNodeID>) async throws(HallmarkError) -> (Int64, [MerkleNodeID: Data]) {
        try await run("read the log") { db in
            let size = try Int64.fetchOne(db, sql: "SELECT size FROM log_head WHERE id = 1") ?? 0
            guard size >= 0, size < 1 << 48 else { return (size, [:]) }
            var result: [MerkleNodeID: Data] = [:]
            let statement = try db.cachedStatement(sql: "SELECT hash FROM log_nodes WHERE level = ? AND idx = ?")
            for id in needed(size) {
                if let hash = try Data.fetchOne(statement, arguments: [id.level, id.index]) { result[id] = hash }
            }
            return (size, result)
        }
    }

    func append(_ append: LogAppend) async throws(HallmarkError) -> AppendOutcome {
        do {
            return try await pool.writeWithoutTransaction { db in
                do {
                    var outcome = AppendOutcome.appended
                    try db.inTransaction(.immediate) {
                        outcome = try Self.apply(append, db)
                        return outcome == .appended ? .commit : .rollback
                    }
                    return outcome
                } catch let abort as Abort {
                    return abort.outcome
                }
            }
        } catch {
            throw Self.failure(error, path: path, doing: "append \(append.entry.recordID)")
        }
    }

    /// The append's writes, in the caller's transaction; a failed check rolls back by throwing ``Abort``.
    static func apply(_ append: LogAppend, _ db: Database) throws -> AppendOutcome {
        let entry = append.entry
        try db.cachedStatement(sql: "UPDATE log_head SET size = size + 1 WHERE id = 1 AND size = ?").execute(arguments: [entry.index])
        guard db.changesCount == 1 else { return .logMoved }
        if try Bool.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM log_entries WHERE record_id = ?"), arguments: [entry.recordID]) == true {
            throw Abort(outcome: .duplicateRecord)
        }
        for stateGuard in append.guards {
            if let expected = stateGuard.expected {
                try db.cachedStatement(sql: "UPDATE state_heads SET digest = ?, seq = ? WHERE key = ? AND digest = ?").execute(arguments: [stateGuard.next, entry.index, stateGuard.key, expected])
            } else {
                try db.cachedStatement(sql: "INSERT INTO state_heads (key, digest, seq) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING").execute(arguments: [stateGuard.key, stateGuard.next, entry.index])
            }
            guard db.changesCount == 1 else { throw Abort(outcome: .guardFailed(key: stateGuard.key)) }
        }
        try db.cachedStatement(sql: "INSERT INTO log_entries (seq, record_id, kind, body, leaf_hash) VALUES (?, ?, ?, ?, ?)").execute(arguments: [entry.index, entry.recordID, entry.kind, entry.body, entry.leafHash])
        let nodeStatement = try db.cachedStatement(sql: "INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)")
        for (id, hash) in append.nodes.sorted(by: { $0.key < $1.key }) {
            try nodeStatement.execute(arguments: [id.level, id.index, hash])
        }
        try db.cachedStatement(sql: "INSERT INTO log_checkpoints (size, root_hash, note) VALUES (?, ?, ?)").execute(arguments: [append.checkpoint.size, append.checkpoint.rootHash, append.checkpoint.note])
        for row in append.rows { try upsert(row, db) }
        return .appended
    }

    /// A failed check inside a write transaction: thrown to roll it back, caught to report the outcome.
    struct Abort: Error { var outcome: AppendOutcome }

    static func upsert(_ row: IndexRow, _ db: Database) throws {
        try db.cachedStatement(sql: """
                INSERT INTO evidence_index (\(Schema.indexColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (seq) DO UPDATE SET status = excluded.status, environment = excluded.environment,
                ring = excluded.ring, approval_state = excluded.approval_state, execution_status = excluded.execution_status,
                version = excluded.version, change_record = excluded.change_record, subject = excluded.subject,
                actor = excluded.actor
                """).execute(arguments: [
                row.index, row.recordID, row.kind, row.digest, row.createdAt, row.status, row.environment, row.ring,
                row.approvalState, row.executionStatus, row.version, row.changeRecord, row.subject, row.actor,
            ])
        try db.cachedStatement(sql: "DELETE FROM evidence_targets WHERE seq = ?").execute(arguments: [row.index])
        for target in Set(row.targets).sorted() {
            try db.cachedStatement(sql: "INSERT INTO evidence_targets (target, seq) VALUES (?, ?)").execute(arguments: [target, row.index])
        }
    }

    func entries(from index: Int64, count: Int) async throws(HallmarkError) -> [LogEntry] {
        try await run("read the log") { db in
            try Row.fetchAll(
                db, sql: "SELECT seq, record_id, kind, body, leaf_hash FROM log_entries WHERE seq >= ? ORDER BY seq LIMIT ?",
                arguments: [index, count]
            ).map { try Self.entry($0) }
        }
    }

    func entry(recordID: String) async throws(HallmarkError) -> LogEntry? {
        try await run("read \(recordID)") { db in
            try Row.fetchOne(
                db, sql: "SELECT seq, record_id, kind, body, leaf_hash FROM log_entries WHERE record_id = ?", arguments: [recordID]
            ).map(Self.entry)
        }
    }

    static func entry(_ row: Row) throws -> LogEntry {
        LogEntry(index: try value(row, 0), recordID: try value(row, 1), kind: try value(row, 2), body: try value(row, 3), leafHash: try value(row, 4))
    }

    /// Column `index` as `T`, or an error naming the column (a value of the wrong type, put there behind Hallmark's
    /// back, is refused, not trapped on).
    static func value<T: DatabaseValueConvertible>(_ row: Row, _ index: Int) throws -> T {
        let raw: DatabaseValue = row[index]
        guard let value = T.fromDatabaseValue(raw) else {
            throw HallmarkError.store("column \(row.columnNames[row.index(row.startIndex, offsetBy: index)]) holds \(raw), not a \(T.self); the database was changed; run hallmark audit verify")
        }
        return value
    }

    static func optional<T: DatabaseValueConvertible>(_ row: Row, _ index: Int) throws -> T? {
        let raw: DatabaseValue = row[index]
        return raw.isNull ? nil : try value(row, index) as T
    }

    func checkpoint(size: Int64) async throws(HallmarkError) -> StoredCheckpoint? {
        try await run("read a checkpoint") { db in
            try Row.fetchOne(db, sql: "SELECT size, root_hash, note FROM log_checkpoints WHERE size = ?", arguments: [size])
                .map { StoredCheckpoint(size: try Self.value($0, 0), rootHash: try Self.value($0, 1), note: try Self.value($0, 2)) }
        }
    }

    func checkpoints(from size: Int64, count: Int) async throws(HallmarkError) -> [StoredCheckpoint] {
        try await run("read checkpoints") { db in
            try Row.fetchAll(
                db, sql: "SELECT size, root_hash, note FROM log_checkpoints WHERE size >= ? ORDER BY size LIMIT ?",
                arguments: [size, count]
            ).map { StoredCheckpoint(size: try Self.value($0, 0), rootHash: try Self.value($0, 1), note: try Self.value($0, 2)) }
        }
    }

    func head(_ key: String) async throws(HallmarkError) -> StateHead? {
        try await run("read a state head") { db in
            try Row.fetchOne(db, sql: "SELECT key, digest, seq FROM state_heads WHERE key = ?", arguments: [key])
                .map { StateHead(key: try Self.value($0, 0), digest: try Self.value($0, 1), index: try Self.value($0, 2)) }
        }
    }

    func allHeads() async throws(HallmarkError) -> [StateHead] {
        try await run("read the state heads") { db in
            try Row.fetchAll(db, sql: "SELECT key, digest, seq FROM state_heads ORDER BY key")
                .map { StateHead(key: try Self.value($0, 0), digest: try Self.value($0, 1), index: try Self.value($0, 2)) }
        }
    }

    // MARK: Search

    func search(_ query: EvidenceQuery) async throws(HallmarkError) -> [IndexRow] {
        let (clause, arguments) = Schema.whereClause(query) { _ in "?" }
        let values: [(any DatabaseValueConvertible)?] = arguments.map { argument in
            switch argument {
            case .text(let text): text
            case .int(let int): int
            }
        }
        let sql = """
            SELECT \(Schema.indexColumns), (SELECT group_concat(target, char(31)) FROM (SELECT target FROM evidence_targets t
            WHERE t.seq = e.seq ORDER BY target)) FROM evidence_index e \(clause) ORDER BY seq DESC LIMIT \(max(0, query.limit))
            """
        let statementArguments = StatementArguments(values)
        return try await run("search") { db in
            return try Row.fetchAll(try db.cachedStatement(sql: sql), arguments: statementArguments).map { row in
                let targets: String? = try Self.optional(row, 14)
                return try Self.indexRow(row, targets: targets.map { $0.split(separator: "\u{1F}").map(String.init) } ?? [])
            }
        }
    }

    func indexRow(recordID: String) async throws(HallmarkError) -> IndexRow? {
        try await run("read \(recordID)") { db in
            try Row.fetchOne(db, sql: "SELECT \(Schema.indexColumns) FROM evidence_index WHERE record_id = ?", arguments: [recordID])
                .map { try Self.indexRow($0, db) }
        }
    }

    static func indexRow(_ row: Row, _ db: Database) throws -> IndexRow {
        let seq: Int64 = try value(row, 0)
        let targets = try String.fetchAll(db, sql: "SELECT target FROM evidence_targets WHERE seq = ? ORDER BY target", arguments: [seq])
        return try indexRow(row, targets: targets)
    }

    static func indexRow(_ row: Row, targets: [String]) throws -> IndexRow {
        IndexRow(
            index: try value(row, 0), recordID: try value(row, 1), kind: try value(row, 2), digest: try value(row, 3),
            createdAt: try value(row, 4), status: try optional(row, 5), environment: try optional(row, 6), ring: try optional(row, 7),
            approvalState: try optional(row, 8), executionStatus: try optional(row, 9), version: try optional(row, 10),
            changeRecord: try optional(row, 11), subject: try optional(row, 12), actor: try optional(row, 13), targets: targets)
    }

    // MARK: API tokens

    func addToken(_ token: APIToken) async throws(HallmarkError) -> Bool {
        try await run("add token \(token.name)", write: true) { db in
            try db.execute(
                sql: "INSERT INTO api_tokens (name, role, token_sha256, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [token.name, token.role, token.sha256, token.createdAt])
            return db.changesCount == 1
        }
    }

    func token(sha256: String) async throws(HallmarkError) -> APIToken? {
        try await run("read a token") { db in
            try Row.fetchOne(db, sql: "SELECT name, role, token_sha256, created_at FROM api_tokens WHERE token_sha256 = ?", arguments: [sha256])
                .map { APIToken(name: try Self.value($0, 0), role: try Self.value($0, 1), sha256: try Self.value($0, 2), createdAt: try Self.value($0, 3)) }
        }
    }

    func tokens() async throws(HallmarkError) -> [APIToken] {
        try await run("read tokens") { db in
            try Row.fetchAll(db, sql: "SELECT name, role, token_sha256, created_at FROM api_tokens ORDER BY name").map {
                APIToken(name: try Self.value($0, 0), role: try Self.value($0, 1), sha256: try Self.value($0, 2), createdAt: try Self.value($0, 3))
            }
        }
    }

    func revokeToken(name: String) async throws(HallmarkError) -> Bool {
        try await run("revoke token \(name)", write: true) { db in
            try db.execute(sql: "DELETE FROM api_tokens WHERE name = ?", arguments: [name])
            return db.changesCount == 1
        }
    }

    func replaceIndex(rows: [IndexRow], heads: [StateHead]) async throws(HallmarkError) {
        _ = try await run("rebuild the index", write: true) { db in
            try db.execute(sql: "DELETE FROM evidence_targets")
            try db.execute(sql: "DELETE FROM evidence_index")
            try db.execute(sql: "DELETE FROM state_heads")
            for row in rows { try Self.upsert(row, db) }
            for head in heads {
                try db.execute(sql: "INSERT INTO state_heads (key, digest, seq) VALUES (?, ?, ?)", arguments: [head.key, head.digest, head.index])
            }
            return true
        }
    }

    func insertIndexRows(_ rows: [IndexRow]) async throws(HallmarkError) {
        _ = try await run("insert index rows", write: true) { db in
            let row = try db.cachedStatement(sql: "INSERT INTO evidence_index (\(Schema.indexColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            let target = try db.cachedStatement(sql: "INSERT INTO evidence_targets (target, seq) VALUES (?, ?)")
            for r in rows {
                try row.execute(arguments: [
                    r.index, r.recordID, r.kind, r.digest, r.createdAt, r.status, r.environment, r.ring, r.approvalState, r.executionStatus,
                    r.version, r.changeRecord, r.subject, r.actor,
                ])
                for t in Set(r.targets).sorted() { try target.execute(arguments: [t, r.index]) }
            }
            try db.execute(sql: "ANALYZE")
            return true
        }
    }
}
