import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct AttestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attest",
        abstract: "Sign an in-toto Statement v1 about files, in a DSSE envelope (.intoto.jsonl).",
        discussion: """
            The Statement's subjects are the files' names and sha256 digests; its payload is RFC 8785 canonical \
            JSON; the envelope's signature covers the DSSE PAE bytes.

            Examples:
              $ hallmark attest --predicate-type https://slsa.dev/provenance/v1 --predicate predicate.json \\
                  --subject app.tar.gz --key release.key --output app.intoto.jsonl
            """)

    @Option(help: "The predicate type URI.")
    var predicateType: String

    @Option(help: "A JSON file holding the predicate object.")
    var predicate: String

    @Option(parsing: .singleValue, help: "A file the Statement is about (repeatable).")
    var subject: [String] = []

    @Option(help: "Private key: a path or env://VAR (default: HALLMARK_SIGNING_KEY).")
    var key: String?

    @Option(help: "Where to write the envelope.")
    var output: String

    @Option(help: "Also write the envelope as a Sigstore bundle (v0.3, DSSE, public-key hint).")
    var bundle: String?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        if subject.isEmpty { throw ValidationError("name at least one --subject file") }
    }

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let privateKey = try KeyResolver(context: context).signingKey(key)
            let keyID = try KeyInspection(context: context).signingKeyID(key)
            let envelope = try Attestation(context: context).attest(
                predicateType: predicateType, predicateFile: predicate, subjects: subject, key: privateKey, output: output,
                bundle: bundle)
            switch outputOptions.format {
            case .json: try Terminal.printJSON(envelope, under: "envelope")
            case .text: Terminal.print("wrote \(output): \(subject.count) subject(s), key \(keyID.prefix(16))…")
            }
        }
    }
}

struct VerifyAttestationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-attestation",
        abstract: "Verify a DSSE-signed in-toto Statement: signature, subjects and predicate type.",
        discussion: """
            Checks that a trusted key signed the PAE bytes, that the payload is a valid in-toto Statement, that \
            every --subject file's sha256 is one of its subjects, and the predicate type when given.

            Examples:
              $ hallmark verify-attestation app.intoto.jsonl --key release.pub --subject app.tar.gz
              $ hallmark verify-attestation provenance.intoto.jsonl --key release.pub \\
                  --predicate-type https://slsa.dev/provenance/v1 --format json
            """)

    @Argument(help: "The envelope file (.intoto.jsonl or .json).")
    var file: String

    @Option(parsing: .singleValue, help: "Trusted public key: a path or env://VAR (repeatable).")
    var key: [String] = []

    @Option(parsing: .singleValue, help: "A file that must be a subject (repeatable).")
    var subject: [String] = []

    @Option(help: "The predicate type the Statement must have.")
    var predicateType: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let keys = try KeyResolver(context: context).publicKeys(key)
            let result = try Attestation(context: context).verify(
                file: file, keys: keys, subjects: subject, predicateType: predicateType)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text where result.verified:
                Terminal.print("Verified OK: \(file): \(result.predicateType ?? "?") about \(result.subjects.count) subject(s), key \(result.keyIds.first?.prefix(16) ?? "?")…")
            case .text: break
            }
            if !result.verified {
                if output.format == .text { Terminal.printProblems(result.problems) }
                throw Terminal.failed(result.problems, subject: file, format: output.format)
            }
        }
    }
}
