import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct VerifyProvenanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-provenance",
        abstract: "Verify SLSA provenance for an artifact: bundle, builder, subject, source and ref.",
        discussion: """
            The checks slsa-verifier makes, offline:
            - the bundle verifies as verify-bundle verifies it (certificate chain, transparency log, signing time),
              signed through GitHub Actions' OIDC issuer unless --key names a key;
            - the signer is a trusted builder: one of the slsa-github-generator workflows Hallmark trusts by
              default (generic, Go and container-based builders, and the two delegators; listed in DESIGN.md) at a
              release tag refs/tags/vX.Y.Z, or the --builder-id you trust (ID, ID@v2.1.0 or ID@refs/tags/v2.1.0);
            - the provenance (SLSA v1 or v0.2) names that builder;
            - the artifact is a subject, by any digest the Statement lists (sha256, sha384, sha512: npm lists
              sha512 only);
            - the source repository, ref and commit come from the signing certificate (never from the predicate,
              which the signer wrote), and the predicate agrees with them; --source-uri, --source-tag (exact),
              --source-versioned-tag (a semver prefix: v13 matches v13.0.30) and --source-branch are checked
              against them. With --key, the key is the trust and the predicate is read as written.
            --bundle takes a Sigstore bundle or an npm attestations file ({"attestations": [...]}). \
            Exit 0 verified, 1 failed, 2 bad input.

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

    @Option(help: "The expected tag, exactly.")
    var sourceTag: String?

    @Option(help: "The expected tag as a semver prefix: v1 matches v1.4.2, v1.4 matches v1.4.0.")
    var sourceVersionedTag: String?

    @Option(help: "The expected branch.")
    var sourceBranch: String?

    @Option(help: "The builder to trust and expect: ID, ID@v2.1.0 or ID@refs/tags/v2.1.0 (default: the builders Hallmark trusts).")
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

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let (verdict, report) = try await ProvenanceVerification(context: context).verify(.init(
                artifact: artifact, bundle: bundle, sourceURI: sourceURI, sourceTag: sourceTag, sourceVersionedTag: sourceVersionedTag,
                sourceBranch: sourceBranch, builderID: builderID, trustedRoot: trustedRoot, key: key, issuer: issuer))
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                Terminal.printProblems(verdict.problems)
                Terminal.printProblems(report.notes, label: "note")
                if let value = verdict.value {
                    Terminal.print("verified: \(artifact) built by \(value.builderID) (trusted by \(value.builderTrust)) from \(value.sourceRepository) at \(value.sourceRef ?? "?")" + (value.sourceCommit.map { " (\($0.prefix(12)))" } ?? ""))
                }
                if printProvenance, verdict.isVerified, let statement = report.statement {
                    Terminal.print(String(decoding: statement.prettyData, as: UTF8.self))
                }
            }
            if !verdict.isVerified { throw Terminal.failed(verdict.problems, subject: bundle, format: output.format) }
        }
    }
}
