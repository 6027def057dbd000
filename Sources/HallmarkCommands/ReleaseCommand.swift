import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Build, package, describe, sign and verify a release from hallmark.yml.",
        discussion: """
            Steps: version-guard → test command → build every target (in parallel) → archives → index.json → \
            SPDX SBOM → reproducibility.json → SLSA provenance → release evidence → release notes → checksums.txt \
            and signatures → `hallmark verify` of the result. Everything happens in DIST/.hallmark-work/VERSION/ \
            (build logs stay there); DIST/VERSION/ is replaced only when every step has passed.

            --dry-run runs every step but signs nothing (and tolerates a missing tag or a dirty tree, with a \
            warning), so CI can prove the pipeline without a key. Progress goes to stderr; --format json prints \
            the result on stdout.

            Examples:
              $ hallmark release --version v1.4.0 --key release.key
              $ hallmark release --version v1.4.0 --dry-run
              $ hallmark release --version v1.4.0 --dry-run --targets linux/amd64,darwin/arm64 --output /tmp/out
            """)

    @Option(help: "The version to release (semver, usually the tag, e.g. v1.4.0).")
    var version: String

    @Option(help: "The config file.")
    var config: String = "hallmark.yml"

    @Flag(help: "Run every step but sign nothing.")
    var dryRun = false

    @Option(help: "Only these targets, comma-separated os/arch.")
    var targets: String?

    @Option(help: "Directory to put DIST/VERSION in (default: the config's dist, beside the config).")
    var output: String?

    @Option(help: "Signing key: a path or env://VAR (default: signing.key in the config, then HALLMARK_SIGNING_KEY).")
    var key: String?

    @Flag(help: "Release from a work tree with uncommitted changes.")
    var allowDirty = false

    @Flag(help: "Do not run the config's test command.")
    var skipTests = false

    @Flag(name: .shortAndLong, help: "No progress on stderr.")
    var quiet = false

    @OptionGroup var format: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            var platforms: [Platform]?
            if let targets {
                var list: [Platform] = []
                for item in targets.split(separator: ",") {
                    list.append(try Platform(parsing: item.trimmingCharacters(in: .whitespaces)))
                }
                guard !list.isEmpty else { throw .usage("--targets is empty") }
                platforms = list
            }
            let options = ReleasePipeline.Options(
                version: version, configPath: config, dryRun: dryRun, targets: platforms, output: output,
                allowDirty: allowDirty, keyReference: key, skipTests: skipTests)
            let quiet = self.quiet
            let result = try await ReleasePipeline(context: context).run(options) { event in
                Progress.report(event, quiet: quiet)
            }
            switch format.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                let total = result.steps.reduce(0) { $0 + $1.seconds }
                Terminal.print("\(result.dryRun ? "dry run: " : "")released \(result.name) \(result.version): \(result.artifacts.count) archives, \(result.files.count) files in \(result.directory) (\(String(format: "%.1f", total)) s)")
                for artifact in result.artifacts {
                    Terminal.print("  \(artifact.os)/\(artifact.arch)  \(artifact.file)  \(artifact.sha256)")
                }
                if let key = result.keyId {
                    Terminal.print("signed with key \(key); verify with: hallmark verify \(result.directory) --key PUBLIC_KEY")
                } else {
                    Terminal.print("nothing was signed (dry run); check with: hallmark verify \(result.directory) --allow-unsigned")
                }
                Terminal.print("build logs: \(result.logs)")
            }
        }
    }
}

/// Progress lines on stderr while the pipeline runs.
enum Progress {
    static func report(_ event: ReleasePipeline.Event, quiet: Bool) {
        switch event {
        case .warning(let message):
            Terminal.warning("warning: \(message)")
        case .logTail(let path, let text):
            Terminal.warning("last lines of \(path):")
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) { Terminal.warning("    " + line) }
        case .step(let number, let total, let name):
            if !quiet { Terminal.warning("[\(number)/\(total)] \(name)…") }
        case .stepDone(let name, let seconds, let detail):
            if !quiet { Terminal.warning("      \(name) done in \(String(format: "%.2f", seconds)) s: \(detail)") }
        case .target(let platform, let build, let seconds, let ok, let done, let total):
            if !quiet || !ok {
                Terminal.warning("      build \(build) \(platform) \(ok ? "ok" : "FAILED") in \(String(format: "%.2f", seconds)) s (\(done)/\(total))")
            }
        }
    }
}
