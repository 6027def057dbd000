import Foundation
import HallmarkCore

/// Where the evidence store lives: `sqlite:PATH` (the embedded default) or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// A PostgreSQL server, user and database (no TLS: loopback and private networks; see DESIGN.md).
    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
    }

    /// Reads a `--store` value. A bare path is taken as `sqlite:PATH`.
    public init(parsing text: String) throws(HallmarkError) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .usage("--store sqlite: names no file; use sqlite:PATH") }
            self = .sqlite(path: path)
            return
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty,
                let user = components.user, !user.isEmpty
            else {
                throw .usage("--store \(Self.redacted(text)): expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")
            }
            let database = String(components.path.drop(while: { $0 == "/" }))
            guard !database.isEmpty, !database.contains("/") else {
                throw .usage("--store \(Self.redacted(text)): name the database, as in postgres://USER@HOST:PORT/DATABASE")
            }
            self = .postgres(PostgresLocation(
                host: host, port: components.port ?? 5432, user: user.removingPercentEncoding ?? user,
                password: components.password?.removingPercentEncoding, database: database))
            return
        }
        guard !text.isEmpty, !text.contains("://") else {
            throw .usage("--store \(Self.redacted(text)): use sqlite:PATH or postgres://USER@HOST:PORT/DATABASE")
        }
        self = .sqlite(path: text)
    }

    /// The location for messages, without a password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let pg): "postgres://\(pg.user)@\(pg.host):\(pg.port)/\(pg.database)"
        }
    }

    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }
}

/// One record in the log: its leaf index, id, kind and bytes (the signed record), and the RFC 6962 leaf hash.
public struct LogEntry: Sendable, Equatable {
    public var index: Int64
    public var recordID: String
    public var kind: String
    public var body: Data
    public var leafHash: Data

    public init(index: Int64, recordID: String, kind: String, body: Data, leafHash: Data) {
        self.index = index
        self.recordID = recordID
        self.kind = kind
        self.body = body
        self.leafHash = leafHash
    }
}

/// A signed checkpoint of the log at `size` (the signed-note text) and the root hash it commits to.
public struct StoredCheckpoint: Sendable, Equatable {
    public var size: Int64
    public var rootHash: Data
    public var note: String

    public init(size: Int64, rootHash: Data, note: String) {
        self.size = size
        self.rootHash = rootHash
        self.note = note
    }
}

/// The latest record of a chain of state transitions (a request and what followed it, a ring's executions).
public struct StateHead: Sendable, Equatable {
    public var key: String
    public var digest: String
    public var index: Int64

    public init(key: String, digest: String, index: Int64) {
        self.key = key
        self.digest = digest
        self.index = index
    }
}

/// Optimistic concurrency: the append happens only if the head of `key` is still `expected` (nil: no head yet), and
/// moves it to `next`.
public struct StateGuard: Sendable, Equatable {
    public var key: String
    public var expected: String?
    public var next: String

    public init(key: String, expected: String?, next: String) {
        self.key = key
        self.expected = expected
        self.next = next
    }
}

/// A row of the search index (derived from the log; `store rebuild` recomputes every row).
public struct IndexRow: Sendable, Equatable, Codable {
    public var index: Int64
    public var recordID: String
    public var kind: String
    public var digest: String
    public var createdAt: Int64
    public var status: String?
    public var environment: String?
    public var ring: String?
    public var approvalState: String?
    public var executionStatus: String?
    public var version: String?
    public var changeRecord: String?
    /// The record this one acts on (the rollout of a request, the request of an approval…).
    public var subject: String?
    public var actor: String?
    public var targets: [String]

    public init(
        index: Int64, recordID: String, kind: String, digest: String, createdAt: Int64, status: String? = nil,
        environment: String? = nil, ring: String? = nil, approvalState: String? = nil, executionStatus: String? = nil,
        version: String? = nil, changeRecord: String? = nil, subject: String? = nil, actor: String? = nil, targets: [String] = []
    ) {
        self.index = index
        self.recordID = recordID
        self.kind = kind
        self.digest = digest
        self.createdAt = createdAt
        self.status = status
        self.environment = environment
        self.ring = ring
        self.approvalState = approvalState
        self.executionStatus = executionStatus
        self.version = version
        self.changeRecord = changeRecord
        self.subject = subject
        self.actor = actor
        self.targets = targets
    }
}

/// A new leaf with everything that must change with it, in one transaction: the Merkle nodes it completes, the
/// checkpoint of the new size, its index row (and updated rows of the records it changes), and state guards.
public struct LogAppend: Sendable {
    public var entry: LogEntry
    public var nodes: [MerkleNodeID: Data]
    public var checkpoint: StoredCheckpoint
    public var rows: [IndexRow]
    public var guards: [StateGuard]

    public init(entry: LogEntry, nodes: [MerkleNodeID: Data], checkpoint: StoredCheckpoint, rows: [IndexRow], guards: [StateGuard]) {
        self.entry = entry
        self.nodes = nodes
        self.checkpoint = checkpoint
        self.rows = rows
        self.guards = guards
    }
}

/// What became of an append.
public enum AppendOutcome: Sendable, Equatable {
    case appended
    /// Another writer appended first: the log is no longer at the size the append was planned for.
    case logMoved
    /// A state guard's head moved (another writer changed that state first); nothing was written.
    case guardFailed(key: String)
    /// A record with this id is already in the log; nothing was written.
    case duplicateRecord
}

/// Search filters; nil means any. Results are newest first.
public struct EvidenceQuery: Sendable, Equatable {
    public var kind: String?
    public var status: String?
    public var environment: String?
    public var deploymentTarget: String?
    public var ring: String?
    public var approvalState: String?
    public var executionStatus: String?
    public var version: String?
    public var changeRecord: String?
    public var subject: String?
    public var since: Int64?
    public var until: Int64?
    /// Only rows before this log index (a cursor: the last index of the previous page).
    public var before: Int64?
    public var limit: Int

    public init(
        kind: String? = nil, status: String? = nil, environment: String? = nil, deploymentTarget: String? = nil,
        ring: String? = nil, approvalState: String? = nil, executionStatus: String? = nil, version: String? = nil,
        changeRecord: String? = nil, subject: String? = nil, since: Int64? = nil, until: Int64? = nil, before: Int64? = nil,
        limit: Int = 50
    ) {
        self.kind = kind
        self.status = status
        self.environment = environment
        self.deploymentTarget = deploymentTarget
        self.ring = ring
        self.approvalState = approvalState
        self.executionStatus = executionStatus
        self.version = version
        self.changeRecord = changeRecord
        self.subject = subject
        self.since = since
        self.until = until
        self.before = before
        self.limit = limit
    }

    /// The equality filters as (column, value) pairs, in a fixed order.
    var columnFilters: [(String, String)] {
        [
            ("kind", kind), ("status", status), ("environment", environment), ("ring", ring),
            ("approval_state", approvalState), ("execution_status", executionStatus), ("version", version),
            ("change_record", changeRecord), ("subject", subject),
        ].compactMap { column, value in value.map { (column, $0) } }
    }
}

/// The evidence store: an append-only log of signed records (with its Merkle nodes and checkpoints), state heads
/// for optimistic concurrency, and a search index derived from the log. SQLite and PostgreSQL implement it alike;
/// one conformance suite tests both.
public protocol EvidenceStore: Sendable {
    var location: StoreLocation { get }
    /// Applies the migrations not yet applied, in order, each in its own transaction; returns their versions.
    func migrate() async throws(HallmarkError) -> [Int]
    /// The highest applied migration (0 for an empty database).
    func schemaVersion() async throws(HallmarkError) -> Int
    func meta(_ key: String) async throws(HallmarkError) -> String?
    /// Sets `key` unless it is set; returns the value stored.
    func setMetaIfAbsent(_ key: String, _ value: String) async throws(HallmarkError) -> String
    func logSize() async throws(HallmarkError) -> Int64
    func nodes(_ ids: Set<MerkleNodeID>) async throws(HallmarkError) -> [MerkleNodeID: Data]
    /// The log's size and the nodes `needed` names for that size, read together (one read for an append's plan).
    func sizeAndNodes(_ needed: @escaping @Sendable (Int64) -> Set<MerkleNodeID>) async throws(HallmarkError) -> (Int64, [MerkleNodeID: Data])
    func append(_ append: LogAppend) async throws(HallmarkError) -> AppendOutcome
    /// Up to `count` entries from leaf `index` on, in order.
    func entries(from index: Int64, count: Int) async throws(HallmarkError) -> [LogEntry]
    func entry(recordID: String) async throws(HallmarkError) -> LogEntry?
    func checkpoint(size: Int64) async throws(HallmarkError) -> StoredCheckpoint?
    /// Up to `count` checkpoints from size `size` on, in order.
    func checkpoints(from size: Int64, count: Int) async throws(HallmarkError) -> [StoredCheckpoint]
    func head(_ key: String) async throws(HallmarkError) -> StateHead?
    /// Every state head (for `audit verify`, which compares them with the log's).
    func allHeads() async throws(HallmarkError) -> [StateHead]
    func search(_ query: EvidenceQuery) async throws(HallmarkError) -> [IndexRow]
    func indexRow(recordID: String) async throws(HallmarkError) -> IndexRow?
    /// Replaces the whole search index and every state head (`store rebuild`), in one transaction.
    func replaceIndex(rows: [IndexRow], heads: [StateHead]) async throws(HallmarkError)
    /// Adds index rows in bulk, in one transaction (`store bench` fills a scratch store's index this way).
    func insertIndexRows(_ rows: [IndexRow]) async throws(HallmarkError)
    /// Adds an API token; false when one with that name exists (nothing is changed).
    func addToken(_ token: APIToken) async throws(HallmarkError) -> Bool
    /// The token whose SHA-256 is `sha256` (hex), if any.
    func token(sha256: String) async throws(HallmarkError) -> APIToken?
    /// Every token, by name.
    func tokens() async throws(HallmarkError) -> [APIToken]
    /// Removes the token named `name`; false when there is none.
    func revokeToken(name: String) async throws(HallmarkError) -> Bool
    func close() async
}

/// A bearer token of the API, as stored: its name, role and the SHA-256 of its secret (never the secret).
public struct APIToken: Sendable, Equatable, Codable {
    public var name: String
    public var role: String
    public var sha256: String
    public var createdAt: Int64

    public init(name: String, role: String, sha256: String, createdAt: Int64) {
        self.name = name
        self.role = role
        self.sha256 = sha256
        self.createdAt = createdAt
    }
}

/// Opens the store at `location` (creating an SQLite file's directory as needed). Nothing is migrated.
/// `connections` is how many PostgreSQL connections to keep (a server's concurrent operations; SQLite's pool
/// sizes itself).
public func openEvidenceStore(_ location: StoreLocation, connections: Int = 1) async throws(HallmarkError) -> any EvidenceStore {
    switch location {
    case .sqlite(let path): return try SQLiteEvidenceStore(path: path)
    case .postgres(let pg): return try await PostgresEvidenceStore.connect(pg, connections: connections)
    }
}

extension HallmarkError.Code {
    /// The evidence store could not be reached, was locked, or refused a statement.
    public static let store = HallmarkError.Code(rawValue: "store")
}

extension HallmarkError {
    public static func store(_ message: String) -> HallmarkError { .init(.store, message) }
}

/// The store schema this build writes.
public enum EvidenceSchema {
    /// The highest migration version this build knows.
    public static var latest: Int { Schema.latest }
}
