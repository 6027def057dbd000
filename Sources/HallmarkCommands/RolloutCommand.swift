import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Capture and verify signed rollout evidence for a release.",
        subcommands: [RolloutCaptureCommand.self, RolloutVerifyCommand.self])
}

struct RolloutCaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Verify a release, then write its signed rollout record (rollout-evidence.json/.md, checksums.txt).",
        discussion: """
            The release must verify (with --release-key, else the public half of --key) and hold a \
            NAME.endpoint-deployment.json; the rollout selects its targets (all, or those --target names) and \
            carries its rings and controls. Prints the rollout id.

            Examples:
              $ hallmark rollout capture dist/v1.2.0 --deployment-id greet-1.2.0 --change-record CHG-123 --key release.key
              $ hallmark rollout capture dist/v1.2.0 --deployment-id greet-1.2.0 --change-record CHG-123 \\
                  --environment production --status staged --key ops.key --release-key release.pub --out rollout
            """)

    @Argument(help: "The release directory.")
    var directory: String

    @Option(help: "The deployment's id (a name you choose).")
    var deploymentId: String

    @Option(help: "The change record this rollout is made under (e.g. CHG-123).")
    var changeRecord: String

    @Option(help: "The environment.")
    var environment: String = "production"

    @Option(help: "staged, succeeded or failed.")
    var status: String = "staged"

    @Option(help: "Signing key: a path or env://VAR (default: HALLMARK_SIGNING_KEY).")
    var key: String?

    @Option(parsing: .singleValue, help: "A key the release must be signed by (repeatable; default: --key's public half).")
    var releaseKey: [String] = []

    @Flag(help: "Capture a release without signatures (its checksums still verify). Unsafe.")
    var allowUnsignedRelease = false

    @Option(parsing: .singleValue, help: "A target to select (repeatable; default: every target of the manifest).")
    var target: [String] = []

    @Option(help: "Output directory (default: rollout-DEPLOYMENT_ID).")
    var out: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            guard let status = RolloutEvidence.Status(rawValue: status) else { throw .usage("--status must be staged, succeeded or failed") }
            let result = try RolloutCapture(context: context).capture(.init(
                releaseDirectory: directory, deploymentID: deploymentId, changeRecord: changeRecord, environment: environment, status: status,
                key: key, releaseKeys: releaseKey, allowUnsignedRelease: allowUnsignedRelease, targets: target, out: out))
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                Terminal.print(Terminal.oneLine("\(result.id) rollout \(result.status): \(result.release.name) \(result.release.version) → \(result.targets.count) target(s), written to \(result.out)"))
            }
        }
    }
}

struct RolloutVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a rollout directory, then index its record in the evidence store.",
        discussion: """
            Checks checksums.txt, the record's signature by a --key, the release copies it names, and its targets, \
            rings and controls against the deployment manifest. A verified record is appended to the evidence log \
            (once). Exit 1 when something does not verify.

            Examples:
              $ hallmark rollout verify rollout-greet-1.2.0 --key release.pub
              $ hallmark rollout verify rollout-greet-1.2.0 --key release.pub --store postgres://hallmark@db:5432/evidence \\
                  --metadata-json rollout-verify.json
            """)

    @Argument(help: "The rollout directory.")
    var directory: String

    @Option(parsing: .singleValue, help: "Trusted public key of the rollout's signer (repeatable).")
    var key: [String] = []

    @Option(help: "Also write the verification report (JSON) to this file.")
    var metadataJson: String?

    @Flag(help: "Verify only; do not index the record.")
    var noIndex = false

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let report = try await RolloutVerification(context: context).verify(
                directory: directory, keys: key, store: noIndex ? nil : store.options, metadataJSON: metadataJson)
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                if report.verified, let id = report.id {
                    let indexed = report.logIndex.map { " — indexed in \(report.store ?? "") at log index \($0)\(report.alreadyIndexed == true ? " (already there)" : "")" } ?? ""
                    Terminal.print(Terminal.oneLine("\(id) verified: \(report.release?.name ?? "") \(report.release?.version ?? ""), \(report.targets.count) target(s), change \(report.changeRecord ?? "")\(indexed)"))
                } else {
                    Terminal.printProblems(report.problems)
                }
            }
            if !report.verified { throw Terminal.failed(report.problems, subject: directory, format: output.format) }
        }
    }
}
