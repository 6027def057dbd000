import ArgumentParser
import HallmarkCore
import HallmarkCrypto
import HallmarkEngine

struct VerifyProvenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-provenance",
        abstract: "Verify SLSA provenance for an artifact: bundle, builder, subject, source and ref.",
        discussion: """
            The checks slsa-verifier makes, offline: the bundle verifies (as verify-bundle, signed through GitHub
            Actions' OIDC issuer unless --key names a key); the provenance (SLSA v1 or v0.2) names the builder
            that signed it, and --builder-id when given (compared without its @ref unless it has one); the
            artifact's sha256 is a subject; the source repository is --source-uri; the ref is refs/tags/TAG or
            refs/heads/BRANCH when asked. Exit 0 verified, 1 failed, 2 bad input.

            Examples:
              $ hallmark verify-provenance app.tar.gz --bundle app.intoto.sigstore.json --source-uri github.com/org/repo \\
                  --source-tag v1.4.0 --builder-id https://github.com/org/repo/.github/workflows/release.yml
              $ hallmark verify-provenance app.tar.gz --bundle att.sigstore.json --key release.pub \\
                  --source-uri github.com/org/repo --print-provenance
            """)

    @Argument(help: "The artifact (a path, or sha256:<hex>).")
    var artifact: String

    @Option(help: "The Sigstore bundle holding the DSSE-signed provenance.")
    var bundle: String

    @Option(help: "The expected source repository, e.g. github.com/org/repo.")
    var sourceURI: String

    @Option(help: "The expected tag.")
    var sourceTag: String?

    @Option(help: "The expected branch.")
    var sourceBranch: String?

    @Option(help: "The expected builder id.")
    var builderID: String?

    @Option(help: "The Sigstore trusted_root.json (default: the one `hallmark trust update` installed).")
    var trustedRoot: String?

    @Option(help: "Verify a key-signed bundle with this public key instead of a certificate.")
    var key: String?

    @Option(name: .customLong("certificate-oidc-issuer"), help: "The OIDC issuer the builder's certificate must carry.")
    var issuer: String = "https://token.actions.githubusercontent.com"

    @Flag(help: "Print the verified in-toto Statement.")
    var printProvenance = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run { () throws(HallmarkError) in
            let result = try ProvenanceVerification(context: .current()).verify(.init(
                artifact: artifact, bundle: bundle, sourceURI: sourceURI, sourceTag: sourceTag, sourceBranch: sourceBranch,
                builderID: builderID, trustedRoot: trustedRoot, key: key, issuer: issuer))
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                for problem in result.problems { Terminal.print("problem: \(problem)") }
                if result.verified {
                    Terminal.print("verified: \(artifact) built by \(result.builderId ?? "?") from \(result.sourceRepository ?? "?") at \(result.sourceRef ?? "?")")
                }
                if printProvenance, let statement = result.statement {
                    Terminal.print(String(decoding: statement.prettyData, as: UTF8.self))
                }
            }
            if !result.verified {
                throw .verificationFailed(output.format == .json ? "" : "\(bundle): provenance verification FAILED: \(result.problems.first ?? "?")")
            }
        }
    }
}
