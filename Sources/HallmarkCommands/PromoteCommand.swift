import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Request, approve, reject and execute signed promotions of a rollout into its next ring.",
        discussion: """
            A request binds the rollout, ring, release digest, evidence digests, a nonce and an expiry. Approvals \
            are signatures by distinct approver keys of the deployment (never the requester's); N of M are needed. \
            Execution checks everything again from the log, offline, and records what it rests on. approve, reject \
            and execute also take rollback requests.

            Examples:
              $ hallmark promote request ro-3f2a… --target-ring canary --key release.key --expires 24h
              $ hallmark promote approve pr-81c0… --key alice.key --comment "smoke passed"
              $ hallmark promote execute pr-81c0… --key release.key
            """,
        subcommands: [PromoteRequestCommand.self, PromoteApproveCommand.self, PromoteRejectCommand.self, PromoteExecuteCommand.self])
}

struct PromoteRequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "Ask to move a rollout's release into a ring (signed, with a nonce and an expiry).",
        discussion: """
            Examples:
              $ hallmark promote request ro-3f2a… --target-ring staging --key release.key --expires 8h --format json
            """)

    @Argument(help: "The rollout id (from rollout capture or evidence search).")
    var rolloutId: String

    @Option(help: "The ring to promote into.")
    var targetRing: String

    @Option(help: "Signing key: a path or env://VAR (default: HALLMARK_SIGNING_KEY).")
    var key: String?

    @Option(help: "How long the request stays valid (30m, 24h, 7d; at most 90d).")
    var expires = "24h"

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let created = try await Promotions(context: context, options: store.options).request(
                rolloutID: rolloutId, ring: targetRing, key: key, expires: expires)
            try CreatedRecord.print(created, format: output.format)
        }
    }
}

/// approve and reject: one decision, signed by an approver.
struct DecisionOptions: ParsableArguments {
    @Argument(help: "The request id (promotion or rollback).")
    var requestId: String

    @Option(help: "The approver's private key: a path or env://VAR (default: HALLMARK_SIGNING_KEY).")
    var key: String?

    @Option(help: "A comment recorded with the decision.")
    var comment: String?

    @Option(help: "A hallmark serve URL: fetch the request from it, sign here, and submit the signed decision to it.")
    var server: String?

    @Option(help: "The API token for --server (default: HALLMARK_TOKEN).")
    var token: String?

    @Flag(help: "With --server: print the signed decision (a DSSE envelope) instead of submitting it.")
    var signOnly = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run(_ decision: PromotionApproval.Decision) async throws {
        if signOnly && server == nil { throw ValidationError("--sign-only needs --server (where the request is read from)") }
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            if let server {
                let remote = RemoteDecision(context: context, server: server, token: token)
                if signOnly {
                    let (_, body) = try await remote.sign(requestID: requestId, decision: decision, key: key, comment: comment)
                    Terminal.print(String(decoding: body, as: UTF8.self))
                    return
                }
                try CreatedRecord.print(try await remote.decide(requestID: requestId, decision: decision, key: key, comment: comment), format: output.format)
                return
            }
            let created = try await Promotions(context: context, options: store.options).decide(
                requestID: requestId, decision: decision, key: key, comment: comment)
            try CreatedRecord.print(created, format: output.format)
        }
    }
}

struct PromoteApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve a request with an approver's key.",
        discussion: """
            Examples:
              $ hallmark promote approve pr-81c0… --key keys/alice.key --comment "canary dashboards green"
              $ hallmark promote approve pr-81c0… --key keys/alice.key --server https://hallmark.internal --token "$TOKEN"
              $ hallmark promote approve pr-81c0… --key keys/alice.key --server https://hallmark.internal --sign-only > approval.json
            """)

    @OptionGroup var decision: DecisionOptions

    func run() async throws { try await decision.run(.approve) }
}

struct PromoteRejectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Reject a request with an approver's key (it can then not be executed).",
        discussion: """
            Examples:
              $ hallmark promote reject pr-81c0… --key keys/bob.key --comment "error budget spent"
            """)

    @OptionGroup var decision: DecisionOptions

    func run() async throws { try await decision.run(.reject) }
}

struct PromoteExecuteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute", abstract: "Record the execution of a ready request (verified offline from the log).",
        discussion: """
            Refuses unless the request is ready (see hallmark readiness): its records verify, it has not expired, \
            N of M approvals, the previous ring ran this release for its soak time. Executing the same request \
            again prints the first execution.

            Examples:
              $ hallmark promote execute pr-81c0… --key release.key
              $ hallmark promote execute rr-09d1… --key release.key --ring production
            """)

    @Argument(help: "The request id.")
    var requestId: String

    @Option(help: "Signing key: a path or env://VAR (default: HALLMARK_SIGNING_KEY).")
    var key: String?

    @Option(help: "succeeded or failed.")
    var status = "succeeded"

    @Option(help: "Refuse unless the request is for this ring.")
    var ring: String?

    @Option(help: "Refuse unless the request is for the release whose index.json has this sha256.")
    var releaseSha256: String?

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            guard let status = PromotionExecution.Status(rawValue: status) else { throw .usage("--status must be succeeded or failed") }
            let created = try await Promotions(context: context, options: store.options).execute(
                requestID: requestId, key: key, status: status, expectRing: ring, expectRelease: releaseSha256)
            try CreatedRecord.print(created, format: output.format)
        }
    }
}

struct RollbackRequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "Ask to reverse a promotion execution (then approve and execute it as a promotion).",
        discussion: """
            Examples:
              $ hallmark rollback request px-5b7e… --to v1.1.0 --key release.key --reason "p99 latency doubled" --evidence grafana.png
              $ hallmark promote approve rr-09d1… --key keys/alice.key
              $ hallmark promote execute rr-09d1… --key release.key
            """)

    @Argument(help: "The execution id to reverse.")
    var executionId: String

    @Option(help: "The version to put back (it must have run in that ring before).")
    var to: String

    @Option(help: "Why.")
    var reason: String = ""

    @Option(parsing: .singleValue, help: "A file that shows why (repeatable; its name and sha256 are recorded).")
    var evidence: [String] = []

    @Option(help: "Signing key: a path or env://VAR (default: HALLMARK_SIGNING_KEY).")
    var key: String?

    @Option(help: "How long the request stays valid.")
    var expires = "24h"

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let created = try await Promotions(context: context, options: store.options).requestRollback(
                executionID: executionId, toVersion: to, reason: reason, evidence: evidence, key: key, expires: expires)
            try CreatedRecord.print(created, format: output.format)
        }
    }
}

struct ReadinessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readiness",
        abstract: "Whether a rollout may move into a ring now: ready, blocked, incomplete or unverified, with every reason.",
        discussion: """
            Exit 0 when ready, 1 otherwise.

            Examples:
              $ hallmark readiness ro-3f2a… --target-ring staging
              $ hallmark readiness ro-3f2a… --target-ring production --format json
            """)

    @Argument(help: "The rollout id.")
    var rolloutId: String

    @Option(help: "The ring.")
    var targetRing: String

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let report = try await Promotions(context: context, options: store.options).readiness(rolloutID: rolloutId, ring: targetRing)
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                Terminal.print(Terminal.oneLine("\(report.verdict.rawValue): \(rolloutId) → \(targetRing)\(report.requestId.map { " (request \($0))" } ?? "")"))
                for reason in report.reasons {
                    Terminal.print(Terminal.oneLine("  \(reason.ok ? "ok  " : "FAIL") \(reason.check): \(reason.message)\(reason.code.map { " [\($0)]" } ?? "")"))
                }
            }
            if report.verdict != .ready { throw HallmarkError(.verificationFailed, "") }
        }
    }
}
