import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct AirGapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airgap",
        abstract: "Carry a release into a restricted network in one zip, and check it there before extracting.",
        subcommands: [AirGapBundleCommand.self, AirGapVerifyCommand.self])
}

struct AirGapBundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Pack a verified release, its keys, a required-file list and VERIFY.md into one zip.",
        discussion: """
            The release must verify with the keys first. The zip holds release/ (every file), trust/keys/KEYID.pub, \
            trust/trusted_root.json (with --trusted-root), VERIFY.md and REQUIRED-FILES.txt (sha256 of all of \
            them). Its bytes depend only on the release.

            Examples:
              $ hallmark airgap bundle dist/v1.4.0 --key release.pub --out release-v1.4.0.zip
            """)

    @Argument(help: "The release directory.")
    var directory: String

    @Option(parsing: .singleValue, help: "The release's public key (repeatable).")
    var key: [String] = []

    @Option(help: "A Sigstore trusted_root.json to carry along.")
    var trustedRoot: String?

    @Option(help: "The zip to write.")
    var out: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let result = try AirGap(context: context).bundle(directory: directory, keys: key, trustedRoot: trustedRoot, output: out)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text: Terminal.print("wrote \(result.output): \(result.files) files, sha256 \(result.sha256)")
            }
        }
    }
}

struct AirGapVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an air-gap bundle before extracting anything; extract only when everything passes.",
        discussion: """
            Refuses the zip if any member is unsafe (.., absolute paths, links, duplicate names, more than the caps \
            on entries, sizes or compression ratio). Then every file in REQUIRED-FILES.txt must be present with its \
            sha256 and nothing else may be there; then the release must verify (checksums, signatures, metadata) \
            with --key, a key you obtained through your own channel. Only then is it moved into --extract DIR (a \
            new directory). The keys inside the zip prove nothing (anyone who can write the zip can write them): \
            --insecure-use-embedded-keys checks the release against them anyway, and the result is reported as \
            "self-vouched", never as verified.

            Examples:
              $ hallmark airgap verify release-v1.4.0.zip --key release.pub --extract /srv/releases/v1.4.0
            """)

    @Argument(help: "The bundle zip.")
    var bundle: String

    @Option(parsing: .singleValue, help: "The release's public key, from your own channel (repeatable).")
    var key: [String] = []

    @Option(help: "Extract the verified bundle into this new directory.")
    var extract: String?

    @Flag(help: "Unsafe: check the release against the keys inside the zip (the result is self-vouched, not verified).")
    var insecureUseEmbeddedKeys = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let result = try AirGap(context: context).verify(
                bundle: bundle, keys: key, extract: extract, insecureUseEmbeddedKeys: insecureUseEmbeddedKeys)
            for warning in result.warnings { Terminal.warning("WARNING: \(warning.message) [\(warning.code.rawValue)]") }
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                Terminal.printProblems(result.problems)
                let extracted = result.extractedTo.map { "; extracted to \($0)" } ?? ""
                switch result.outcome {
                case .verified:
                    Terminal.print("verified \(bundle): \(result.requiredFiles) required files, release signed (keys from \(result.keySource))" + extracted)
                case .selfVouched:
                    Terminal.print("NOT verified \(bundle): consistent with the keys it carries itself (self-vouched)" + extracted)
                case .failed: break
                }
            }
            if result.outcome == .failed {
                throw HallmarkError(
                    .verificationFailed,
                    output.format == .json ? "" : "\(bundle): verification FAILED, nothing extracted: \(result.problems.first?.message ?? "?")",
                    problem: result.problems.first?.code)
            }
        }
    }
}
