import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct VersionGuardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version-guard",
        abstract: "Check that a version is fit to release from this work tree.",
        discussion: """
            Always: the version is semver 2.0 (a leading v is allowed), HEAD is a commit, and the work tree is \
            clean (unless --allow-dirty). --require-v: it starts with v. --match-ref: it equals the tag being built \
            (CI_COMMIT_TAG, GITHUB_REF_NAME for tags, GITHUB_REF=refs/tags/…, else a tag at HEAD). --require-tag: \
            the tag exists and points at HEAD. Exit 0 when every check passes, 2 otherwise.

            Examples:
              $ hallmark version-guard v1.4.0 --require-v --require-tag
              $ hallmark version-guard "$GITHUB_REF_NAME" --match-ref --format json
            """)

    @Argument(help: "The version, e.g. v1.4.0.")
    var version: String

    @Flag(help: "The version must start with v.")
    var requireV = false

    @Flag(help: "The version must equal the tag being built.")
    var matchRef = false

    @Flag(help: "The tag must exist and point at HEAD.")
    var requireTag = false

    @Flag(help: "Accept uncommitted changes.")
    var allowDirty = false

    @Option(help: "The work tree to check.")
    var directory: String = "."

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let report = try VersionGuard(context: context).check(
                version: version, directory: directory,
                options: .init(requireV: requireV, matchRef: matchRef, requireTag: requireTag, allowDirty: allowDirty))
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                for check in report.checks { Terminal.print("\(check.passed ? "ok  " : "FAIL") \(check.name): \(check.detail)") }
            }
            if let failure = report.failures.first {
                throw .invalidInput(output.format == .json ? "" : "version-guard: \(failure.detail)")
            }
        }
    }
}
