import Foundation
import HallmarkCore
import HallmarkTestSupport
import Testing

/// The rollout-governance story with the built binary, on SQLite and on a real PostgreSQL: release → deployment
/// manifest → capture → verify/index → search → request → 2-of-3 approvals → execute → next rings (soak under
/// faketime) → rollback, with every bad input refused in one line and nothing stored, 50 racing approvals and
/// executions, and a row changed behind Hallmark's back found by `audit verify`.
@Suite("Rollout governance end to end (SQLite and PostgreSQL)", .serialized)
struct GovernanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A project with two releases (v1.0.0 and v1.1.0) of the example with a deployments block, and the keys.
    final class World: Sendable {
        let dir: TemporaryDirectory
        let store: String
        let backend: Backend

        init(_ backend: Backend) throws {
            dir = try TemporaryDirectory("governance")
            self.backend = backend
            store = backend == .sqlite ? "sqlite:" + dir.url("state/evidence.db") : try PostgresFixture.database()
            try Releases.copy(into: dir.path)
        }

        /// Runs hallmark in the world's directory against its store.
        @discardableResult
        func run(_ arguments: [String], faketime: String? = nil) throws -> ProcessOutput {
            let environment = ["HALLMARK_STORE": store]
            if let faketime {
                return try ProcessRunner.run("faketime", ["-f", faketime, TestPaths.binary] + arguments, in: dir.path, environment: environment)
            }
            return try ProcessRunner.hallmark(arguments, in: dir.path, environment: environment)
        }

        /// Runs hallmark and expects exit 0; returns the first word of its output (the id a create prints).
        func id(_ arguments: [String], faketime: String? = nil) throws -> String {
            let result = try run(arguments, faketime: faketime)
            #expect(result.status == 0, "hallmark \(arguments.joined(separator: " ")): \(result.stderr)")
            return String(result.stdout.split(separator: " ").first ?? "")
        }

        /// Runs hallmark, expects `status`, one stderr line naming `code`.
        func refused(_ arguments: [String], status: Int32 = 1, code: String, faketime: String? = nil) throws {
            let result = try run(arguments, faketime: faketime)
            #expect(result.status == status, "hallmark \(arguments.joined(separator: " ")): exit \(result.status): \(result.stderr)")
            if !code.isEmpty { #expect(result.stderr.contains("[\(code)]"), "expected \(code): \(result.stderr)") }
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        }

        /// Writes `directory`/checksums.txt again over its files (as someone covering a change would).
        func rechecksum(_ directory: String) throws {
            let made = try ProcessRunner.run(
                "bash", ["-c", "find . -type f ! -name checksums.txt | sed 's|^./||' | sort | xargs sha256sum > checksums.txt"],
                in: dir.url(directory))
            guard made.status == 0 else { throw FixtureError("sha256sum: \(made.stderr)") }
        }

        func logSize() throws -> Int {
            let result = try run(["evidence", "search", "--limit", "10000", "--format", "json"])
            if result.status == 2, result.stderr.contains("no evidence store here yet") { return 0 }
            let json = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
            return (json?["count"] as? Int) ?? -1
        }

        /// Runs SQL against the store behind Hallmark's back.
        func sql(_ statement: String) throws {
            let result: ProcessOutput
            switch backend {
            case .sqlite:
                result = try ProcessRunner.run("python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", dir.url("state/evidence.db"), statement])
            case .postgres:
                result = try ProcessRunner.run("psql", [store, "-v", "ON_ERROR_STOP=1", "-c", statement])
            }
            guard result.status == 0 else { throw FixtureError("sql: \(result.stderr)") }
        }
    }

    @Test("The whole story, with every bad input refused", arguments: Backend.allCases)
    func story(backend: Backend) throws {
        let world = try World(backend)
        let rollout = try capture(world)
        let canary = try canaryPromotion(world, rollout: rollout)
        try laterRings(world, rollout: rollout, canaryExecution: canary)
        try rollback(world)
        try audit(world)
        try tamper(world)
    }

    /// capture, verify + index; a changed rollout directory is refused and nothing is indexed.
    func capture(_ world: World) throws -> String {
        try world.refused(["rollout", "verify", "nowhere", "--key", "keys/release.pub"], status: 2, code: "")
        let rollout = try world.id([
            "rollout", "capture", "v1.0.0", "--deployment-id", "greet-1.0.0", "--change-record", "CHG-100", "--key", "keys/release.key",
            "--out", "rollout-1.0.0",
        ])
        #expect(rollout.hasPrefix("ro-"))
        try FileManager.default.copyItem(atPath: world.dir.url("rollout-1.0.0"), toPath: world.dir.url("tampered"))
        _ = try world.dir.write("tampered/rollout-evidence.md", "# forged\n")
        try world.refused(["rollout", "verify", "tampered", "--key", "keys/release.pub"], code: "file.modified")
        try world.refused(["rollout", "verify", "rollout-1.0.0", "--key", "keys/alice.pub"], code: "signature.untrusted-key")
        // The summary changed and checksums.txt made again: the record names the old summary.
        try world.rechecksum("tampered")
        try world.refused(["rollout", "verify", "tampered", "--key", "keys/release.pub"], code: "rollout.mismatch")
        // The record's signature changed (and checksums.txt made again).
        let record = try String(decoding: world.dir.read("rollout-1.0.0/rollout-evidence.json"), as: UTF8.self)
        let forged = record.replacingOccurrences(of: "\"sig\":\"", with: "\"sig\":\"AAAA")
        try FileManager.default.removeItem(atPath: world.dir.url("tampered"))
        try FileManager.default.copyItem(atPath: world.dir.url("rollout-1.0.0"), toPath: world.dir.url("tampered"))
        _ = try world.dir.write("tampered/rollout-evidence.json", forged)
        try world.rechecksum("tampered")
        try world.refused(["rollout", "verify", "tampered", "--key", "keys/release.pub"], code: "evidence.signature-invalid")
        #expect(try world.logSize() == 0)
        #expect(try world.id(["rollout", "verify", "rollout-1.0.0", "--key", "keys/release.pub"]) == rollout)
        // Indexing twice is a no-op.
        let again = try world.run(["rollout", "verify", "rollout-1.0.0", "--key", "keys/release.pub", "--format", "json"])
        #expect(again.stdout.contains("\"alreadyIndexed\": true"))
        let search = try world.run([
            "evidence", "search", "--kind", "rollout", "--environment", "production", "--version", "v1.0.0", "--change-record", "CHG-100",
            "--deployment-target", "dev-workstation-linux-amd64", "--status", "staged",
        ])
        #expect(search.stdout.hasPrefix(rollout), "\(search.stdout)")
        #expect(try world.run(["evidence", "search", "--kind", "rollout", "--version", "v9"]).stdout.hasPrefix("0 record"))
        return rollout
    }

    /// request by an approver (alice); her own, an unknown and a duplicate approval are refused; 2 of 3 execute.
    func canaryPromotion(_ world: World, rollout: String) throws -> String {
        try world.refused(["promote", "request", rollout, "--target-ring", "moon", "--key", "keys/alice.key"], status: 2, code: "")
        let request = try world.id(["promote", "request", rollout, "--target-ring", "canary", "--key", "keys/alice.key"])
        #expect(request.hasPrefix("pr-"))
        try world.refused(["promote", "approve", request, "--key", "keys/alice.key"], code: "promotion.approver-invalid")
        try world.refused(["promote", "approve", request, "--key", "keys/mallory.key"], code: "promotion.approver-invalid")
        _ = try world.id(["promote", "approve", request, "--key", "keys/bob.key", "--comment", "canary dashboards green"])
        try world.refused(["promote", "approve", request, "--key", "keys/bob.key"], code: "promotion.duplicate-approval")
        try world.refused(["promote", "execute", request, "--key", "keys/release.key"], code: "promotion.approvals")
        let readiness = try world.run(["readiness", rollout, "--target-ring", "canary"])
        #expect(readiness.status == 1 && readiness.stdout.hasPrefix("incomplete"), "\(readiness.stdout)")
        _ = try world.id(["promote", "approve", request, "--key", "keys/carol.key"])
        #expect(try world.run(["readiness", rollout, "--target-ring", "canary"]).stdout.hasPrefix("ready"))
        try world.refused(["promote", "execute", request, "--key", "keys/release.key", "--ring", "staging"], code: "promotion.link-invalid")
        try world.refused(["promote", "execute", request, "--key", "keys/release.key", "--release-sha256", String(repeating: "ab", count: 32)], code: "promotion.link-invalid")
        let before = try world.logSize()
        let execution = try world.id(["promote", "execute", request, "--key", "keys/release.key"])
        #expect(execution.hasPrefix("px-"))
        #expect(try world.id(["promote", "execute", request, "--key", "keys/release.key"]) == execution)
        #expect(try world.logSize() == before + 1)
        try world.refused(["promote", "approve", request, "--key", "keys/dave.key"], code: "promotion.approver-invalid")
        try world.refused(["promote", "reject", request, "--key", "keys/dave.key"], code: "promotion.approver-invalid")
        return execution
    }

    func approvedRequest(_ world: World, rollout: String, ring: String, faketime: String? = nil) throws -> String {
        let request = try world.id(["promote", "request", rollout, "--target-ring", ring, "--key", "keys/release.key"], faketime: faketime)
        _ = try world.id(["promote", "approve", request, "--key", "keys/alice.key"], faketime: faketime)
        _ = try world.id(["promote", "approve", request, "--key", "keys/carol.key"], faketime: faketime)
        return request
    }

    /// production before staging is out of order; staging then production waits for staging's 1 h soak.
    func laterRings(_ world: World, rollout: String, canaryExecution: String) throws {
        let production = try approvedRequest(world, rollout: rollout, ring: "production")
        try world.refused(["promote", "execute", production, "--key", "keys/release.key"], code: "promotion.ring-order")
        let expiring = try world.id(["promote", "request", rollout, "--target-ring", "staging", "--key", "keys/release.key", "--expires", "1m"])
        try world.refused(["promote", "approve", expiring, "--key", "keys/alice.key"], code: "promotion.expired", faketime: "+5m")
        let rejected = try world.id(["promote", "request", rollout, "--target-ring", "staging", "--key", "keys/release.key"])
        _ = try world.id(["promote", "reject", rejected, "--key", "keys/bob.key", "--comment", "error budget spent"])
        _ = try world.id(["promote", "approve", rejected, "--key", "keys/alice.key"])
        _ = try world.id(["promote", "approve", rejected, "--key", "keys/carol.key"])
        try world.refused(["promote", "execute", rejected, "--key", "keys/release.key"], code: "promotion.approvals")
        let staging = try approvedRequest(world, rollout: rollout, ring: "staging")
        let stagingExecution = try world.id(["promote", "execute", staging, "--key", "keys/release.key"])
        let show = try world.run(["promote", "execute", staging, "--key", "keys/release.key", "--format", "json"])
        #expect(show.stdout.contains(canaryExecution), "staging links the canary execution it followed")
        #expect(show.stdout.contains(stagingExecution))
        try world.refused(["promote", "execute", production, "--key", "keys/release.key"], code: "promotion.soak")
        let blocked = try world.run(["readiness", rollout, "--target-ring", "production", "--format", "json"])
        #expect(blocked.stdout.contains("\"verdict\": \"blocked\"") && blocked.stdout.contains("promotion.soak"))
        let late = try world.id(["promote", "execute", production, "--key", "keys/release.key"], faketime: "+2h")
        #expect(late.hasPrefix("px-"))
        let executions = try world.run(["evidence", "search", "--kind", "promotion-execution", "--change-record", "CHG-100", "--execution-status", "succeeded"])
        #expect(executions.stdout.contains("3 record(s)"), "\(executions.stdout)")
    }

    /// v1.1.0 reaches canary; it is rolled back to v1.0.0 with approvals; the rollback links what it reverses.
    func rollback(_ world: World) throws {
        let rollout = try world.id([
            "rollout", "capture", "v1.1.0", "--deployment-id", "greet-1.1.0", "--change-record", "CHG-101", "--key", "keys/release.key",
            "--out", "rollout-1.1.0",
        ])
        _ = try world.id(["rollout", "verify", "rollout-1.1.0", "--key", "keys/release.pub"])
        let request = try approvedRequest(world, rollout: rollout, ring: "canary", faketime: "+3h")
        let execution = try world.id(["promote", "execute", request, "--key", "keys/release.key"], faketime: "+3h")
        try world.refused(["rollback", "request", execution, "--to", "v0.1.0", "--key", "keys/release.key"], status: 2, code: "")
        _ = try world.dir.write("why.txt", "p99 latency doubled on canary\n")
        let rollbackRequest = try world.id(
            ["rollback", "request", execution, "--to", "v1.0.0", "--key", "keys/release.key", "--reason", "latency", "--evidence", "why.txt"],
            faketime: "+3h")
        #expect(rollbackRequest.hasPrefix("rr-"))
        _ = try world.id(["promote", "approve", rollbackRequest, "--key", "keys/alice.key"], faketime: "+3h")
        _ = try world.id(["promote", "approve", rollbackRequest, "--key", "keys/bob.key"], faketime: "+3h")
        let done = try world.run(["promote", "execute", rollbackRequest, "--key", "keys/release.key", "--format", "json"], faketime: "+3h")
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("rollback-execution") && done.stdout.contains(execution), "\(done.stdout)")
        let again = try approvedRollback(world, execution: execution)
        try world.refused(["promote", "execute", again, "--key", "keys/release.key"], code: "promotion.replay", faketime: "+3h")
    }

    func approvedRollback(_ world: World, execution: String) throws -> String {
        let request = try world.id(["rollback", "request", execution, "--to", "v1.0.0", "--key", "keys/release.key"], faketime: "+3h")
        _ = try world.id(["promote", "approve", request, "--key", "keys/alice.key"], faketime: "+3h")
        _ = try world.id(["promote", "approve", request, "--key", "keys/carol.key"], faketime: "+3h")
        return request
    }

    /// audit verify, exports in every format, an evidence export verified offline.
    func audit(_ world: World) throws {
        let verified = try world.run(["audit", "verify", "--write-checkpoint", "kept-checkpoint.txt"])
        #expect(verified.status == 0 && verified.stdout.hasPrefix("verified:"), "\(verified.stdout)\(verified.stderr)")
        let size = try world.logSize()
        let jsonl = try world.run(["audit", "export", "--format", "jsonl"]).stdout.split(separator: "\n")
        #expect(jsonl.count == size)
        let cef = try world.run(["audit", "export", "--format", "cef", "--since", "2000-01-01"]).stdout.split(separator: "\n")
        #expect(cef.count == size && cef.allSatisfy { $0.hasPrefix("CEF:0|Hallmark|hallmark|") })
        let ocsf = try world.run(["audit", "export", "--format", "ocsf"]).stdout.split(separator: "\n")
        #expect(ocsf.allSatisfy { $0.contains("\"class_uid\":6003") })
        let snow = try world.run(["audit", "export", "--format", "servicenow"]).stdout
        #expect(snow.contains("\"number\":\"CHG-100\""))
        let exported = try world.run(["evidence", "export", "--change-record", "CHG-100", "--out", "chg-100.zip"])
        #expect(exported.status == 0, "\(exported.stderr)")
        let offline = try ProcessRunner.hallmark(["evidence", "verify-export", "chg-100.zip", "--key", world.logPublicKey], in: world.dir.path)
        #expect(offline.status == 0, "\(offline.stdout + offline.stderr)")
        try world.refused(["evidence", "verify-export", "chg-100.zip", "--key", "keys/alice.pub"], code: "evidence.checkpoint-invalid")
    }

    @Test("50 parallel approvals, then 50 parallel executions, of one request: one transition each", arguments: Backend.allCases)
    func racing(backend: Backend) throws {
        let world = try World(backend)
        let rollout = try world.id([
            "rollout", "capture", "v1.0.0", "--deployment-id", "race", "--change-record", "CHG-200", "--key", "keys/release.key", "--out", "r",
        ])
        _ = try world.id(["rollout", "verify", "r", "--key", "keys/release.pub"])
        let request = try world.id(["promote", "request", rollout, "--target-ring", "canary", "--key", "keys/release.key"])
        _ = try world.id(["promote", "approve", request, "--key", "keys/alice.key"])
        let approvals = try parallel(world, 50, ["promote", "approve", request, "--key", "keys/bob.key"])
        #expect(approvals.filter { $0.status == 0 }.count == 1, "\(approvals.map(\.stderr))")
        #expect(approvals.filter { $0.status == 1 && $0.stderr.contains("promotion.duplicate-approval") }.count == 49, "\(approvals.map(\.stderr))")
        let executions = try parallel(world, 50, ["promote", "execute", request, "--key", "keys/release.key"])
        #expect(executions.allSatisfy { $0.status == 0 }, "\(executions.map(\.stderr))")
        #expect(Set(executions.map { $0.stdout.split(separator: " ").first ?? "" }).count == 1)
        let search = try world.run(["evidence", "search", "--change-record", "CHG-200", "--format", "json", "--limit", "1000"])
        let json = try JSONSerialization.jsonObject(with: search.stdoutData) as? [String: Any]
        let kinds = ((json?["records"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
        #expect(kinds.sorted() == ["promotion-approval", "promotion-approval", "promotion-execution", "promotion-request", "rollout"])
        let audit = try world.run(["audit", "verify", "--write-checkpoint", "kept.txt"])
        #expect(audit.status == 0, "\(audit.stdout + audit.stderr)")
        try truncation(world)
    }

    /// The last record deleted with its checkpoint and nodes (a truncated log): the kept checkpoint finds it.
    func truncation(_ world: World) throws {
        let size = try world.logSize()
        try world.sql("DELETE FROM log_entries WHERE seq = \(size - 1)")
        try world.sql("DELETE FROM log_checkpoints WHERE size = \(size)")
        try world.sql("DELETE FROM log_nodes WHERE idx = \(size - 1) AND level = 0")
        try world.sql("UPDATE log_head SET size = \(size - 1)")
        try world.sql("DELETE FROM evidence_index WHERE seq = \(size - 1)")
        let audit = try world.run(["audit", "verify", "--checkpoint", "kept.txt"])
        #expect(audit.status == 1 && audit.stdout.contains("evidence.consistency-invalid"), "\(audit.stdout + audit.stderr)")
    }

    @Test("A hostile database: changed nodes, records moved out of the log, hidden rejections, a cut log")
    func hostileDatabase() throws {
        let world = try World(.sqlite)
        try world.refused(["rollout", "capture", "v1.0.0", "--deployment-id", "../escape", "--change-record", "C", "--key", "keys/release.key"], status: 2, code: "")
        let rollout = try world.id([
            "rollout", "capture", "v1.0.0", "--deployment-id", "hostile", "--change-record", "CHG-400", "--key", "keys/release.key", "--out", "r",
        ])
        _ = try world.id(["rollout", "verify", "r", "--key", "keys/release.pub"])
        let request = try world.id(["promote", "request", rollout, "--target-ring", "canary", "--key", "keys/release.key"])
        _ = try world.id(["promote", "reject", request, "--key", "keys/bob.key"])
        _ = try world.id(["promote", "approve", request, "--key", "keys/alice.key"])
        _ = try world.id(["promote", "approve", request, "--key", "keys/carol.key"])
        // The rejection hidden from the index: execution reads the request's chain from the log, not the index.
        try world.sql("UPDATE evidence_index SET subject = 'elsewhere' WHERE kind = 'promotion-approval' AND status = 'rejected'")
        try world.refused(["promote", "execute", request, "--key", "keys/release.key"], code: "promotion.approvals")
        try world.sql("UPDATE evidence_index SET subject = '\(request)' WHERE subject = 'elsewhere'")
        // A ring head pointed at another ring's execution: ring order is not fooled, and the audit names the head.
        let canary = try approvedRequest(world, rollout: rollout, ring: "canary")
        let execution = try world.id(["promote", "execute", canary, "--key", "keys/release.key"])
        let production = try approvedRequest(world, rollout: rollout, ring: "production")
        try world.refused(["promote", "execute", production, "--key", "keys/release.key"], code: "promotion.ring-order")
        try world.sql("INSERT INTO state_heads SELECT 'ring:hostile:staging', digest, seq FROM evidence_index WHERE record_id = '\(execution)'")
        try world.refused(["promote", "execute", production, "--key", "keys/release.key"], code: "evidence.index-mismatch")
        #expect(try world.run(["audit", "verify"]).stdout.contains("state head ring:hostile:staging is for nothing in the log"))
        try world.sql("DELETE FROM state_heads WHERE key = 'ring:hostile:staging'")
        // An index row naming another rollout's request for this ring: readiness says unverified, not ready.
        try world.sql("UPDATE evidence_index SET ring = 'staging' WHERE record_id = '\(canary)'")
        let fooled = try world.run(["readiness", rollout, "--target-ring", "staging"])
        #expect(fooled.status == 1 && fooled.stdout.hasPrefix("unverified"), "\(fooled.stdout)")
        try world.sql("UPDATE evidence_index SET ring = 'canary' WHERE record_id = '\(canary)'")
        #expect(try world.run(["audit", "verify"]).status == 0)
        // A request head moved back behind Hallmark's back: bob's approval follows the request while alice's does too.
        try world.sql("UPDATE state_heads SET digest = (SELECT digest FROM evidence_index WHERE record_id = '\(production)'), seq = (SELECT seq FROM evidence_index WHERE record_id = '\(production)') WHERE key = 'request:\(production)'")
        _ = try world.id(["promote", "approve", production, "--key", "keys/bob.key"])
        #expect(try world.run(["audit", "verify"]).stdout.contains("evidence.chain-forked"))
        try world.sql("UPDATE state_heads SET digest = (SELECT digest FROM evidence_index WHERE kind = 'promotion-approval' ORDER BY seq DESC LIMIT 1), seq = (SELECT MAX(seq) FROM evidence_index) WHERE key = 'request:\(production)'")
        // A failed rollout cannot be promoted.
        let failed = try world.id([
            "rollout", "capture", "v1.1.0", "--deployment-id", "failed", "--change-record", "CHG-401", "--status", "failed", "--key", "keys/release.key", "--out", "f",
        ])
        _ = try world.id(["rollout", "verify", "f", "--key", "keys/release.pub"])
        try world.refused(["promote", "request", failed, "--target-ring", "canary", "--key", "keys/release.key"], code: "promotion.status")
        // A stored Merkle node changed: the log key refuses to sign over it, and nothing is appended.
        let size = try world.logSize()
        try world.sql("CREATE TABLE saved_nodes AS SELECT * FROM log_nodes")
        try world.sql("UPDATE log_nodes SET hash = zeroblob(32) WHERE level >= 1")
        try world.refused(["promote", "request", rollout, "--target-ring", "canary", "--key", "keys/release.key"], code: "evidence.record-changed")
        #expect(try world.logSize() == size)
        #expect(try world.run(["audit", "verify"]).stdout.contains("evidence.inclusion-invalid"))
        try world.sql("DELETE FROM log_nodes")
        try world.sql("INSERT INTO log_nodes SELECT * FROM saved_nodes")
        try world.sql("DROP TABLE saved_nodes")
        // A record moved outside the log is not read.
        try world.sql("UPDATE log_entries SET seq = -7 WHERE record_id = '\(rollout)'")
        try world.refused(["promote", "request", rollout, "--target-ring", "canary", "--key", "keys/release.key"], code: "evidence.record-changed")
        #expect(try world.run(["audit", "verify"]).stdout.contains("outside the log"))
        try world.sql("UPDATE log_entries SET seq = 0 WHERE record_id = '\(rollout)'")
        #expect(try world.run(["audit", "verify"]).stdout.contains("evidence.chain-forked"), "the fork above stays in the log")
        // The log cut short, with no kept checkpoint: the log key's own record of what it signed finds it.
        try world.sql("DELETE FROM log_entries WHERE seq = \(size - 1)")
        try world.sql("DELETE FROM log_checkpoints WHERE size = \(size)")
        try world.sql("UPDATE log_head SET size = \(size - 1)")
        #expect(try world.run(["audit", "verify"]).stdout.contains("evidence.consistency-invalid"))
        try world.refused(["promote", "request", rollout, "--target-ring", "canary", "--key", "keys/release.key"], code: "evidence.consistency-invalid")
    }

    @Test("A store that is down or locked is one line, exit 2, and nothing is stored", arguments: Backend.allCases)
    func unavailableStore(backend: Backend) throws {
        let world = try World(backend)
        _ = try world.id(["rollout", "capture", "v1.0.0", "--deployment-id", "down", "--change-record", "CHG-300", "--key", "keys/release.key", "--out", "r"])
        switch backend {
        case .postgres:
            let down = try ProcessRunner.hallmark(
                ["rollout", "verify", "r", "--key", "keys/release.pub", "--store", "postgres://hallmark@127.0.0.1:1/evidence"], in: world.dir.path)
            #expect(down.status == 2 && down.stderr.contains("check that PostgreSQL is running"), "\(down.stderr)")
            #expect(down.stderr.split(separator: "\n").count == 1)
        case .sqlite:
            _ = try world.id(["store", "migrate"])
            let hold = "import sqlite3, time, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN EXCLUSIVE'); open(sys.argv[2], 'w').close(); time.sleep(9)"
            let script = "python3 -c \"\(hold)\" state/evidence.db held & for i in $(seq 100); do [ -f held ] && break; sleep 0.1; done; '\(TestPaths.binary)' rollout verify r --key keys/release.pub; echo \"rc=$?\"; wait"
            let locked = try ProcessRunner.run("bash", ["-c", script], in: world.dir.path, environment: ["HALLMARK_STORE": world.store])
            #expect(locked.stdout.contains("rc=2") && locked.stderr.contains("locked by another process"), "\(locked.stdout) \(locked.stderr)")
        }
        #expect(try world.logSize() == 0)
    }

    /// Starts `count` copies of hallmark at once (a shell backgrounds them all) and collects every outcome.
    func parallel(_ world: World, _ count: Int, _ arguments: [String]) throws -> [ProcessOutput] {
        let quoted = ([TestPaths.binary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let script = "for i in $(seq \(count)); do (\(quoted) > out.$i 2> err.$i; echo $? > rc.$i) & done; wait"
        let ran = try ProcessRunner.run("bash", ["-c", script], in: world.dir.path, environment: ["HALLMARK_STORE": world.store])
        guard ran.status == 0 else { throw FixtureError("parallel: \(ran.stderr)") }
        return try (1...count).map { i in
            let out = try world.dir.read("out.\(i)")
            let err = try String(decoding: world.dir.read("err.\(i)"), as: UTF8.self)
            let rc = Int32(String(decoding: try world.dir.read("rc.\(i)"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            return ProcessOutput(status: rc, stdout: String(decoding: out, as: UTF8.self), stderr: err, stdoutData: out)
        }
    }

    /// A record changed in the database is named by audit verify; execute and rebuild refuse to use it.
    func tamper(_ world: World) throws {
        let approvals = try world.run(["evidence", "search", "--kind", "promotion-approval", "--limit", "1"])
        let victim = String(approvals.stdout.split(separator: " ").first ?? "")
        switch world.backend {
        case .sqlite:
            try world.sql("UPDATE log_entries SET body = CAST(replace(CAST(body AS TEXT), 'vnd.in-toto', 'vnd.in-totO') AS BLOB) WHERE record_id = '\(victim)'")
        case .postgres:
            try world.sql("UPDATE log_entries SET body = convert_to(replace(convert_from(body, 'UTF8'), 'vnd.in-toto', 'vnd.in-totO'), 'UTF8') WHERE record_id = '\(victim)'")
        }
        let audit = try world.run(["audit", "verify", "--checkpoint", "kept-checkpoint.txt"])
        #expect(audit.status == 1)
        #expect(audit.stdout.contains(victim) && audit.stdout.contains("evidence.record-changed"), "\(audit.stdout)")
        try world.refused(["store", "rebuild"], code: "evidence.record-changed")
        try world.sql("DELETE FROM evidence_targets")
        #expect(try world.run(["audit", "verify"]).stdout.contains("evidence.index-mismatch"))
    }
}

extension GovernanceTests.World {
    /// The log's public key (beside an SQLite store, else .hallmark/).
    var logPublicKey: String { backend == .sqlite ? dir.url("state/log.key.pub") : dir.url(".hallmark/log.key.pub") }
}

/// The two releases every world starts from, built once per test process.
enum Releases {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: TemporaryDirectory?

    static let deployments = """
        deployments:
          rings: [canary, staging, production]
          targets:
            - {id: github-actions-linux-amd64-runner, surface: ci-runner, platform: linux/amd64, prefix: /usr/local, channel: stable, ring: canary}
            - {id: dev-workstation-linux-amd64, surface: workstation, platform: linux/amd64, prefix: ~/.local, channel: stable, ring: staging}
            - {id: prod-server-linux-arm64, surface: server, platform: linux/arm64, prefix: /opt/greet, channel: stable, ring: production}
          controls:
            soak: {canary: 0s, staging: 1h}
            max_parallel: 10
            approvals: {required: 2, approvers: [keys/alice.pub, keys/bob.pub, keys/carol.pub]}
            smoke: "greet --version"

        """

    /// Copies keys/, v1.0.0/ and v1.1.0/ into `directory`.
    static func copy(into directory: String) throws {
        lock.lock()
        defer { lock.unlock() }
        let source = try built ?? build()
        built = source
        for name in ["keys", "v1.0.0", "v1.1.0"] {
            try FileManager.default.copyItem(atPath: source.url(name), toPath: directory + "/" + name)
        }
    }

    static func build() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory("governance-releases")
        try FileManager.default.createDirectory(atPath: dir.url("keys"), withIntermediateDirectories: true)
        for name in ["release", "alice", "bob", "carol", "dave", "mallory"] {
            let made = try ProcessRunner.hallmark(["keys", "generate", "--out", dir.url("keys/\(name)")])
            guard made.status == 0 else { throw FixtureError("keys generate: \(made.stderr)") }
        }
        try FileManager.default.createDirectory(atPath: dir.url("project"), withIntermediateDirectories: true)
        try GitFixture.example(into: dir.url("project"), tag: nil)
        try FileManager.default.createDirectory(atPath: dir.url("project/keys"), withIntermediateDirectories: true)
        for name in ["alice", "bob", "carol"] {
            try FileManager.default.copyItem(atPath: dir.url("keys/\(name).pub"), toPath: dir.url("project/keys/\(name).pub"))
        }
        let config = try String(contentsOfFile: dir.url("project/hallmark.yml"), encoding: .utf8)
        _ = try dir.write("project/hallmark.yml", config + deployments)
        for version in ["v1.0.0", "v1.1.0"] {
            try GitFixture.commitAll(in: dir.url("project"), message: version)
            try GitFixture.git(["tag", version], in: dir.url("project"))
            let release = try ProcessRunner.hallmark(["release", "--version", version, "--key", "../keys/release.key", "-q"], in: dir.url("project"))
            guard release.status == 0 else { throw FixtureError("release \(version): \(release.stderr)") }
            try FileManager.default.moveItem(atPath: dir.url("project/dist/\(version)"), toPath: dir.url(version))
            _ = try dir.write("project/CHANGES", "\(version)\n")
        }
        return dir
    }
}

@Suite("store bench")
struct StoreBenchTests {
    @Test("store bench measures a scratch store and refuses one that holds anything")
    func bench() throws {
        let dir = try TemporaryDirectory("bench")
        let result = try ProcessRunner.hallmark(
            ["store", "bench", "--store", "sqlite:" + dir.url("b/evidence.db"), "--appends", "30", "--index-rows", "100,300", "--queries", "3", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any]
        #expect(json?["appends"] as? Int == 30)
        #expect((json?["searches"] as? [[String: Any]])?.compactMap { $0["indexRows"] as? Int } == [100, 300])
        let again = try ProcessRunner.hallmark(["store", "bench", "--store", "sqlite:" + dir.url("b/evidence.db"), "--appends", "5", "--index-rows", "10"])
        #expect(again.status == 2 && again.stderr.contains("is not empty"), "\(again.stderr)")
        let audit = try ProcessRunner.hallmark(["audit", "verify", "--store", "sqlite:" + dir.url("b/evidence.db")])
        #expect(audit.stdout.contains("evidence.index-mismatch"), "synthetic index rows are not in the log: \(audit.stdout)")
    }
}
