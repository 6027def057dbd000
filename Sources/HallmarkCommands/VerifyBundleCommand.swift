import ArgumentParser
import HallmarkCore
import HallmarkCrypto
import HallmarkEngine

struct VerifyBundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-bundle",
        abstract: "Verify a Sigstore bundle offline: signature, signer identity, transparency log and timestamps.",
        discussion: """
            Checks, without any network access: the signature over the artifact (or the DSSE envelope, whose
            in-toto Statement must name the artifact); the signing certificate's chain to a Fulcio CA in the
            trusted root, valid at the verified signing time (from the log's signed entry timestamp or an RFC 3161
            timestamp, never "now"), its embedded SCT, identity and OIDC issuer; and each transparency log entry:
            its body matches the bundle, its inclusion proof leads to a checkpoint signed by the log. A bundle
            signed with a plain key is verified with --key instead of the identity flags.

            ARTIFACT is a path, or sha256:<hex> when only the digest is at hand.
            Exit codes: 0 verified, 1 verification failed, 2 bad input.

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

    @Option(name: .customLong("certificate-github-workflow-trigger")) var workflowTrigger: String?
    @Option(name: .customLong("certificate-github-workflow-sha")) var workflowSHA: String?
    @Option(name: .customLong("certificate-github-workflow-name")) var workflowName: String?
    @Option(name: .customLong("certificate-github-workflow-repository")) var workflowRepository: String?
    @Option(name: .customLong("certificate-github-workflow-ref")) var workflowRef: String?

    @Option(help: "Verify a key-signed bundle with this public key (path or env://VAR) instead of an identity.")
    var key: String?

    @Option(help: "The Sigstore trusted_root.json to trust.")
    var trustedRoot: String?

    @Argument(help: "The artifact: a path, or sha256:<hex>.")
    var artifact: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run { () throws(HallmarkError) in
            var claims: [(arc: UInt, name: String, value: String)] = []
            for (value, entry) in zip([workflowTrigger, workflowSHA, workflowName, workflowRepository, workflowRef], BundleVerification.githubClaims) {
                if let value { claims.append((entry.arc, entry.name, value)) }
            }
            let result = try BundleVerification(context: .current()).verify(.init(
                bundle: bundle, artifact: artifact, trustedRoot: trustedRoot, key: key, identity: identity,
                identityRegex: identityRegex, issuer: issuer, claims: claims))
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                for problem in result.problems { Terminal.print("problem: \(problem)") }
                if result.verified {
                    var line = "verified: \(artifact)"
                    if let identity = result.identity { line += " signed by \(identity)" + (result.issuer.map { " (issuer \($0))" } ?? "") }
                    if let key = result.keyId, result.identity == nil { line += " signed by key \(key.prefix(16))…" }
                    if let time = result.signingTime { line += " at \(time) (\(result.signingTimeSource ?? "?"))" }
                    if let index = result.logIndex { line += ", log index \(index)" }
                    Terminal.print(line)
                }
            }
            if !result.verified {
                throw .verificationFailed(output.format == .json ? "" : "\(bundle): verification FAILED: \(result.problems.first ?? "?")")
            }
        }
    }
}
