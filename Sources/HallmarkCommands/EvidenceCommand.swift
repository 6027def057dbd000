import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Search governance records; export a change record's evidence for an auditor, and verify such an export.",
        subcommands: [EvidenceSearchCommand.self, EvidenceExportCommand.self, EvidenceVerifyExportCommand.self])
}

struct EvidenceSearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Find records by any combination of filters, newest first.",
        discussion: """
            Kinds: rollout, promotion-request, promotion-approval, promotion-execution, rollback-request, \
            rollback-execution. Pages: pass the printed nextBefore as --before.

            Examples:
              $ hallmark evidence search --kind promotion-request --ring staging --approval-state pending
              $ hallmark evidence search --change-record CHG-123 --since 2026-11-01 --format json
              $ hallmark evidence search --deployment-target dev-workstation-linux-amd64 --execution-status succeeded
            """)

    @Option(help: "Record kind.") var kind: String?
    @Option(help: "Status (staged, succeeded, failed, pending, approved, rejected, executed).") var status: String?
    @Option(help: "Environment.") var environment: String?
    @Option(help: "Deployment target id.") var deploymentTarget: String?
    @Option(help: "Ring.") var ring: String?
    @Option(help: "Approval state (pending, approved, rejected).") var approvalState: String?
    @Option(help: "Execution status (succeeded, failed).") var executionStatus: String?
    @Option(help: "Release version.") var version: String?
    @Option(help: "Change record.") var changeRecord: String?
    @Option(help: "Records at or after this time (RFC 3339, a date, or Unix seconds).") var since: String?
    @Option(help: "Records at or before this time.") var until: String?
    @Option(help: "Only records before this log index (the previous page's nextBefore).") var before: Int64?
    @Option(help: "At most this many records.") var limit = 50

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let result = try await EvidenceSearch(context: context, options: store.options).search(.init(
                kind: kind, status: status, environment: environment, deploymentTarget: deploymentTarget, ring: ring,
                approvalState: approvalState, executionStatus: executionStatus, version: version, changeRecord: changeRecord,
                since: since, until: until, before: before, limit: limit))
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                for hit in result.records {
                    let fields = [hit.status, hit.ring.map { "ring \($0)" }, hit.version, hit.changeRecord, hit.subject.map { "on \($0)" }]
                    let line = "\(hit.id)  \(hit.kind)  \(hit.time)  \(fields.compactMap { $0 }.joined(separator: "  "))"
                    Terminal.print(Terminal.oneLine(line))
                }
                Terminal.print(Terminal.oneLine("\(result.count) record(s)\(result.nextBefore.map { "; more with --before \($0)" } ?? "")"))
            }
        }
    }
}

struct EvidenceExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a change record's records, inclusion proofs and checkpoint to a deterministic zip.",
        discussion: """
            Examples:
              $ hallmark evidence export --change-record CHG-123 --out CHG-123.zip
              $ hallmark evidence verify-export CHG-123.zip --key .hallmark/log.key.pub
            """)

    @Option(help: "The change record.") var changeRecord: String
    @Option(help: "The zip to write.") var out: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let exported = try await EvidenceExport(context: context, options: store.options).export(changeRecord: changeRecord, out: out)
            switch output.format {
            case .json: try Terminal.printJSON(exported)
            case .text: Terminal.print(Terminal.oneLine("wrote \(out): \(exported.records.count) record(s) of \(changeRecord), proven against the log at size \(exported.treeSize)"))
            }
        }
    }
}

struct EvidenceVerifyExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-export", abstract: "Verify an evidence export offline with the log's public key.",
        discussion: """
            Checks the checkpoint's signature, every record's inclusion proof and signature, the links between \
            records, and N of M approvals behind every execution. Exit 1 when something does not verify.

            Examples:
              $ hallmark evidence verify-export CHG-123.zip --key log.pub
            """)

    @Argument(help: "The export (.zip).") var file: String
    @Option(help: "The log's public key.") var key: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let report = try await EvidenceExportVerification(context: context).verify(file: file, key: key)
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                if report.verified {
                    Terminal.print(Terminal.oneLine("verified: \(report.records.count) record(s) of \(report.changeRecord ?? ""), included in \(report.origin ?? "") at size \(report.treeSize ?? 0)"))
                } else {
                    Terminal.printProblems(report.problems)
                }
            }
            if !report.verified { throw Terminal.failed(report.problems, subject: file, format: output.format) }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Prove the evidence log whole and consistent; export it as events for a SIEM or ITSM.",
        subcommands: [AuditVerifyCommand.self, AuditExportCommand.self])
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check every record, checkpoint and Merkle node of the log, and the index derived from it.",
        discussion: """
            Recomputes the tree from the records, checks each signed checkpoint against it with the pinned log key, \
            the stored nodes that serve inclusion proofs, a checkpoint kept from an earlier audit (consistency: the \
            log was not rewritten or truncated), and the search index. Names the record that was changed. Exit 1 \
            on any problem.

            Examples:
              $ hallmark audit verify --write-checkpoint audit/checkpoint.txt
              $ hallmark audit verify --checkpoint audit/checkpoint.txt --log-key log.pub --store postgres://hallmark@db/evidence
            """)

    @Option(help: "A checkpoint kept from an earlier audit; the log must extend it.") var checkpoint: String?
    @Option(help: "Save the latest checkpoint here when the log verifies.") var writeCheckpoint: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let report = try await AuditLog(context: context, options: store.options).verify(checkpoint: checkpoint, writeCheckpoint: writeCheckpoint)
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                if report.verified {
                    Terminal.print(Terminal.oneLine("verified: \(report.recordsChecked) records, \(report.checkpointsChecked) checkpoints, root \(report.rootHash?.prefix(16) ?? "-")… at size \(report.treeSize)\(report.consistentWith.map { ", consistent with the kept checkpoint at size \($0)" } ?? "")"))
                } else {
                    Terminal.printProblems(report.problems)
                }
            }
            if !report.verified { throw Terminal.failed(report.problems, subject: report.store, format: output.format) }
        }
    }
}

struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Every record as an event: JSON lines, CEF, OCSF, or ServiceNow change_request fields.",
        discussion: """
            Each event has the actor (signing key id), action, target, time and the record's sha256.

            Examples:
              $ hallmark audit export --format jsonl --since 2026-11-01 > events.jsonl
              $ hallmark audit export --format cef | logger -t hallmark
              $ hallmark audit export --format servicenow --out change-updates.jsonl
            """)

    @Option(help: "jsonl, cef, ocsf or servicenow.") var format: String = "jsonl"
    @Option(help: "Only events at or after this time (RFC 3339, a date, or Unix seconds).") var since: String?
    @Option(help: "Write here instead of standard output.") var out: String?

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            guard let chosen = AuditExport.Format(rawValue: format) else {
                throw .usage("--format \(format): use jsonl, cef, ocsf or servicenow")
            }
            let sinceSeconds = try since.map { (text) throws(HallmarkError) in try EvidenceSearch.time(text, "--since") }
            let data = try await AuditExport(context: context, options: store.options).export(format: chosen, since: sinceSeconds)
            if let out {
                try FileIO.writeAtomically(data, to: try context.resolve(out))
            } else {
                Terminal.writeOutput(data)
            }
        }
    }
}

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Migrate the evidence store's schema, or rebuild its search index from the log.",
        subcommands: [StoreMigrateCommand.self, StoreRebuildCommand.self, StoreBenchCommand.self])
}

struct StoreMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending schema migrations (and make the log key of a new log).",
        discussion: """
            Examples:
              $ hallmark store migrate
              $ hallmark store migrate --store postgres://hallmark@db.internal:5432/evidence --log-key /etc/hallmark/log.key
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let report = try await AuditLog(context: context, options: store.options).migrate()
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                Terminal.print(Terminal.oneLine("\(report.store): schema version \(report.storeSchemaVersion)\(report.applied.isEmpty ? " (up to date)" : ", applied \(report.applied.map(String.init).joined(separator: ", "))"); \(report.treeSize) records"))
            }
        }
    }
}

struct StoreRebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Recompute the search index and state heads from the log (which must check first).",
        discussion: """
            Examples:
              $ hallmark store rebuild
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let report = try await AuditLog(context: context, options: store.options).rebuild()
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text: Terminal.print(Terminal.oneLine("\(report.store): rebuilt \(report.rowsRebuilt ?? 0) index rows from \(report.treeSize) records"))
            }
        }
    }
}

struct StoreBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure a scratch store: log appends per second, and search latency as the index grows.",
        discussion: """
            Appends --appends signed records (each with its Merkle nodes, signed checkpoint, index row and state \
            guard, one transaction each), then fills the index to each --index-rows size and times combined-filter \
            searches. Refuses a store that is not empty. Benchmarks/evidence.sh runs it on SQLite and PostgreSQL.

            Examples:
              $ hallmark store bench --store sqlite:/tmp/bench.db --appends 5000 --index-rows 10000,100000
              $ hallmark store bench --store postgres://hallmark@127.0.0.1:5432/bench --format json
            """)

    @Option(help: "How many records to append.") var appends = 2_000
    @Option(help: "Index sizes to time searches at (comma-separated).") var indexRows = "10000,100000"
    @Option(help: "Rounds of the five combined-filter queries at each size.") var queries = 200

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let sizes = indexRows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty else { throw .usage("--index-rows: give sizes such as 10000,100000") }
            let result = try await EvidenceBenchmark(context: context, options: store.options).run(appends: appends, sizes: sizes, queries: queries)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                Terminal.print(Terminal.oneLine("\(result.store): \(result.appends) appends in \(String(format: "%.2f", result.appendSeconds)) s = \(Int(result.appendsPerSecond))/s (p50 \(String(format: "%.2f", result.append.p50Milliseconds)) ms, p99 \(String(format: "%.2f", result.append.p99Milliseconds)) ms)"))
                for search in result.searches {
                    Terminal.print(Terminal.oneLine("search at \(search.indexRows) rows: p50 \(String(format: "%.2f", search.all.p50Milliseconds)) ms, p99 \(String(format: "%.2f", search.all.p99Milliseconds)) ms (\(search.all.samples) queries)"))
                }
            }
        }
    }
}
