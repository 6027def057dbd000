import Foundation

/// The store's schema as versioned migrations, one list of statements per version, for both SQL dialects. A
/// migration is applied once, in its own transaction, and recorded in `hallmark_migrations`; applied migrations
/// are never edited — a change is a new version.
enum Schema {
    enum Dialect { case sqlite, postgres }

    /// The highest version this build knows.
    static var latest: Int { migrations.count }

    /// The statements of migration `version` (1-based) in `dialect`.
    static func statements(_ version: Int, _ dialect: Dialect) -> [String] {
        migrations[version - 1].map { sql in
            switch dialect {
            case .sqlite: sql.replacingOccurrences(of: "BYTES", with: "BLOB").replacingOccurrences(of: "INT64", with: "INTEGER")
            case .postgres: sql.replacingOccurrences(of: "BYTES", with: "BYTEA").replacingOccurrences(of: "INT64", with: "BIGINT")
            }
        }
    }

    static let migrationsTable = """
        CREATE TABLE IF NOT EXISTS hallmark_migrations (version INT64 PRIMARY KEY, name TEXT NOT NULL)
        """

    static let names = [
        "evidence log, checkpoints, state heads and search index", "time-window and target lookup indexes", "API tokens",
    ]

    /// Version 1: the log (the source of truth), its Merkle nodes and checkpoints, the state heads, and the search
    /// index derived from the log.
    static let migrations: [[String]] = [
        [
            "CREATE TABLE hallmark_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE log_head (id INT64 PRIMARY KEY CHECK (id = 1), size INT64 NOT NULL)",
            "INSERT INTO log_head (id, size) VALUES (1, 0)",
            """
            CREATE TABLE log_entries (
                seq INT64 PRIMARY KEY, record_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, body BYTES NOT NULL,
                leaf_hash BYTES NOT NULL)
            """,
            "CREATE TABLE log_nodes (level INT64 NOT NULL, idx INT64 NOT NULL, hash BYTES NOT NULL, PRIMARY KEY (level, idx))",
            "CREATE TABLE log_checkpoints (size INT64 PRIMARY KEY, root_hash BYTES NOT NULL, note TEXT NOT NULL)",
            "CREATE TABLE state_heads (key TEXT PRIMARY KEY, digest TEXT NOT NULL, seq INT64 NOT NULL)",
            """
            CREATE TABLE evidence_index (
                seq INT64 PRIMARY KEY, record_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, digest TEXT NOT NULL,
                created_at INT64 NOT NULL, status TEXT, environment TEXT, ring TEXT, approval_state TEXT,
                execution_status TEXT, version TEXT, change_record TEXT, subject TEXT, actor TEXT)
            """,
            "CREATE TABLE evidence_targets (target TEXT NOT NULL, seq INT64 NOT NULL, PRIMARY KEY (target, seq))",
            "CREATE INDEX evidence_kind ON evidence_index (kind, seq)",
            "CREATE INDEX evidence_status ON evidence_index (status, seq)",
            "CREATE INDEX evidence_environment ON evidence_index (environment, seq)",
            "CREATE INDEX evidence_ring ON evidence_index (ring, seq)",
            "CREATE INDEX evidence_approval ON evidence_index (approval_state, seq)",
            "CREATE INDEX evidence_execution ON evidence_index (execution_status, seq)",
            "CREATE INDEX evidence_version ON evidence_index (version, seq)",
            "CREATE INDEX evidence_change ON evidence_index (change_record, seq)",
            "CREATE INDEX evidence_subject ON evidence_index (subject, seq)",
            "CREATE INDEX evidence_created ON evidence_index (created_at)",
        ],
        // Version 2: searches over a time window filtered by kind or environment read the window, not the kind.
        [
            "CREATE INDEX evidence_kind_time ON evidence_index (kind, created_at)",
            "CREATE INDEX evidence_environment_time ON evidence_index (environment, created_at)",
            "CREATE INDEX evidence_targets_seq ON evidence_targets (seq)",
        ],
        // Version 3: the API's bearer tokens (`hallmark serve token create`), only their SHA-256 kept.
        [
            """
            CREATE TABLE api_tokens (
                name TEXT PRIMARY KEY, role TEXT NOT NULL, token_sha256 TEXT NOT NULL UNIQUE, created_at INT64 NOT NULL)
            """
        ],
    ]

    static let indexColumns =
        "seq, record_id, kind, digest, created_at, status, environment, ring, approval_state, execution_status, version, change_record, subject, actor"

    /// The WHERE clause and its arguments for `query`, with `placeholder(n)` naming the n-th argument (1-based).
    static func whereClause(_ query: EvidenceQuery, placeholder: (Int) -> String) -> (sql: String, arguments: [Argument]) {
        var clauses: [String] = []
        var arguments: [Argument] = []
        func add(_ argument: Argument) -> String {
            arguments.append(argument)
            return placeholder(arguments.count)
        }
        for (column, value) in query.columnFilters { clauses.append("\(column) = \(add(.text(value)))") }
        if let target = query.deploymentTarget {
            clauses.append("seq IN (SELECT seq FROM evidence_targets WHERE target = \(add(.text(target))))")
        }
        if let since = query.since { clauses.append("created_at >= \(add(.int(since)))") }
        if let until = query.until { clauses.append("created_at <= \(add(.int(until)))") }
        if let before = query.before { clauses.append("seq < \(add(.int(before)))") }
        return (clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "), arguments)
    }

    enum Argument: Equatable {
        case text(String)
        case int(Int64)
    }
}
