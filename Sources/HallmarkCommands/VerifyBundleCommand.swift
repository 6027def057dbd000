import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct VerifyBundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Verify a Sigstore bundle offline: signature, signer identity, transparency log and timestamps.",
        discussion: """
            Checks, without any network access: the signature over the artifact (or the DSSE envelope, whose \
            in-toto Statement must name the artifact); the signing certificate's chain to a Fulcio CA in the \
            trusted root, valid at the verified signing time (from the log's signed entry timestamp or an RFC 3161 \
            timestamp, never "now"), its embedded SCT, identity and OIDC issuer; and each transparency log entry: \
            its body matches the bundle, its inclusion proof leads to a checkpoint signed by the log. A bundle \
            signed with a plain key is verified with --key instead of the identity flags.

            Defaults, as the reference clients: a certificate-signed bundle needs at least one verified \
            transparency-log entry (--min-tlog-entries) and one verified signing time (--min-timestamps: signed \
            entry timestamps and RFC 3161 timestamps; one per timestamp authority counts). Every log entry present \
            must verify; a timestamp that does not verify is not counted, and is reported as a note. With --key \
            the key is the trust: no log entry or timestamp is required, but those present are verified. \
            --insecure-ignore-tlog accepts a certificate-signed bundle without a log entry (unsafe: nothing \
            shows the signature was made public).

            ARTIFACT is a path, or sha256:<hex> (also sha384:, sha512:) when only a digest is at hand. \
            Problems carry stable codes (certificate.unparsable, signature.invalid, tlog.missing, \
            identity.mismatch…; DESIGN.md lists them). Exit codes: 0 verified, 1 verification failed, 2 bad \
            input (a malformed bundle or certificate, a bad flag).

            Examples:
              $ hallmark verify-bundle --bundle app.sigstore.json --trusted-root trusted_root.json \\
                  --certificate-identity https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1.4.0 \\
                  --certificate-oidc-issuer https://token.actions.githubusercontent.com app.tar.gz
              $ hallmark verify-bundle --bundle app.sigstore.json --trusted-root trusted_root.json --key release.pub \\
                  sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf
            """)

    @Option(help: "The Sigstore bundle (.sigstore.json).")
    var bundle: String

    @Option(name: .customLong("certificate-identity"), help: "The signer's identity (certificate SAN), exactly.")
    var identity: String?

    @Option(name: .customLong("certificate-identity-regexp"), help: "The signer's identity, as a regular expression matched whole.")
    var identityRegex: String?

    @Option(name: .customLong("certificate-oidc-issuer"), help: "The OIDC issuer Fulcio recorded.")
    var issuer: String?

    @Option(name: .customLong("certificate-oidc-issuer-regexp"), help: "The OIDC issuer, as a regular expression matched whole.")
    var issuerRegex: String?

    @Option(name: .customLong("certificate-github-workflow-trigger")) var workflowTrigger: String?
    @Option(name: .customLong("certificate-github-workflow-sha")) var workflowSHA: String?
    @Option(name: .customLong("certificate-github-workflow-name")) var workflowName: String?
    @Option(name: .customLong("certificate-github-workflow-repository")) var workflowRepository: String?
    @Option(name: .customLong("certificate-github-workflow-ref")) var workflowRef: String?

    @Option(help: "Verify a key-signed bundle with this public key (path or env://VAR) instead of an identity.")
    var key: String?

    @Option(help: "The Sigstore trusted_root.json to trust.")
    var trustedRoot: String?

    @Option(help: "Verified transparency-log entries required (default: 1 with a certificate, 0 with --key).")
    var minTlogEntries: Int?

    @Option(help: "Verified signing times required (default: 1 with a certificate, 0 with --key).")
    var minTimestamps: Int?

    @Flag(help: "Unsafe: accept a certificate-signed bundle without any transparency-log entry.")
    var insecureIgnoreTlog = false

    @Argument(help: "The artifact: a path, or sha256:<hex>.")
    var artifact: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let claims = BundleVerification.githubClaims(
                trigger: workflowTrigger, sha: workflowSHA, name: workflowName, repository: workflowRepository, ref: workflowRef)
            let (verdict, report) = try await BundleVerification(context: context).verify(.init(
                bundle: bundle, artifact: artifact, trustedRoot: trustedRoot, key: key, identity: identity,
                identityRegex: identityRegex, issuer: issuer, issuerRegex: issuerRegex, claims: claims,
                minTransparencyLogEntries: minTlogEntries, minTimestamps: minTimestamps, insecureIgnoreTransparencyLog: insecureIgnoreTlog))
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                Terminal.printProblems(verdict.problems)
                Terminal.printProblems(report.notes, label: "note")
                if verdict.isVerified {
                    var line = "verified: \(artifact)"
                    if let identity = report.identity { line += " signed by \(identity)" + (report.issuer.map { " (issuer \($0))" } ?? "") }
                    if let key = report.keyId, report.identity == nil { line += " signed by key \(key.prefix(16))…" }
                    if let time = report.signingTime { line += " at \(time) (\(report.signingTimeSource ?? "?"))" }
                    if let index = report.logIndex { line += ", log index \(index)" }
                    if insecureIgnoreTlog && report.verifiedLogEntries == 0 { line += " — WITHOUT a transparency-log entry (--insecure-ignore-tlog)" }
                    Terminal.print(line)
                }
            }
            if !verdict.isVerified { throw Terminal.failed(verdict.problems, subject: bundle, format: output.format) }
        }
    }
}
