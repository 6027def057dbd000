import ArgumentParser
import Foundation
import HallmarkCore
import HallmarkEngine

struct SignBlobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-blob",
        abstract: "Write detached signatures: FILE.sig (base64), FILE.minisig (--format minisign) or a Sigstore bundle.",
        discussion: """
            Ed25519 signs the file's bytes; ECDSA signs their SHA-256 (DER), as `openssl dgst -sha256 -sign` does. \
            The key is a path or env://VAR; without --key, HALLMARK_SIGNING_KEY holds the PEM. Encrypted keys \
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

    @Option(name: .customLong("format"), help: "Signature format: hallmark (FILE.sig, base64) or minisign (FILE.minisig, prehashed).")
    var signatureFormat: SignatureFormat = .hallmark

    @Option(help: "minisign: the version to name in the trusted comment.")
    var releaseVersion: String?

    @Flag(help: "minisign: put the current time in the trusted comment (off by default: signatures stay reproducible).")
    var timestamp = false

    @Option(help: "minisign: the whole trusted comment (replaces file/version/timestamp).")
    var trustedComment: String?

    enum SignatureFormat: String, ExpressibleByArgument, CaseIterable { case hallmark, minisign }

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        try await Terminal.run { context async throws(HallmarkError) in
            let privateKey = try KeyResolver(context: context).signingKey(key)
            if signatureFormat == .minisign {
                var written: [MinisignOperations.Signed] = []
                for file in files {
                    written.append(try MinisignOperations(context: context).sign(
                        file: file, key: privateKey, output: files.count == 1 ? outputSignature : nil, version: releaseVersion,
                        timestamp: timestamp ? context.clock.now() : nil, trustedComment: trustedComment))
                }
                if json { try Terminal.printJSON(written, under: "signed") } else {
                    for s in written { Terminal.print("signed \(s.file) -> \(s.signature) (minisign, key \(s.keyId); trusted comment: \(s.trustedComment))") }
                }
                return
            }
            let signed: [BlobSigning.Signed]
            if let bundle {
                guard files.count == 1, outputSignature == nil else {
                    throw .usage("--bundle writes one bundle for one file (and replaces --output-signature)")
                }
                signed = [try BlobSigning(context: context).signBundle(file: files[0], key: privateKey, bundle: bundle)]
            } else {
                signed = try BlobSigning(context: context).sign(files: files, key: privateKey, outputSignature: outputSignature)
            }
            switch json {
            case true: try Terminal.printJSON(signed, under: "signed")
            case false: for s in signed { Terminal.print("signed \(s.file) -> \(s.signature) (\(s.algorithm), key \(s.keyId.prefix(16))…)") }
            }
        }
    }
}

struct VerifyBlobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-blob",
        abstract: "Verify a detached signature: Hallmark/cosign base64, openssl binary, minisign or signify.",
        discussion: """
            Reads Hallmark's and cosign's base64 signatures and the binary ones openssl writes: Ed25519, ECDSA \
            P-256/P-384 (DER or raw r||s) and RSA (PKCS#1 v1.5, or PSS with a digest-length salt). \
            Several --key options trust several keys; one valid signature by any of them verifies.

            minisign (.minisig, legacy and prehashed; the trusted comment is verified and shown) and signify \
            (.sig) signatures are recognised by their "untrusted comment:" line; their keys are minisign or signify \
            public key files (or Ed25519 PEM). The default signature is FILE.minisig when it exists, else FILE.sig. \
            --embedded verifies a signify -e signature (FILE is the signature) and --extract writes the message \
            once it verifies. --checksums verifies a signify-signed checksum list (FILE is LIST.sig, the list \
            embedded or beside it), then every file it names, like `signify -C`.

            Examples:
              $ hallmark verify-blob app.tar.gz --key release.pub
              $ openssl dgst -sha256 -sign ec.key -out app.sig app.tar.gz
              $ hallmark verify-blob app.tar.gz --key ec.pub --signature app.sig
              $ hallmark verify-blob minisign-0.11.tar.gz --key minisign.pub --prehashed-only
              $ hallmark verify-blob SHA256.sig --checksums --key openbsd-76-base.pub
            """)

    @Argument(help: "The signed file (or, with --embedded/--checksums, the signature).")
    var file: String

    @Option(parsing: .singleValue, help: "Trusted public key: a path or env://VAR (repeatable).")
    var key: [String] = []

    @Option(help: "The signature file (default FILE.minisig if present, else FILE.sig).")
    var signature: String?

    @Flag(help: "minisign: refuse legacy (non-prehashed) signatures, as minisign -H does.")
    var prehashedOnly = false

    @Flag(help: "signify: FILE is a signature with the message embedded (signify -S -e).")
    var embedded = false

    @Option(help: "With --embedded: write the verified message here.")
    var extract: String?

    @Flag(help: "signify: FILE is the signature of a checksum list; verify the list, then every file in it.")
    var checksums = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await Terminal.run(format: output.format) { context async throws(HallmarkError) in
            let minisign = MinisignOperations(context: context)
            if embedded {
                let result = try minisign.verifyEmbedded(signature: file, keyReferences: key, extractTo: extract)
                switch output.format {
                case .json: try Terminal.printJSON(result)
                case .text where result.verified: Terminal.print("Signature Verified" + (extract.map { ": message written to \($0)" } ?? ""))
                case .text: break
                }
                if !result.verified { throw Terminal.failed(result.problems, subject: file, format: output.format) }
                return
            }
            if checksums {
                let result = try minisign.verifyChecksumList(signature: file, keyReferences: key)
                switch output.format {
                case .json: try Terminal.printJSON(result)
                case .text:
                    if result.signatureVerified { Terminal.print("Signature Verified") }
                    for entry in result.files { Terminal.print("\(entry.file): \(entry.status)") }
                }
                if !result.verified { throw Terminal.failed(result.problems, subject: file, format: output.format) }
                return
            }
            let signatures = DetachedSignatures(context: context)
            let signaturePath: String
            if let signature { signaturePath = signature } else { signaturePath = try signatures.defaultSignature(for: file) }
            let outcome = try signatures.verify(file: file, signature: signaturePath, keyReferences: key, prehashedOnly: prehashedOnly)
            switch (outcome, output.format) {
            case (.minisign(let result), .json): try Terminal.printJSON(result)
            case (.raw(let result), .json): try Terminal.printJSON(result)
            case (.minisign(let result), .text) where result.verified:
                Terminal.print((result.format == "minisign" ? "Signature and comment signature verified: " : "Signature Verified: ")
                    + "\(file) (\(result.format), key \(result.keyId))")
                if let comment = result.trustedComment { Terminal.print("Trusted comment: \(comment)") }
            case (.raw(let result), .text) where result.verified:
                Terminal.print("Verified OK: \(result.file) (\(result.algorithm ?? "?"), key \(result.keyId ?? "?"))")
            case (_, .text): break
            }
            let result = outcome
            if !result.verified { throw Terminal.failed(result.problems, subject: file, format: output.format) }
        }
    }
}
