import ArgumentParser
import HallmarkCore
import HallmarkCrypto
import HallmarkEngine

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Generate and inspect signing keys.",
        subcommands: [KeysGenerateCommand.self, KeysIDCommand.self])
}

extension KeyAlgorithm: ExpressibleByArgument {}

struct KeysGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a key pair: NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub (SPKI PEM).",
        discussion: """
            Prints the key id: the hex SHA-256 of the public key's SubjectPublicKeyInfo DER.
            With --encrypt the private key is PKCS#8 PBES2 (PBKDF2-SHA256, AES-256-CBC), encrypted with the
            passphrase in HALLMARK_KEY_PASSWORD; openssl reads it.

            Examples:
              $ hallmark keys generate --out release
              $ hallmark keys generate --algorithm ecdsa-p256 --out ci-signing
              $ HALLMARK_KEY_PASSWORD=… hallmark keys generate --out release --encrypt
            """)

    @Option(help: "ed25519 (default) or ecdsa-p256 (ecdsa-p384 also accepted).")
    var algorithm: KeyAlgorithm = .ed25519

    @Option(help: "Path of the key pair, without extension.")
    var out: String

    @Flag(help: "Encrypt the private key with the passphrase in HALLMARK_KEY_PASSWORD.")
    var encrypt = false

    @Flag(help: "Replace existing files.")
    var force = false

    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run { () throws(HallmarkError) in
            let result = try KeyGeneration(context: .current()).run(
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

struct KeysIDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Print a key's id (hex SHA-256 of its SubjectPublicKeyInfo DER) and algorithm.",
        discussion: """
            Examples:
              $ hallmark keys id release.pub
              $ hallmark keys id env://HALLMARK_SIGNING_KEY
            """)

    @Argument(help: "A public or private key: a path or env://VAR.")
    var key: String

    @OptionGroup var output: OutputOptions

    struct Info: Encodable {
        var keyId: String
        var algorithm: String
        var publicKey: String
    }

    func run() throws {
        try Terminal.run { () throws(HallmarkError) in
            let publicKey = try KeyResolver(context: .current()).publicKey(key)
            let info = Info(keyId: publicKey.keyID, algorithm: publicKey.algorithm.rawValue, publicKey: publicKey.pemText)
            switch output.format {
            case .json: try Terminal.printJSON(info)
            case .text: Terminal.print("\(info.keyId)  \(info.algorithm)")
            }
        }
    }
}
