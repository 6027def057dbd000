import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Manage the Sigstore trust material verify-bundle uses.",
        subcommands: [TrustUpdateCommand.self])
}

struct TrustUpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Install trusted_root.json from a local TUF mirror, verified from a root you trust.",
        discussion: """
            Starting from --root (a TUF root.json you already trust), walks N.root.json in the mirror: each new
            version must be exactly one higher and signed by a threshold of both the previous root's and its own
            root keys. Then the timestamp, snapshot and targets metadata (and delegations) must be signed by their
            roles, unexpired at --now (default: the clock), with matching versions, lengths and hashes; the target
            file's length and hashes must match. Only then is the target installed (default: trusted_root.json into
            $HALLMARK_TRUST_DIR, $XDG_CONFIG_HOME/hallmark or ~/.config/hallmark), where verify-bundle finds it.
            No network: copy the mirror (metadata/ and targets/) in first.

            Examples:
              $ hallmark trust update --tuf mirror/ --root sigstore-root.json
              $ hallmark trust update --tuf mirror/ --root root.json --now 2025-02-09T12:02:08Z --out trusted_root.json
            """)

    @Option(help: "The TUF repository mirror (a directory with metadata/ and targets/).")
    var tuf: String

    @Option(help: "The root metadata you trust to start from.")
    var root: String

    @Option(help: "The target to install.")
    var target: String = "trusted_root.json"

    @Option(help: "Where to install it (default: the trust directory).")
    var out: String?

    @Option(help: "Check expiry against this time (RFC 3339) instead of the clock.")
    var now: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run { () throws(HallmarkError) in
            var clock = Date()
            if let now {
                guard let parsed = RFC3339.parse(now) else { throw .usage("--now \(now) is not an RFC 3339 time (e.g. 2025-02-09T12:02:08Z)") }
                clock = parsed
            }
            let result = try TrustUpdate(context: .current()).update(repository: tuf, initialRoot: root, now: clock, target: target, output: out)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                let walked = result.rootsWalked.isEmpty ? "no newer root" : "roots \(result.rootsWalked.map(String.init).joined(separator: ", "))"
                Terminal.print("verified root v\(result.rootVersion) (\(walked); expires \(result.rootExpires)), timestamp v\(result.timestampVersion), snapshot v\(result.snapshotVersion), targets v\(result.targetsVersion)")
                Terminal.print("installed \(result.target) (sha256 \(result.sha256), from role \(result.targetRole)) at \(result.installedAt)")
            }
        }
    }
}
