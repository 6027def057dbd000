import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild one target from a release's reproducibility manifest and compare digests.",
        discussion: """
            Clones the recorded repository (or --source) into a temporary directory, checks out the recorded \
            commit, runs the recorded command with the recorded environment, and compares the binary's sha256 \
            with the one in reproducibility.json. Exit 0 when they match; 1 with both digests when they differ \
            (the checkout and log are kept for inspection); 2 when the rebuild cannot run.

            Examples:
              $ hallmark rebuild dist/v1.4.0 --target linux/amd64
              $ hallmark rebuild v1.4.0 --target darwin/arm64 --source https://github.com/example/tool
            """)

    @Argument(help: "The release directory (holding reproducibility.json).")
    var directory: String

    @Option(help: "The target to rebuild, os/arch.")
    var target: String

    @Option(help: "The build id, when several builds make this target.")
    var build: String?

    @Option(help: "Clone from here instead of the recorded repository (path or URL).")
    var source: String?

    @Flag(help: "Keep the temporary checkout even when the digests match.")
    var keep = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let platform = try Platform(parsing: target)
            let result = try Rebuild(context: context).run(directory: directory, target: platform, build: build, source: source, keep: keep)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                Terminal.print("expected sha256 \(result.expectedSha256)")
                Terminal.print("rebuilt  sha256 \(result.actualSha256)")
                if let work = result.workDirectory { Terminal.print("checkout and log kept in \(work)") }
            }
            guard result.matched else {
                throw .verificationFailed(output.format == .json ? "" : "\(result.target) is NOT reproducible: the rebuilt binary's sha256 \(result.actualSha256) differs from the released \(result.expectedSha256)")
            }
            if output.format == .text { Terminal.print("reproducible: \(result.target) (\(result.build)) rebuilt from \(result.commit.prefix(12)) with the same sha256") }
        }
    }
}
