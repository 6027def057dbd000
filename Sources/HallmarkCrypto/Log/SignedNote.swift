import Crypto
import Foundation
import HallmarkCore

/// Checkpoints in the C2SP tlog-checkpoint format, signed as C2SP signed notes with an Ed25519 key: the body
/// (origin, tree size, base64 root hash, each on its own line), a blank line, and `— NAME BASE64(keyID[4] ‖ sig)`.
public enum SignedNote {
    /// The checkpoint body for `origin`, `size` and `root`.
    public static func checkpointBody(origin: String, size: Int64, root: Data) -> String {
        "\(origin)\n\(size)\n\(root.base64EncodedString())\n"
    }

    /// The signed-note key id: the first four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ Ed25519 public key).
    public static func keyID(name: String, key: PublicKey) throws(HallmarkError) -> [UInt8] {
        guard let raw = key.rawEd25519 else { throw .invalidKey("a log key must be Ed25519 (signed notes use Ed25519)") }
        return Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + raw).prefix(4))
    }

    /// The verifier key in the signed-note text form: `NAME+HEX(keyID)+BASE64(0x01 ‖ key)`.
    public static func verifierKey(name: String, key: PublicKey) throws(HallmarkError) -> String {
        let id = try keyID(name: name, key: key)
        guard let raw = key.rawEd25519 else { throw .invalidKey("a log key must be Ed25519") }
        return "\(name)+\(Hex.encode(id))+\(Data([0x01] + raw).base64EncodedString())"
    }

    /// Signs a checkpoint: the note text with one signature line by `name`.
    public static func signCheckpoint(origin: String, size: Int64, root: Data, name: String, key: PrivateKey) throws(HallmarkError) -> String {
        let body = checkpointBody(origin: origin, size: size, root: root)
        let signature = try key.signature(for: Data(body.utf8))
        let id = try keyID(name: name, key: key.publicKey)
        return body + "\n\u{2014} \(name) \(Data(id + signature).base64EncodedString())\n"
    }

    /// A checkpoint whose signature line by `name` verifies with `key`, parsed; throws when it is malformed or
    /// no such line verifies.
    public static func verifiedCheckpoint(_ text: String, name: String, key: PublicKey, source: String) throws(HallmarkError) -> TransparencyLog.Checkpoint {
        let checkpoint: TransparencyLog.Checkpoint
        do {
            checkpoint = try TransparencyLog.Checkpoint(parsing: text)
        } catch {
            throw .verificationFailed("\(source): \(error.message)", problem: .evidenceCheckpointInvalid)
        }
        let id = try keyID(name: name, key: key)
        let signed = checkpoint.signatures.contains { line in
            line.name == name && line.keyHint == id && key.isValidSignature(line.signature, for: checkpoint.body)
        }
        guard signed else {
            throw .verificationFailed("\(source): no signature by \(name) verifies with the log key (the checkpoint was changed, or another key signed it)", problem: .evidenceCheckpointInvalid)
        }
        return checkpoint
    }
}
