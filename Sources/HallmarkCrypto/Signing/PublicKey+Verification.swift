import Crypto
import CryptoExtras
import Foundation
import HallmarkCore

/// What a message is, for verification: its bytes, or only its digests (large files are streamed once).
/// Digests of in-memory bytes are computed only when a key asks for them (Ed25519 never does).
public struct SignedContent: Sendable {
    /// The full bytes, when they are at hand (needed for Ed25519).
    public var bytes: Data?
    private var storedSHA256: SHA256.Digest?
    private var storedSHA384: SHA384.Digest?
    private var storedSHA512: SHA512.Digest?

    /// Content held in memory.
    public init(bytes: Data) {
        self.bytes = bytes
    }

    init(sha256: SHA256.Digest, sha384: SHA384.Digest, sha512: SHA512.Digest) {
        storedSHA256 = sha256
        storedSHA384 = sha384
        storedSHA512 = sha512
    }

    var sha256: SHA256.Digest { storedSHA256 ?? SHA256.hash(data: bytes ?? Data()) }
    var sha384: SHA384.Digest { storedSHA384 ?? SHA384.hash(data: bytes ?? Data()) }
    var sha512: SHA512.Digest { storedSHA512 ?? SHA512.hash(data: bytes ?? Data()) }

    /// A file's content: mapped for Ed25519 keys, digests computed in one read for the others.
    public static func file(at path: String, for key: PublicKey) throws(HallmarkError) -> SignedContent {
        if key.algorithm == .ed25519 {
            do {
                return SignedContent(bytes: try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped))
            } catch {
                throw .io("\(path): cannot read the file: \(error.localizedDescription)")
            }
        }
        let digests = try FileHasher.multiDigest(ofFileAt: path)
        return SignedContent(sha256: digests.sha256, sha384: digests.sha384, sha512: digests.sha512)
    }
}

extension PublicKey {
    /// Whether `signature` is a valid signature of `content` by this key.
    ///
    /// Ed25519: raw 64 bytes over the message. ECDSA: DER or raw r‖s, over SHA-256 (and SHA-384 for P-384).
    /// RSA: PKCS#1 v1.5 over SHA-256/384/512, or PSS with SHA-256 and a digest-length salt.
    public func isValidSignature(_ signature: [UInt8], for content: SignedContent) -> Bool {
        switch backing {
        case .ed25519(let k):
            guard signature.count == 64, let bytes = content.bytes else { return false }
            return k.isValidSignature(signature, for: bytes)
        case .p256(let k):
            guard let s = Self.ecdsaSignature(signature, rawLength: 64, make: P256.Signing.ECDSASignature.init(rawRepresentation:),
                                              der: P256.Signing.ECDSASignature.init(derRepresentation:)) else { return false }
            return k.isValidSignature(s, for: content.sha256)
        case .p384(let k):
            guard let s = Self.ecdsaSignature(signature, rawLength: 96, make: P384.Signing.ECDSASignature.init(rawRepresentation:),
                                              der: P384.Signing.ECDSASignature.init(derRepresentation:)) else { return false }
            return k.isValidSignature(s, for: content.sha384) || k.isValidSignature(s, for: content.sha256)
        case .rsa(let k):
            let s = _RSA.Signing.RSASignature(rawRepresentation: signature)
            let sha256 = content.sha256
            return k.isValidSignature(s, for: sha256, padding: .insecurePKCS1v1_5)
                || k.isValidSignature(s, for: sha256, padding: .PSS)
                || k.isValidSignature(s, for: content.sha384, padding: .insecurePKCS1v1_5)
                || k.isValidSignature(s, for: content.sha512, padding: .insecurePKCS1v1_5)
        }
    }

    /// Convenience for in-memory messages.
    public func isValidSignature(_ signature: [UInt8], for message: some DataProtocol) -> Bool {
        isValidSignature(signature, for: SignedContent(bytes: Data(message)))
    }

    private static func ecdsaSignature<S>(
        _ bytes: [UInt8], rawLength: Int, make: ([UInt8]) throws -> S, der: ([UInt8]) throws -> S
    ) -> S? {
        if bytes.count == rawLength, case .success(let s) = Result(catching: { try make(bytes) }) { return s }
        switch Result(catching: { try der(bytes) }) {
        case .success(let s): return s
        case .failure: return nil
        }
    }
}

/// Reading detached signature files in the forms tools write them.
public enum SignatureEncoding {
    /// The candidate signature bytes in a signature file: base64 text (as Hallmark and cosign write) decoded,
    /// and the raw bytes (as `openssl dgst -sign` writes). Verifiers accept either.
    public static func candidates(fromFileContents data: Data) -> [[UInt8]] {
        var out: [[UInt8]] = []
        let isText = data.allSatisfy { $0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x3D || $0 == 0x2B || $0 == 0x2F
            || $0 == 0x2D || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
        if isText, let decoded = Base64.decode(String(decoding: data, as: UTF8.self)), !decoded.isEmpty {
            out.append(Array(decoded))
        }
        if !data.isEmpty { out.append(Array(data)) }
        return out
    }
}
