import ArgumentParser
import HallmarkCore
import HallmarkEngine

struct SignBlobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-blob",
        abstract: "Write detached signatures (FILE.sig, base64 of the raw signature).",
        discussion: """
            Ed25519 signs the file's bytes; ECDSA signs their SHA-256 (DER), as `openssl dgst -sha256 -sign` does.
            The key is a path or env://VAR; without --key, HALLMARK_SIGNING_KEY holds the PEM. Encrypted keys
            take their passphrase from HALLMARK_KEY_PASSWORD.

            Examples:
              $ hallmark sign-blob app.tar.gz --key release.key
              $ hallmark sign-blob app.tar.gz --key env://SIGNING_KEY --output-signature app.sig
              $ hallmark sign-blob app.tar.gz --key release.key --bundle app.tar.gz.sigstore.json
              $ openssl pkeyutl -verify -pubin -inkey release.pub -rawin -in app.tar.gz -sigfile <(base64 -d app.tar.gz.sig)
            """)

    @Argument(help: "Files to sign.")
    var files: [String]

    @Option(help: "Private key: a path or env://VAR (default: HALLMARK_SIGNING_KEY).")
    var key: String?

    @Option(help: "Where to write the signature (one file only; default FILE.sig).")
    var outputSignature: String?

    @Option(help: "Write a Sigstore bundle (v0.3, public-key hint) instead of FILE.sig; one file only.")
    var bundle: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run { () throws(HallmarkError) in
            let context = EngineContext.current()
            let privateKey = try KeyResolver(context: context).signingKey(key)
            let signed: [BlobSigning.Signed]
            if let bundle {
                guard files.count == 1, outputSignature == nil else {
                    throw .usage("--bundle writes one bundle for one file (and replaces --output-signature)")
                }
                signed = [try BlobSigning(context: context).signBundle(file: files[0], key: privateKey, bundle: bundle)]
            } else {
                signed = try BlobSigning(context: context).sign(files: files, key: privateKey, outputSignature: outputSignature)
            }
            switch output.format {
            case .json: try Terminal.printJSON(signed)
            case .text: for s in signed { Terminal.print("signed \(s.file) -> \(s.signature) (\(s.algorithm), key \(s.keyId.prefix(16))…)") }
            }
        }
    }
}

struct VerifyBlobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-blob",
        abstract: "Verify a detached signature (base64 or binary) with a public key.",
        discussion: """
            Reads Hallmark's and cosign's base64 signatures and the binary ones openssl writes: Ed25519, ECDSA
            P-256/P-384 (DER or raw r||s) and RSA (PKCS#1 v1.5, or PSS with a digest-length salt).
            Several --key options trust several keys; one valid signature by any of them verifies.

            Examples:
              $ hallmark verify-blob app.tar.gz --key release.pub
              $ openssl dgst -sha256 -sign ec.key -out app.sig app.tar.gz
              $ hallmark verify-blob app.tar.gz --key ec.pub --signature app.sig
            """)

    @Argument(help: "The signed file.")
    var file: String

    @Option(parsing: .singleValue, help: "Trusted public key: a path or env://VAR (repeatable).")
    var key: [String] = []

    @Option(help: "The signature file (default FILE.sig).")
    var signature: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run { () throws(HallmarkError) in
            let context = EngineContext.current()
            let keys = try KeyResolver(context: context).publicKeys(key)
            let result = try BlobSigning(context: context).verify(file: file, signature: signature, keys: keys)
            switch output.format {
            case .json: try Terminal.printJSON(result)
            case .text where result.verified:
                Terminal.print("Verified OK: \(result.file) (\(result.algorithm ?? "?"), key \(result.keyId ?? "?"))")
            case .text: break
            }
            if !result.verified {
                throw .verificationFailed(output.format == .json ? "" : (result.reason ?? "verification failed"))
            }
        }
    }
}
