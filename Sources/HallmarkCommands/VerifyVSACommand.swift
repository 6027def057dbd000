import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct VerifyVSACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-vsa",
        abstract: "Verify a SLSA Verification Summary Attestation (VSA v1) signed with a key.",
        discussion: """
            The checks slsa-verifier's verify-vsa makes, offline: the DSSE envelope is signed by --key (ECDSA \
            signatures in ASN.1 DER or raw r‖s, Ed25519, RSA) through a signature whose keyid is --key-id (default: \
            the key's SSH fingerprint, SHA256:…; a signature naming no key id is tried with any key); the payload is \
            an in-toto Statement with predicate type https://slsa.dev/verification_summary/v1; some subject lists \
            every --subject-digest; the verifier id and resource URI are the expected ones; the result is PASSED; \
            and every --verified-level is granted (SLSA_<TRACK>_LEVEL_<n> implies the lower levels of its track; \
            other levels match exactly). Exit 0 verified, 1 failed, 2 bad input.

            Examples:
              $ hallmark verify-vsa --attestation-path vsa.jsonl --key vsa.pub \\
                  --subject-digest sha256:9f2c… --verifier-id https://verifier.example/v1 \\
                  --resource-uri pkg:npm/example@1.0.0 --verified-level SLSA_BUILD_LEVEL_2
            """)

    @Option(name: [.customLong("attestation-path"), .customLong("attestation")], help: "The DSSE envelope holding the VSA (.json or .jsonl).")
    var attestation: String

    @Option(name: [.customLong("key"), .customLong("public-key-path")], help: "The verifier's public key (PEM; a path or env://VAR).")
    var key: String

    @Option(name: [.customLong("key-id"), .customLong("public-key-id")], help: "The key id the envelope's signature names (default: the key's SSH fingerprint).")
    var keyID: String?

    @Option(parsing: .singleValue, help: "A digest some subject must list, TYPE:VALUE (repeatable; at least one).")
    var subjectDigest: [String] = []

    @Option(help: "The verifier that must have made the summary.")
    var verifierID: String

    @Option(help: "The resource the summary must be about.")
    var resourceURI: String

    @Option(parsing: .singleValue, help: "A level the summary must grant (repeatable).")
    var verifiedLevel: [String] = []

    @Flag(help: "Print the verified Statement.")
    var printAttestation = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let (verdict, report) = try VSAVerification(context: context).verify(.init(
                attestation: attestation, key: key, keyID: keyID, subjectDigests: subjectDigest, verifierID: verifierID,
                resourceURI: resourceURI, verifiedLevels: verifiedLevel))
            switch output.format {
            case .json: try Terminal.printJSON(report)
            case .text:
                Terminal.printProblems(verdict.problems)
                if let value = verdict.value {
                    Terminal.print("verified: \(attestation): \(value.verifierID) PASSED \(value.resourceURI) at \(value.verifiedLevels.joined(separator: ", ")) (key \(value.keyID))")
                    if printAttestation { Terminal.print(String(decoding: value.statement.prettyData, as: UTF8.self)) }
                }
            }
            if !verdict.isVerified { throw Terminal.failed(verdict.problems, subject: attestation, format: output.format) }
        }
    }
}
