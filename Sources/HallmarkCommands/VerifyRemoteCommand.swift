import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct VerifyRemoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-remote",
        abstract: "Download a published release and verify it as `hallmark verify` would.",
        discussion: """
            Fetches checksums.txt, signatures.json, index.json and every file they name from URL (http or https), \
            four at a time, hashing each while it downloads, with size caps (an archive may not exceed the size \
            index.json states), a timeout and up to three attempts on timeouts and 5xx answers. Missing (404), \
            truncated, swapped and tampered files are named. Then the downloaded copy gets every check of \
            `hallmark verify` (checksums, signatures, metadata cross-checks). With --report-dir, also writes \
            remote-verify.json and remote-verify.md there (nothing is written unless asked; --format json prints \
            the same report).

            oci://HOST[:PORT]/REPOSITORY:TAG (or @sha256:DIGEST): reads the release's manifest (one pinned by \
            digest must hash to it), then fetches every layer as the file named by its \
            org.opencontainers.image.title, checking each blob's size and sha256 against its descriptor while it \
            downloads; then the same checks. Releases pushed by `hallmark publish` and by `oras push` both work. \
            The report names the manifest digest. Credentials as for `hallmark publish`.

            Examples:
              $ hallmark verify-remote https://downloads.example.com/greet/v1.4.0/ --key release.pub
              $ hallmark verify-remote http://127.0.0.1:8000/v1.4.0 --key release.pub --out mirror/v1.4.0
              $ hallmark verify-remote oci://registry.example.com/acme/greet:v1.4.0 --key release.pub
              $ hallmark verify-remote "$(cat dist/release-url.txt)" --key release.pub
            """)

    @Argument(help: "The published release: an http(s) URL of the directory holding checksums.txt, or oci://HOST/REPO:TAG|@DIGEST.")
    var url: String

    @Option(parsing: .singleValue, help: "Trusted public key (repeatable).")
    var key: [String] = []

    @Flag(help: "Accept a release without signatures (checksums only).")
    var allowUnsigned = false

    @Option(help: "Keep the downloaded files in this (new or empty) directory.")
    var out: String?

    @Option(help: "Where to write remote-verify.json and remote-verify.md.")
    var reportDir: String?

    @Option(help: "Seconds before a request times out.")
    var timeout: Int64 = 30

    @OptionGroup var registry: RegistryOptions

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let report = try await RemoteVerification(context: context).verify(
                url: url, keys: key, allowUnsigned: allowUnsigned, out: out, reportDirectory: reportDir,
                registry: try registry.access(timeout: timeout))
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                Terminal.printProblems(report.problems)
                if report.verified {
                    let count = report.manifestDigest == nil ? report.files.count + 1 : report.files.count
                    Terminal.print("verified: \(count) files from \(url)" + (report.manifestDigest.map { " (manifest \($0))" } ?? ""))
                }
            }
            if !report.verified { throw Terminal.failed(report.problems, subject: url, format: output.format) }
        }
    }
}
