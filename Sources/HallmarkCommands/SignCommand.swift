import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign every file of a release directory.",
        discussion: """
            Writes checksums.txt when it is missing (an existing one must list exactly the directory's files), \
            FILE.sig for every listed file and for checksums.txt, and signatures.json. Nothing is written unless \
            every step succeeds.

            Examples:
              $ hallmark sign dist/v1.4.0 --key release.key
              $ HALLMARK_SIGNING_KEY="$(cat release.key)" hallmark sign dist/v1.4.0
            """)

    @Argument(help: "The release directory.")
    var directory: String

    @Option(help: "Private key: a path or env://VAR (default: HALLMARK_SIGNING_KEY).")
    var key: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let privateKey = try KeyResolver(context: context).signingKey(key)
            let result = try ReleaseSigning(context: context).sign(directory: directory, key: privateKey)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                if result.wroteChecksums { Terminal.print("wrote \(directory)/checksums.txt") }
                Terminal.print("signed \(result.signed.count) files in \(directory) with key \(result.keyId) (\(result.algorithm))")
            }
        }
    }
}
