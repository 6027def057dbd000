import Crypto
import Foundation
import HallmarkCore

extension PrivateKey {
    /// Signs a message. Ed25519 signs the bytes themselves (deterministic, raw 64 bytes); ECDSA signs their
    /// SHA-256 (P-256) or SHA-384 (P-384) and returns DER, as `openssl dgst -sha256 -sign` does.
    public func signature(for message: some DataProtocol) throws(HallmarkError) -> [UInt8] {
        do {
            switch backing {
            case .ed25519(let k): return Array(try k.signature(for: message))
            case .p256(let k): return Array(try k.signature(for: SHA256.hash(data: message)).derRepresentation)
            case .p384(let k): return Array(try k.signature(for: SHA384.hash(data: message)).derRepresentation)
            }
        } catch {
            throw .io("signing failed: \(error)")
        }
    }

    /// Signs a file's content without holding it whole in memory where the algorithm allows: ECDSA keys sign
    /// the file's digest, computed while streaming; Ed25519 (which must see every byte) reads the file mapped.
    public func signature(forFileAt path: String) throws(HallmarkError) -> [UInt8] {
        switch backing {
        case .ed25519:
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            } catch {
                throw .io("\(path): cannot read the file to sign: \(error.localizedDescription)")
            }
            return try signature(for: data)
        case .p256(let k):
            let digest = try FileHasher.sha256Digest(ofFileAt: path)
            do { return Array(try k.signature(for: digest).derRepresentation) } catch { throw .io("signing failed: \(error)") }
        case .p384(let k):
            let digest = try FileHasher.sha384Digest(ofFileAt: path)
            do { return Array(try k.signature(for: digest).derRepresentation) } catch { throw .io("signing failed: \(error)") }
        }
    }
}
