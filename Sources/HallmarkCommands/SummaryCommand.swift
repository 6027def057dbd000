import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct SummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Summarize a release (release-summary.md and .json) and check a published listing.",
        discussion: """
            Writes release-summary.md and release-summary.json into --out (default: the release directory's \
            parent, so the release itself stays unchanged). With --remote-assets LIST (one asset name, path or URL \
            per line, as `gh release view --json assets -q '.assets[].name'` prints), it fails, exit 1, naming \
            every release file the listing lacks.

            Examples:
              $ hallmark summary dist/v1.4.0
              $ hallmark summary dist/v1.4.0 --remote-assets published.txt --format json
            """)

    @Argument(help: "The release directory.")
    var directory: String

    @Option(help: "A file listing the published assets, one per line.")
    var remoteAssets: String?

    @Option(help: "Where to write the summary files.")
    var out: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let result = try ReleaseSummary(context: context).summarize(directory: directory, remoteAssets: remoteAssets, outDirectory: out)
            let summary = result.summary
            switch output.format {
            case .json: try Terminal.printJSON(summary)
            case .text:
                Terminal.print("\(summary.name ?? "release") \(summary.version ?? ""): \(summary.files.count) files, \(summary.artifacts.count) archives, \(summary.signed ? "signed" : "unsigned")")
                Terminal.print("wrote \(result.markdownPath) and \(result.jsonPath)")
            }
            if !summary.missingRemote.isEmpty {
                throw .verificationFailed(output.format == .json ? "" : "\(remoteAssets ?? "the listing") lacks \(summary.missingRemote.count) release file\(summary.missingRemote.count == 1 ? "" : "s"): \(summary.missingRemote.joined(separator: ", "))")
            }
        }
    }
}
