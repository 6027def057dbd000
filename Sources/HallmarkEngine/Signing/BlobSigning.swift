import Foundation
import HallmarkCore
import HallmarkCrypto

/// `hallmark sign-blob` / `verify-blob`: detached signatures, base64 text as cosign writes them.
public struct BlobSigning: Sendable {
    public var context: EngineContext

    public init(context: EngineContext) { self.context = context }

    /// One signature written.
    public struct Signed: Codable, Sendable {
        public var file: String
        public var signature: String
        public var algorithm: String
        public var keyId: String
    }

    /// Signs each file, writing `FILE.sig` (or `outputSignature`, for a single file).
    public func sign(files: [String], key: PrivateKey, outputSignature: String?) throws(HallmarkError) -> [Signed] {
        guard !files.isEmpty else { throw .usage("name at least one file to sign") }
        if outputSignature != nil && files.count > 1 {
            throw .usage("--output-signature names one file; with several files each gets FILE.sig")
        }
        var staged: [FileIO.StagedFile] = []
        var signed: [Signed] = []
        do {
            for file in files {
                let path = try context.resolve(file)
                guard FileIO.isFile(path) else { throw HallmarkError.io("\(file): No such file (nothing to sign)") }
                let signature = try key.signature(forFileAt: path)
                let target = outputSignature ?? file + ".sig"
                staged.append(try FileIO.stage(Data((Base64.encode(signature) + "\n").utf8), for: try context.resolve(target)))
                signed.append(Signed(file: file, signature: target, algorithm: key.algorithm.signatureAlgorithmName, keyId: key.publicKey.keyID))
            }
        } catch let error as HallmarkError {
            FileIO.discard(staged)
            throw error
        } catch {
            FileIO.discard(staged)
            throw .io("\(error)")
        }
        try FileIO.commit(staged)
        return signed
    }

    /// Signs `file` into a Sigstore bundle (v0.3, public-key hint, message signature) written to `bundle`.
    public func signBundle(file: String, key: PrivateKey, bundle: String) throws(HallmarkError) -> Signed {
        let path = try context.resolve(file)
        guard FileIO.isFile(path) else { throw .io("\(file): No such file (nothing to sign)") }
        let signature = try key.signature(forFileAt: path)
        let digest = try FileHasher.hexDigest(ofFileAt: path, algorithm: .sha256, display: file)
        let json = KeyedBundle.messageSignature(digest: Hex.decode(digest) ?? [], signature: signature, keyHint: key.publicKey.keyID)
        try FileIO.writeAtomically(json.prettyData, to: try context.resolve(bundle))
        return Signed(file: file, signature: bundle, algorithm: key.algorithm.signatureAlgorithmName, keyId: key.publicKey.keyID)
    }

    /// The outcome of verifying one detached signature.
    public struct Verification: Codable, Sendable {
        public var file: String
        public var signature: String
        public var verified: Bool
        /// The trusted key that verified it, when one did.
        public var keyId: String?
        public var algorithm: String?
        public var reason: String?
        public var schemaVersion = VerificationReportSchema.version
        public var problems: [VerificationProblem] = []
    }

    /// Verifies `file` against the signature in `signature` (default `FILE.sig`) with any of `keys`.
    public func verify(file: String, signature: String?, keys: [PublicKey]) throws(HallmarkError) -> Verification {
        guard !keys.isEmpty else { throw .usage("pass --key with the signer's public key") }
        let signaturePath = signature ?? file + ".sig"
        let filePath = try context.resolve(file)
        guard FileIO.isFile(filePath) else { throw .io("\(file): No such file or directory") }
        let signatureData = try FileIO.read(try context.resolve(signaturePath), display: signaturePath, limit: 64 << 10)
        let candidates = SignatureEncoding.candidates(fromFileContents: signatureData)
        guard !candidates.isEmpty else { throw .invalidInput("\(signaturePath): the signature file is empty") }
        // Ed25519 needs the bytes themselves, the other algorithms only digests: read the file at most once each way.
        var mapped: SignedContent?
        var digested: SignedContent?
        for key in keys {
            let content: SignedContent
            if key.algorithm == .ed25519 {
                if mapped == nil { mapped = try SignedContent.file(at: filePath, for: key) }
                content = mapped!
            } else {
                if digested == nil { digested = try SignedContent.file(at: filePath, for: key) }
                content = digested!
            }
            for candidate in candidates where key.isValidSignature(candidate, for: content) {
                return Verification(file: file, signature: signaturePath, verified: true, keyId: key.keyID,
                                    algorithm: key.algorithm.rawValue, reason: nil)
            }
        }
        let algorithms = Set(keys.map(\.algorithm.rawValue)).sorted().joined(separator: ", ")
        let rsaHint = keys.contains { $0.algorithm == .rsa }
            ? " (RSA-PSS signatures must use a digest-length salt: openssl dgst -sigopt rsa_pss_saltlen:digest)" : ""
        let reason = "\(signaturePath) is not a valid signature of \(file) by the given key (\(algorithms)): the file or signature was changed, or another key signed it\(rsaHint)"
        return Verification(
            file: file, signature: signaturePath, verified: false, keyId: nil, algorithm: nil, reason: reason,
            problems: [VerificationProblem(.signatureInvalid, reason, file: signaturePath)])
    }
}
