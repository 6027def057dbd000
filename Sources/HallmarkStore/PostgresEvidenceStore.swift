import Foundation
import HallmarkCore
import PostgresNIO

/// The shared store: PostgreSQL over a few connections per store (one for a command, more for a server), each
/// running one operation at a time; appends in a transaction whose first statement (a guarded UPDATE of the
/// single `log_head` row) serializes every writer of the log across processes and hosts.
final class PostgresEvidenceStore: EvidenceStore {
    let location: StoreLocation
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    let pool: ConnectionPool

    private init(location: StoreLocation, configuration: PostgresConnection.Configuration, connections: [PostgresConnection], logger: Logger) {
        self.location = location
        self.configuration = configuration
        self.logger = logger
        self.pool = ConnectionPool(connections)
    }

    static func connect(_ pg: StoreLocation.PostgresLocation, connections count: Int = 1) async throws(HallmarkError) -> PostgresEvidenceStore {
        let location = StoreLocation.postgres(pg)
        var configuration = PostgresConnection.Configuration(
            host: pg.host, port: pg.port, username: pg.user, password: pg.password, database: pg.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        var logger = Logger(label: "hallmark.store.postgres")
        logger.logLevel = .critical
        var connections: [PostgresConnection] = []
        do {
            for id in 1...max(1, min(count, 64)) {
                connections.append(try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger))
            }
            return PostgresEvidenceStore(location: location, configuration: configuration, connections: connections, logger: logger)
        } catch {
            for connection in connections { try? await connection.close() }
            throw failure(error, location: location, doing: "connect")
        }
    }

    static func failure(_ error: any Error, location: StoreLocation, doing: String) -> HallmarkError {
        if let error = error as? HallmarkError { return error }
        if let error = error as? PostgresTransactionError {
            return failure(error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError ?? error, location: location, doing: doing)
        }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return .store("\(location): cannot \(doing): \(message)\(state)")
            }
            return .store("\(location): cannot \(doing): the server is unreachable or closed the connection (\(error.code)); check that PostgreSQL is running")
        }
        return .store("\(location): cannot \(doing): \(error); check that PostgreSQL is running and reachable")
    }

    /// Runs `body` alone on a free connection (operations on one connection never interleave), mapping errors to
    /// one-line store errors.
    func run<T: Sendable>(_ doing: String, _ body: @Sendable (PostgresConnection) async throws -> T) async throws(HallmarkError) -> T {
        let (slot, held) = await pool.acquire()
        do {
            var connection = held
            // A connection the server closed (a restart, a failover) is opened again for the next operation.
            if connection.isClosed {
                connection = try await PostgresConnection.connect(configuration: configuration, id: slot + 1, logger: logger)
                await pool.replace(slot, connection)
            }
            let value = try await body(connection)
            await pool.release(slot)
            return value
        } catch {
            await pool.release(slot)
            throw Self.failure(error, location: location, doing: doing)
        }
    }

    /// Runs `body` in a transaction: COMMIT when it returns true, ROLLBACK when it returns false or throws.
    func transaction<T: Sendable>(
        _ doing: String, _ body: @Sendable (PostgresConnection) async throws -> (commit: Bool, value: T)
    ) async throws(HallmarkError) -> T {
        let logger = logger
        return try await run(doing) { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let (commit, value) = try await body(connection)
                try await connection.query(commit ? "COMMIT" : "ROLLBACK", logger: logger)
                return value
            } catch {
                try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    func close() async {
        for connection in await pool.all { try? await connection.close() }
    }

    func query(_ connection: PostgresConnection, _ sql: String, _ values: [Schema.Argument?] = []) async throws -> PostgresRowSequence {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let text): binds.append(text)
            case .int(let int): binds.append(int)
            case nil: binds.appendNull()
            }
        }
        return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }

    func query(_ connection: PostgresConnection, _ sql: String, binds: PostgresBindings) async throws -> PostgresRowSequence {
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }

    // MARK: Migrations and meta

    func migrate() async throws(HallmarkError) -> [Int] {
        try await transaction("migrate") { connection in
            // One migrator at a time, across processes.
            try await self.query(connection, "SELECT pg_advisory_xact_lock(7217001)")
            try await self.query(connection, Schema.migrationsTable.replacingOccurrences(of: "INT64", with: "BIGINT"))
            var applied = 0
            for try await (version) in try await self.query(connection, "SELECT COALESCE(MAX(version), 0)::BIGINT FROM hallmark_migrations").decode(Int64.self) {
                applied = Int(version)
            }
            guard applied <= Schema.latest else {
                throw HallmarkError.store("schema version \(applied) is newer than this hallmark knows (\(Schema.latest)); upgrade hallmark")
            }
            var done: [Int] = []
            for version in (applied + 1)..<(Schema.latest + 1) {
                for sql in Schema.statements(version, .postgres) { try await self.query(connection, sql) }
                try await self.query(
                    connection, "INSERT INTO hallmark_migrations (version, name) VALUES ($1, $2)",
                    [.int(Int64(version)), .text(Schema.names[version - 1])])
                done.append(version)
            }
            return (true, done)
        }
    }

    func schemaVersion() async throws(HallmarkError) -> Int {
        try await run("read the schema version") { connection in
            var exists = false
            for try await name in try await self.query(connection, "SELECT to_regclass('hallmark_migrations')::TEXT").decode(String?.self) {
                exists = name != nil
            }
            guard exists else { return 0 }
            var version: Int64 = 0
            for try await value in try await self.query(connection, "SELECT COALESCE(MAX(version), 0)::BIGINT FROM hallmark_migrations").decode(Int64.self) {
                version = value
            }
            return Int(version)
        }
    }

    func meta(_ key: String) async throws(HallmarkError) -> String? {
        try await run("read \(key)") { connection in
            var value: String?
            for try await text in try await self.query(connection, "SELECT value FROM hallmark_meta WHERE key = $1", [.text(key)]).decode(String.self) {
                value = text
            }
            return value
        }
    }

    func setMetaIfAbsent(_ key: String, _ value: String) async throws(HallmarkError) -> String {
        try await transaction("write \(key)") { connection in
            try await self.query(
                connection, "INSERT INTO hallmark_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [.text(key), .text(value)])
            var stored = value
            for try await text in try await self.query(connection, "SELECT value FROM hallmark_meta WHERE key = $1", [.text(key)]).decode(String.self) {
                stored = text
            }
            return (true, stored)
        }
    }

    // MARK: The log

    func logSize() async throws(HallmarkError) -> Int64 {
        try await run("read the log size") { connection in
            var size: Int64 = 0
            for try await value in try await self.query(connection, "SELECT size FROM log_head WHERE id = 1").decode(Int64.self) { size = value }
            return size
        }
    }

    func nodes(_ ids: Set<MerkleNodeID>) async throws(HallmarkError) -> [MerkleNodeID: Data] {
        guard !ids.isEmpty else { return [:] }
        let sorted = ids.sorted()
        return try await run("read Merkle nodes") { connection in
            var binds = PostgresBindings()
            try binds.append(sorted.map { Int64($0.level) })
            try binds.append(sorted.map(\.index))
            let rows = try await self.query(
                connection,
                "SELECT n.level, n.idx, n.hash FROM log_nodes n JOIN unnest($1::BIGINT[], $2::BIGINT[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx",
                binds: binds)
            var result: [MerkleNodeID: Data] = [:]
            for try await (level, index, hash) in rows.decode((Int64, Int64, Data).self) {
                result[MerkleNodeID(level: Int(level), index: index)] = hash
            }
            return result
        }
    }

    func sizeAndNodes(_ needed: @escaping @Sendable (Int64) -> Set<MerkleNodeID>) async throws(HallmarkError) -> (Int64, [MerkleNodeID: Data]) {
        let size = try await logSize()
        guard size >= 0, size < 1 << 48 else { return (size, [:]) }
        return (size, try await nodes(needed(size)))
    }

    func append(_ append: LogAppend) async throws(HallmarkError) -> AppendOutcome {
        try await transaction("append \(append.entry.recordID)") { connection in
            let outcome = try await self.apply(append, connection)
            return (outcome == .appended, outcome)
        }
    }

    func changed(_ rows: PostgresRowSequence) async throws -> Bool {
        var any = false
        for try await _ in rows { any = true }
        return any
    }

    func apply(_ append: LogAppend, _ connection: PostgresConnection) async throws -> AppendOutcome {
        let entry = append.entry
        guard try await changed(self.query(
            connection, "UPDATE log_head SET size = size + 1 WHERE id = 1 AND size = $1 RETURNING size", [.int(entry.index)]))
        else { return .logMoved }
        if try await changed(self.query(connection, "SELECT 1 FROM log_entries WHERE record_id = $1", [.text(entry.recordID)])) {
            return .duplicateRecord
        }
        for stateGuard in append.guards {
            let moved: Bool
            if let expected = stateGuard.expected {
                moved = try await changed(self.query(
                    connection, "UPDATE state_heads SET digest = $1, seq = $2 WHERE key = $3 AND digest = $4 RETURNING key",
                    [.text(stateGuard.next), .int(entry.index), .text(stateGuard.key), .text(expected)]))
            } else {
                moved = try await changed(self.query(
                    connection, "INSERT INTO state_heads (key, digest, seq) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING key",
                    [.text(stateGuard.key), .text(stateGuard.next), .int(entry.index)]))
            }
            guard moved else { return .guardFailed(key: stateGuard.key) }
        }
        var binds = PostgresBindings()
        binds.append(entry.index)
        binds.append(entry.recordID)
        binds.append(entry.kind)
        try binds.append(entry.body)
        try binds.append(entry.leafHash)
        try await query(connection, "INSERT INTO log_entries (seq, record_id, kind, body, leaf_hash) VALUES ($1, $2, $3, $4, $5)", binds: binds)
        for (id, hash) in append.nodes.sorted(by: { $0.key < $1.key }) {
            var nodeBinds = PostgresBindings()
            nodeBinds.append(Int64(id.level))
            nodeBinds.append(id.index)
            try nodeBinds.append(hash)
            try await query(connection, "INSERT INTO log_nodes (level, idx, hash) VALUES ($1, $2, $3)", binds: nodeBinds)
        }
        var checkpointBinds = PostgresBindings()
        checkpointBinds.append(append.checkpoint.size)
        try checkpointBinds.append(append.checkpoint.rootHash)
        checkpointBinds.append(append.checkpoint.note)
        try await query(connection, "INSERT INTO log_checkpoints (size, root_hash, note) VALUES ($1, $2, $3)", binds: checkpointBinds)
        for row in append.rows { try await upsert(row, connection) }
        return .appended
    }

    func upsert(_ row: IndexRow, _ connection: PostgresConnection) async throws {
        let values: [Schema.Argument?] = [
            .int(row.index), .text(row.recordID), .text(row.kind), .text(row.digest), .int(row.createdAt), row.status.map(Schema.Argument.text),
            row.environment.map(Schema.Argument.text), row.ring.map(Schema.Argument.text), row.approvalState.map(Schema.Argument.text),
            row.executionStatus.map(Schema.Argument.text), row.version.map(Schema.Argument.text), row.changeRecord.map(Schema.Argument.text),
            row.subject.map(Schema.Argument.text), row.actor.map(Schema.Argument.text),
        ]
        try await query(
            connection,
            """
            INSERT INTO evidence_index (\(Schema.indexColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (seq) DO UPDATE SET status = excluded.status, environment = excluded.environment,
            ring = excluded.ring, approval_state = excluded.approval_state, execution_status = excluded.execution_status,
            version = excluded.version, change_record = excluded.change_record, subject = excluded.subject, actor = excluded.actor
            """, values)
        try await query(connection, "DELETE FROM evidence_targets WHERE seq = $1", [.int(row.index)])
        let targets = Set(row.targets).sorted()
        if !targets.isEmpty {
            var binds = PostgresBindings()
            try binds.append(targets)
            binds.append(row.index)
            try await query(connection, "INSERT INTO evidence_targets (target, seq) SELECT t, $2 FROM unnest($1::TEXT[]) AS t", binds: binds)
        }
    }

    func entries(from index: Int64, count: Int) async throws(HallmarkError) -> [LogEntry] {
        try await run("read the log") { connection in
            var result: [LogEntry] = []
            let rows = try await self.query(
                connection, "SELECT seq, record_id, kind, body, leaf_hash FROM log_entries WHERE seq >= $1 ORDER BY seq LIMIT $2",
                [.int(index), .int(Int64(count))])
            for try await (seq, id, kind, body, leaf) in rows.decode((Int64, String, String, Data, Data).self) {
                result.append(LogEntry(index: seq, recordID: id, kind: kind, body: body, leafHash: leaf))
            }
            return result
        }
    }

    func entry(recordID: String) async throws(HallmarkError) -> LogEntry? {
        try await run("read \(recordID)") { connection in
            var result: LogEntry?
            let rows = try await self.query(
                connection, "SELECT seq, record_id, kind, body, leaf_hash FROM log_entries WHERE record_id = $1", [.text(recordID)])
            for try await (seq, id, kind, body, leaf) in rows.decode((Int64, String, String, Data, Data).self) {
                result = LogEntry(index: seq, recordID: id, kind: kind, body: body, leafHash: leaf)
            }
            return result
        }
    }

    func checkpoint(size: Int64) async throws(HallmarkError) -> StoredCheckpoint? {
        try await checkpoints(from: size, count: 1).first { $0.size == size }
    }

    func checkpoints(from size: Int64, count: Int) async throws(HallmarkError) -> [StoredCheckpoint] {
        try await run("read checkpoints") { connection in
            var result: [StoredCheckpoint] = []
            let rows = try await self.query(
                connection, "SELECT size, root_hash, note FROM log_checkpoints WHERE size >= $1 ORDER BY size LIMIT $2",
                [.int(size), .int(Int64(count))])
            for try await (size, root, note) in rows.decode((Int64, Data, String).self) {
                result.append(StoredCheckpoint(size: size, rootHash: root, note: note))
            }
            return result
        }
    }

    func head(_ key: String) async throws(HallmarkError) -> StateHead? {
        try await run("read a state head") { connection in
            var result: StateHead?
            for try await (key, digest, seq) in try await self.query(
                connection, "SELECT key, digest, seq FROM state_heads WHERE key = $1", [.text(key)]
            ).decode((String, String, Int64).self) {
                result = StateHead(key: key, digest: digest, index: seq)
            }
            return result
        }
    }

    func allHeads() async throws(HallmarkError) -> [StateHead] {
        try await run("read the state heads") { connection in
            var result: [StateHead] = []
            for try await (key, digest, seq) in try await self.query(connection, "SELECT key, digest, seq FROM state_heads ORDER BY key")
                .decode((String, String, Int64).self)
            {
                result.append(StateHead(key: key, digest: digest, index: seq))
            }
            return result
        }
    }

    // MARK: Search

    func search(_ query: EvidenceQuery) async throws(HallmarkError) -> [IndexRow] {
        let (clause, arguments) = Schema.whereClause(query) { "$\($0)" }
        let sql = """
            SELECT \(Schema.indexColumns), ARRAY(SELECT target FROM evidence_targets t WHERE t.seq = e.seq ORDER BY target)
            FROM evidence_index e \(clause) ORDER BY seq DESC LIMIT \(max(0, query.limit))
            """
        return try await run("search") { connection in
            try await self.indexRows(self.query(connection, sql, arguments))
        }
    }

    func indexRows(_ rows: PostgresRowSequence) async throws -> [IndexRow] {
        var result: [IndexRow] = []
        for try await row in rows {
            let (seq, id, kind, digest, created, status, environment, ring, approval, execution, version, change, subject, actor, targets) =
                try row.decode(
                    (Int64, String, String, String, Int64, String?, String?, String?, String?, String?, String?, String?, String?, String?, [String]).self)
            result.append(IndexRow(
                index: seq, recordID: id, kind: kind, digest: digest, createdAt: created, status: status, environment: environment,
                ring: ring, approvalState: approval, executionStatus: execution, version: version, changeRecord: change,
                subject: subject, actor: actor, targets: targets))
        }
        return result
    }

    func indexRow(recordID: String) async throws(HallmarkError) -> IndexRow? {
        let sql = """
            SELECT \(Schema.indexColumns), ARRAY(SELECT target FROM evidence_targets t WHERE t.seq = e.seq ORDER BY target)
            FROM evidence_index e WHERE record_id = $1
            """
        return try await run("read \(recordID)") { connection in
            try await self.indexRows(self.query(connection, sql, [.text(recordID)])).first
        }
    }

    // MARK: API tokens

    func addToken(_ token: APIToken) async throws(HallmarkError) -> Bool {
        try await transaction("add token \(token.name)") { connection in
            var added = false
            for try await _ in try await self.query(
                connection,
                "INSERT INTO api_tokens (name, role, token_sha256, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING name",
                [.text(token.name), .text(token.role), .text(token.sha256), .int(token.createdAt)])
            {
                added = true
            }
            return (true, added)
        }
    }

    func token(sha256: String) async throws(HallmarkError) -> APIToken? {
        try await run("read a token") { connection in
            try await self.tokens(self.query(
                connection, "SELECT name, role, token_sha256, created_at FROM api_tokens WHERE token_sha256 = $1", [.text(sha256)])).first
        }
    }

    func tokens() async throws(HallmarkError) -> [APIToken] {
        try await run("read tokens") { connection in
            try await self.tokens(self.query(connection, "SELECT name, role, token_sha256, created_at FROM api_tokens ORDER BY name"))
        }
    }

    func tokens(_ rows: PostgresRowSequence) async throws -> [APIToken] {
        var result: [APIToken] = []
        for try await (name, role, sha256, created) in rows.decode((String, String, String, Int64).self) {
            result.append(APIToken(name: name, role: role, sha256: sha256, createdAt: created))
        }
        return result
    }

    func revokeToken(name: String) async throws(HallmarkError) -> Bool {
        try await transaction("revoke token \(name)") { connection in
            var removed = false
            for try await _ in try await self.query(connection, "DELETE FROM api_tokens WHERE name = $1 RETURNING name", [.text(name)]) {
                removed = true
            }
            return (true, removed)
        }
    }

    func replaceIndex(rows: [IndexRow], heads: [StateHead]) async throws(HallmarkError) {
        _ = try await transaction("rebuild the index") { connection in
            try await self.query(connection, "SELECT pg_advisory_xact_lock(7217002)")
            try await self.query(connection, "LOCK TABLE log_head IN EXCLUSIVE MODE")
            try await self.query(connection, "DELETE FROM evidence_targets")
            try await self.query(connection, "DELETE FROM evidence_index")
            try await self.query(connection, "DELETE FROM state_heads")
            for row in rows { try await self.upsert(row, connection) }
            for head in heads {
                try await self.query(
                    connection, "INSERT INTO state_heads (key, digest, seq) VALUES ($1, $2, $3)",
                    [.text(head.key), .text(head.digest), .int(head.index)])
            }
            return (true, true)
        }
    }
}

extension PostgresEvidenceStore {
    func insertIndexRows(_ rows: [IndexRow]) async throws(HallmarkError) {
        _ = try await transaction("insert index rows") { connection in
            var start = 0
            while start < rows.count {
                let batch = Array(rows[start..<min(rows.count, start + 5_000)])
                start += batch.count
                var binds = PostgresBindings()
                try binds.append(batch.map(\.index))
                try binds.append(batch.map(\.recordID))
                try binds.append(batch.map(\.kind))
                try binds.append(batch.map(\.digest))
                try binds.append(batch.map(\.createdAt))
                for column in [\IndexRow.status, \.environment, \.ring, \.approvalState, \.executionStatus, \.version, \.changeRecord, \.subject, \.actor] {
                    try binds.append(batch.map { $0[keyPath: column] ?? "" })
                }
                try await self.query(
                    connection,
                    """
                    INSERT INTO evidence_index (\(Schema.indexColumns)) SELECT s, r, k, d, c, NULLIF(a, ''), NULLIF(b, ''), NULLIF(e, ''),
                    NULLIF(f, ''), NULLIF(g, ''), NULLIF(h, ''), NULLIF(i, ''), NULLIF(j, ''), NULLIF(l, '')
                    FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::TEXT[], $7::TEXT[], $8::TEXT[],
                    $9::TEXT[], $10::TEXT[], $11::TEXT[], $12::TEXT[], $13::TEXT[], $14::TEXT[]) AS u(s, r, k, d, c, a, b, e, f, g, h, i, j, l)
                    """, binds: binds)
                let pairs = batch.flatMap { row in Set(row.targets).sorted().map { ($0, row.index) } }
                var targetBinds = PostgresBindings()
                try targetBinds.append(pairs.map(\.0))
                try targetBinds.append(pairs.map(\.1))
                try await self.query(connection, "INSERT INTO evidence_targets (target, seq) SELECT * FROM unnest($1::TEXT[], $2::BIGINT[])", binds: targetBinds)
            }
            try await self.query(connection, "ANALYZE evidence_index")
            try await self.query(connection, "ANALYZE evidence_targets")
            return (true, true)
        }
    }
}

/// An async mutual-exclusion lock: waiters are resumed one at a time, in order, without ever unlocking between.
actor ConnectionPool {
    private var connections: [PostgresConnection]
    private var free: [Int]
    private var waiters: [CheckedContinuation<Int, Never>] = []

    init(_ connections: [PostgresConnection]) {
        self.connections = connections
        free = Array((0..<connections.count).reversed())
    }

    var all: [PostgresConnection] { connections }

    /// A free connection and its slot, waiting (in order) for one when all are busy.
    func acquire() async -> (Int, PostgresConnection) {
        let slot: Int
        if let next = free.popLast() {
            slot = next
        } else {
            slot = await withCheckedContinuation { waiters.append($0) }
        }
        return (slot, connections[slot])
    }

    /// Puts a reopened connection in `slot` (held by the caller).
    func replace(_ slot: Int, _ connection: PostgresConnection) { connections[slot] = connection }

    func release(_ slot: Int) {
        if waiters.isEmpty {
            free.append(slot)
        } else {
            waiters.removeFirst().resume(returning: slot)
        }
    }
}
