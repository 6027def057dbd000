import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Generate and inspect signing keys.",
        subcommands: [KeysGenerateCommand.self, KeysIDCommand.self, KeysPublicCommand.self])
}

extension KeyGeneration.Algorithm: ExpressibleByArgument {}
extension KeyInspection.PublicFormat: ExpressibleByArgument {}

struct KeysGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a key pair: NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub (SPKI PEM).",
        discussion: """
            Prints the key id: the hex SHA-256 of the public key's SubjectPublicKeyInfo DER. \
            With --encrypt the private key is PKCS#8 PBES2 (PBKDF2-SHA256, AES-256-CBC), encrypted with the \
            passphrase in HALLMARK_KEY_PASSWORD; openssl reads it.

            Examples:
              $ hallmark keys generate --out release
              $ hallmark keys generate --algorithm ecdsa-p256 --out ci-signing
              $ HALLMARK_KEY_PASSWORD=… hallmark keys generate --out release --encrypt
            """)

    @Option(help: "ed25519 (default) or ecdsa-p256 (ecdsa-p384 also accepted).")
    var algorithm: KeyGeneration.Algorithm = .ed25519

    @Option(help: "Path of the key pair, without extension.")
    var out: String

    @Flag(help: "Encrypt the private key with the passphrase in HALLMARK_KEY_PASSWORD.")
    var encrypt = false

    @Flag(help: "Replace existing files.")
    var force = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let result = try KeyGeneration(context: context).run(
                .init(algorithm: algorithm, output: out, encrypt: encrypt, overwrite: force))
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text:
                Terminal.print(result.keyId)
                Terminal.warning("wrote \(result.privateKey) (private, keep it secret) and \(result.publicKey) (public, \(result.algorithm))")
            }
        }
    }
}

struct KeysIDCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Print a key's id (hex SHA-256 of its SubjectPublicKeyInfo DER) and algorithm.",
        discussion: """
            With --format json, also the key's SSH fingerprint (SHA256:…, as ssh-keygen -l prints it): the key id \
            DSSE envelopes signed with go-securesystemslib carry by default, and verify-vsa's default --key-id.

            Examples:
              $ hallmark keys id release.pub
              $ hallmark keys id env://HALLMARK_SIGNING_KEY
            """)

    @Argument(help: "A public or private key: a path or env://VAR.")
    var key: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let info = try KeyInspection(context: context).info(key)
            switch output.format {
            case .json: try Terminal.printJSON(info)
            case .text: Terminal.print("\(info.keyId)  \(info.algorithm)")
            }
        }
    }
}

struct KeysPublicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "public",
        abstract: "Print a public key in the form another tool reads: PEM, minisign or signify.",
        discussion: """
            KEY is a private or public key (a path or env://VAR). minisign and signify keys are Ed25519; their key \
            id is the first 8 bytes of the SHA-256 of the key's SubjectPublicKeyInfo, the same id \
            `sign-blob --format minisign` writes.

            Examples:
              $ hallmark keys public release.key > release.pub
              $ hallmark keys public release.key --format minisign > release.minisign.pub
              $ minisign -V -p release.minisign.pub -m app.tar.gz
              $ hallmark keys public release.pub --format signify > release.signify.pub
            """)

    @Argument(help: "The key: a path or env://VAR.")
    var key: String

    @Option(help: "pem, minisign or signify.")
    var format: KeyInspection.PublicFormat = .pem

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            Terminal.print(try KeyInspection(context: context).publicKeyText(key, format: format).trimmingSuffixNewlines)
        }
    }
}

extension String {
    var trimmingSuffixNewlines: String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
