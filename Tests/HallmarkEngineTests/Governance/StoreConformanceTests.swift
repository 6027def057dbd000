import Foundation
import HallmarkCore
import HallmarkStore
import HallmarkTestSupport
import Testing

/// One conformance suite for every backend of the evidence store: the same calls, the same answers, on SQLite
/// (a file in a temporary directory) and on PostgreSQL (a database on a throw-away cluster).
@Suite("Evidence store conformance (SQLite and PostgreSQL)")
struct StoreConformanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case sqlite, postgres
        var testDescription: String { rawValue }

        func open() async throws -> (any EvidenceStore, TemporaryDirectory) {
            let directory = try TemporaryDirectory("store")
            let location: StoreLocation
            switch self {
            case .sqlite: location = .sqlite(path: directory.url("db/evidence.db"))
            case .postgres: location = try StoreLocation(parsing: try PostgresFixture.database())
            }
            let store = try await openEvidenceStore(location)
            return (store, directory)
        }
    }

    static func append(_ index: Int64, id: String? = nil, kind: String = "rollout", row: IndexRow? = nil, guards: [StateGuard] = []) -> LogAppend {
        let recordID = id ?? "ro-\(index)"
        let body = Data("record \(recordID)".utf8)
        return LogAppend(
            entry: LogEntry(index: index, recordID: recordID, kind: kind, body: body, leafHash: Data(repeating: UInt8(index & 0xFF), count: 32)),
            nodes: [MerkleNodeID(level: 0, index: index): Data(repeating: UInt8(index & 0xFF), count: 32)],
            checkpoint: StoredCheckpoint(size: index + 1, rootHash: Data(repeating: 1, count: 32), note: "note \(index + 1)\n"),
            rows: [row ?? IndexRow(index: index, recordID: recordID, kind: kind, digest: "d\(index)", createdAt: 1_000 + index)],
            guards: guards)
    }

    @Test("Migrations apply once, in order, and the version is recorded", arguments: Backend.allCases)
    func migrations(backend: Backend) async throws {
        let (store, directory) = try await backend.open()
        _ = directory
        #expect(try await store.schemaVersion() == 0)
        #expect(try await store.migrate() == [1, 2, 3])
        #expect(try await store.migrate() == [])
        #expect(try await store.schemaVersion() == EvidenceSchema.latest)
        #expect(try await store.meta("x") == nil)
        #expect(try await store.setMetaIfAbsent("x", "first") == "first")
        #expect(try await store.setMetaIfAbsent("x", "second") == "first")
        await store.close()
    }

    @Test("Appends are guarded by the log size, record ids and state heads; a refused append writes nothing", arguments: Backend.allCases)
    func guardedAppends(backend: Backend) async throws {
        let (store, directory) = try await backend.open()
        _ = directory
        _ = try await store.migrate()
        #expect(try await store.append(Self.append(0, guards: [StateGuard(key: "k", expected: nil, next: "a")])) == .appended)
        #expect(try await store.append(Self.append(0, id: "ro-x")) == .logMoved)
        #expect(try await store.append(Self.append(1, id: "ro-0")) == .duplicateRecord)
        #expect(try await store.append(Self.append(1, guards: [StateGuard(key: "k", expected: nil, next: "b")])) == .guardFailed(key: "k"))
        #expect(try await store.append(Self.append(1, guards: [StateGuard(key: "k", expected: "zzz", next: "b")])) == .guardFailed(key: "k"))
        #expect(try await store.logSize() == 1)
        #expect(try await store.head("k") == StateHead(key: "k", digest: "a", index: 0))
        #expect(try await store.append(Self.append(1, guards: [StateGuard(key: "k", expected: "a", next: "b")])) == .appended)
        #expect(try await store.head("k")?.digest == "b")
        #expect(try await store.logSize() == 2)
        let entries = try await store.entries(from: 0, count: 10)
        #expect(entries.map(\.recordID) == ["ro-0", "ro-1"])
        #expect(entries[1].body == Data("record ro-1".utf8))
        #expect(try await store.entry(recordID: "ro-1")?.index == 1)
        #expect(try await store.entry(recordID: "nope") == nil)
        #expect(try await store.checkpoint(size: 2)?.note == "note 2\n")
        #expect(try await store.checkpoints(from: 1, count: 5).map(\.size) == [1, 2])
        let nodes = try await store.nodes([MerkleNodeID(level: 0, index: 1), MerkleNodeID(level: 3, index: 0)])
        #expect(nodes.keys.sorted() == [MerkleNodeID(level: 0, index: 1)])
        await store.close()
    }

    @Test("Search combines every filter, newest first, with a limit and a cursor", arguments: Backend.allCases)
    func search(backend: Backend) async throws {
        let (store, directory) = try await backend.open()
        _ = directory
        _ = try await store.migrate()
        for index in Int64(0)..<12 {
            let row = IndexRow(
                index: index, recordID: "pr-\(index)", kind: index % 2 == 0 ? "promotion-request" : "rollout", digest: "d\(index)",
                createdAt: 1_000 + index, status: index % 3 == 0 ? "approved" : "pending", environment: index < 6 ? "prod" : "dev",
                ring: "canary", approvalState: "pending", executionStatus: nil, version: "v1.\(index % 2)", changeRecord: "CHG-\(index % 4)",
                subject: "ro-1", actor: "key", targets: index % 4 == 0 ? ["runner-a", "ws-b"] : ["ws-b"])
            #expect(try await store.append(Self.append(index, id: row.recordID, row: row)) == .appended)
        }
        let combined = try await store.search(EvidenceQuery(kind: "promotion-request", status: "approved", environment: "prod"))
        #expect(combined.map(\.recordID) == ["pr-0"])
        let byTarget = try await store.search(EvidenceQuery(deploymentTarget: "runner-a"))
        #expect(byTarget.map(\.recordID) == ["pr-8", "pr-4", "pr-0"])
        #expect(byTarget.first?.targets == ["runner-a", "ws-b"])
        let window = try await store.search(EvidenceQuery(since: 1_003, until: 1_005))
        #expect(window.map(\.recordID) == ["pr-5", "pr-4", "pr-3"])
        let page = try await store.search(EvidenceQuery(changeRecord: "CHG-1", limit: 2))
        #expect(page.map(\.recordID) == ["pr-9", "pr-5"])
        let next = try await store.search(EvidenceQuery(changeRecord: "CHG-1", before: page.last!.index, limit: 2))
        #expect(next.map(\.recordID) == ["pr-1"])
        #expect(try await store.search(EvidenceQuery(ring: "canary", version: "v1.1")).count == 6)
        #expect(try await store.search(EvidenceQuery(kind: "rollback-execution")).isEmpty)
        #expect(try await store.indexRow(recordID: "pr-4")?.targets == ["runner-a", "ws-b"])
        var updated = try #require(try await store.indexRow(recordID: "pr-2"))
        updated.approvalState = "approved"
        try await store.replaceIndex(rows: [updated], heads: [StateHead(key: "h", digest: "x", index: 2)])
        #expect(try await store.search(EvidenceQuery()).map(\.recordID) == ["pr-2"])
        #expect(try await store.search(EvidenceQuery(approvalState: "approved")).count == 1)
        #expect(try await store.head("h")?.digest == "x")
        await store.close()
    }

    @Test("50 writers racing on one state guard: exactly one append, nothing lost or doubled", arguments: Backend.allCases)
    func racingWriters(backend: Backend) async throws {
        let (store, directory) = try await backend.open()
        _ = try await store.migrate()
        let location = store.location
        await store.close()
        let outcomes = try await withThrowingTaskGroup(of: AppendOutcome.self) { group in
            for writer in 0..<50 {
                group.addTask {
                    let store = try await openEvidenceStore(location)
                    defer { Task { await store.close() } }
                    while true {
                        let size = try await store.logSize()
                        let outcome = try await store.append(
                            Self.append(size, id: "pa-\(writer)", guards: [StateGuard(key: "request", expected: nil, next: "w\(writer)")]))
                        if outcome != .logMoved { return outcome }
                    }
                }
            }
            var all: [AppendOutcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        _ = directory
        #expect(outcomes.filter { $0 == .appended }.count == 1)
        #expect(outcomes.filter { $0 == .guardFailed(key: "request") }.count == 49)
        let reopened = try await openEvidenceStore(location)
        #expect(try await reopened.logSize() == 1)
        #expect(try await reopened.entries(from: 0, count: 100).count == 1)
        await reopened.close()
    }

    @Test("A store that cannot be reached or read is one clear error", arguments: Backend.allCases)
    func unreachable(backend: Backend) async throws {
        switch backend {
        case .sqlite:
            let directory = try TemporaryDirectory("store")
            _ = try directory.write("junk.db", String(repeating: "not a database ", count: 400))
            let error = await #expect(throws: HallmarkError.self) {
                let store = try await openEvidenceStore(.sqlite(path: directory.url("junk.db")))
                defer { Task { await store.close() } }
                _ = try await store.migrate()
            }
            #expect(error?.code == .store)
            #expect(error?.message.contains("junk.db: not a Hallmark evidence database") == true)
        case .postgres:
            let error = await #expect(throws: HallmarkError.self) {
                _ = try await openEvidenceStore(try StoreLocation(parsing: "postgres://hallmark@127.0.0.1:1/none"))
            }
            #expect(error?.code == .store)
            #expect(error?.message.contains("127.0.0.1:1") == true)
        }
    }

    @Test("Store locations parse; a password never reaches a message")
    func locations() throws {
        #expect(try StoreLocation(parsing: "sqlite:/tmp/x.db") == .sqlite(path: "/tmp/x.db"))
        #expect(try StoreLocation(parsing: "x.db") == .sqlite(path: "x.db"))
        let pg = try StoreLocation(parsing: "postgres://alice:s3cret@db.example:6543/evidence")
        #expect(pg.description == "postgres://alice@db.example:6543/evidence")
        let error = #expect(throws: HallmarkError.self) { try StoreLocation(parsing: "postgres://alice:s3cret@db.example") }
        #expect(error?.message.contains("s3cret") == false)
        #expect(throws: HallmarkError.self) { try StoreLocation(parsing: "mysql://x@y/z") }
    }
}
