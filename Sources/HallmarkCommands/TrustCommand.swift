import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Manage the Sigstore trust material verify-bundle uses.",
        subcommands: [TrustUpdateCommand.self, TrustConformanceClientCommand.self])
}

struct TrustUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Install trusted_root.json from a TUF repository, verified by a TUF client with trusted state.",
        discussion: """
            Runs the TUF client workflow against --tuf (an http(s) URL, or a local copy with metadata/ and \
            targets/): walks N.root.json from the trusted root (each version one higher, signed by a threshold of \
            the previous root's and its own root keys), then timestamp, snapshot, targets and delegations, each \
            signed by a threshold of distinct keys of its role, unexpired at --now (default: the clock), with no \
            version rolled back below what the state trusts, and the versions, lengths and hashes their parents \
            state. The target's length and hashes must match. Only then is it installed (default: \
            trusted_root.json into $HALLMARK_TRUST_DIR, $XDG_CONFIG_HOME/hallmark or ~/.config/hallmark), where \
            verify-bundle finds it. The TUF state lives in tuf/ beside the installed file: the first update needs \
            --root (a TUF root.json you trust); later ones start from the state (a --root given then must be a \
            root the state has trusted).

            Examples:
              $ hallmark trust update --tuf https://tuf-repo-cdn.sigstore.dev --root sigstore-root.json
              $ hallmark trust update --tuf https://tuf-repo-cdn.sigstore.dev
              $ hallmark trust update --tuf mirror/ --root root.json --now 2025-02-09T12:02:08Z --out trusted_root.json
            """)

    @Option(help: "The TUF repository: an http(s) URL (targets under URL/targets/) or a directory with metadata/ and targets/.")
    var tuf: String

    @Option(help: "The root metadata you trust to start from (needed when there is no TUF state yet).")
    var root: String?

    @Option(help: "The target to install.")
    var target: String = "trusted_root.json"

    @Option(help: "Where to install it (default: the trust directory); the TUF state is kept in tuf/ beside it.")
    var out: String?

    @Option(help: "Check expiry against this time (RFC 3339) instead of the clock.")
    var now: String?

    @Option(help: "Seconds allowed for each file from an http(s) repository, its whole body included.")
    var timeout: Int64 = 30

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let result = try await TrustUpdate(context: context).update(
                repository: tuf, initialRoot: root, now: try ReferenceTime.parse(now, clock: context.clock), target: target, output: out,
                timeoutSeconds: timeout)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                let walked = result.rootsWalked.isEmpty ? "no newer root" : "roots \(result.rootsWalked.map(String.init).joined(separator: ", "))"
                Terminal.print("verified root v\(result.rootVersion) (\(walked); expires \(result.rootExpires)), timestamp v\(result.timestampVersion), snapshot v\(result.snapshotVersion), targets v\(result.targetsVersion)")
                Terminal.print("installed \(Terminal.oneLine(result.target)) (sha256 \(result.sha256), from role \(Terminal.oneLine(result.targetRole))) at \(Terminal.oneLine(result.installedAt))")
            }
        }
    }
}

/// `--now`: an RFC 3339 time, or the context's clock.
enum ReferenceTime {
    static func parse(_ text: String?, clock: any EngineClock) throws(HallmarkError) -> Date {
        guard let text else { return clock.now() }
        guard let parsed = RFC3339.parse(text) else { throw .usage("--now \(text) is not an RFC 3339 time (e.g. 2025-02-09T12:02:08Z)") }
        return parsed
    }
}

/// The tuf-conformance suite's client CLI (CLIENT-CLI.md), on the same client as `trust update`:
/// `--metadata-dir D init ROOT`, `--metadata-url U --metadata-dir D refresh`,
/// `--metadata-url U --metadata-dir D --target-name N… --target-base-url U --target-dir D download`.
/// Exit 0 on success, 1 on any failure. Hidden: it exists for `scripts/tuf-conformance-client`.
struct TrustConformanceClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance-client",
        abstract: "The tuf-conformance client protocol (init, refresh, download), for scripts/tuf-conformance-client.",
        shouldDisplay: false)

    @Option var metadataDir: String
    @Option var metadataUrl: String?
    @Option var targetName: [String] = []
    @Option var targetBaseUrl: String?
    @Option var targetDir: String?
    @Flag(name: .shortAndLong) var verbose: Int
    @Argument(help: "init ROOT | refresh | download") var words: [String]

    func run() async throws {
        let context = EngineContext.commandLine()
        let outcome: Result<[String], HallmarkError>
        do {
            outcome = .success(try await perform(context))
        } catch {
            outcome = .failure(error)
        }
        await context.close()
        switch outcome {
        case .success(let notes):
            notes.forEach { Terminal.warning($0) }
        case .failure(let error):
            Terminal.error(error.message)
            throw ExitCode(1)
        }
    }

    /// One step of the protocol; the notes the client made along the way.
    func perform(_ context: EngineContext) async throws(HallmarkError) -> [String] {
        let client = try TUFConformanceClient(context: context, metadataDirectory: metadataDir)
        switch (words.first, words.count) {
            case ("init", 2):
                try client.initialize(trustedRoot: words[1])
                return []
            case ("refresh", 1):
                guard let metadataUrl else { throw .usage("refresh needs --metadata-url") }
                return try await client.refresh(metadataURL: metadataUrl, now: context.clock.now())
            case ("download", 1):
                guard let metadataUrl, let targetBaseUrl, let targetDir, !targetName.isEmpty else {
                    throw .usage("download needs --metadata-url, --target-name, --target-base-url and --target-dir")
                }
                return try await client.download(
                    metadataURL: metadataUrl, targets: targetName, targetsURL: targetBaseUrl, targetDirectory: targetDir,
                    now: context.clock.now())
            default:
                throw .usage("expected init ROOT, refresh or download, not \(words.joined(separator: " "))")
            }
    }
}
