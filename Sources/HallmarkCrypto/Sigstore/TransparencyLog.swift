import Crypto
import Foundation
import HallmarkCore

/// RFC 6962 / 9162 Merkle inclusion proofs, signed-note checkpoints and Rekor signed entry timestamps.
public enum TransparencyLog {
    public static func leafHash(_ body: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: [0x00] + body)) }

    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: [0x01] + left + right)) }

    /// The root an inclusion proof computes for `leaf` at `index` in a tree of `size` (RFC 9162 §2.1.3.2), or nil
    /// when the proof has the wrong length for that position.
    public static func rootFromInclusionProof(leaf: [UInt8], index: Int64, size: Int64, proof: [[UInt8]]) -> [UInt8]? {
        guard index >= 0, index < size, proof.allSatisfy({ $0.count == 32 }) else { return nil }
        var fn = UInt64(index)
        var sn = UInt64(size - 1)
        var r = leaf
        for p in proof {
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// A checkpoint in the signed-note format: origin, tree size, root hash, optional extension lines, a blank
    /// line, then signature lines `— NAME BASE64(keyhint[4] ‖ signature)`.
    public struct Checkpoint: Sendable {
        public var origin: String
        public var size: Int64
        public var rootHash: [UInt8]
        /// The signed text: every body line with its newline.
        public var body: [UInt8]
        public var signatures: [(name: String, keyHint: [UInt8], signature: [UInt8])]

        public init(parsing text: String) throws(HallmarkError) {
            func bad(_ why: String) -> HallmarkError { .verificationFailed("checkpoint: malformed: \(why)") }
            guard let split = text.range(of: "\n\n") else { throw bad("no blank line between the body and the signatures") }
            let bodyText = String(text[..<split.lowerBound]) + "\n"
            let lines = bodyText.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            guard lines.count >= 3 else { throw bad("too few lines (origin, size and root hash are required)") }
            guard !lines[0].isEmpty else { throw bad("empty origin") }
            guard let size = Int64(lines[1]), size >= 0 else { throw bad("\"\(lines[1])\" is not a tree size") }
            guard let root = Base64.decode(lines[2]), root.count == 32 else { throw bad("\"\(lines[2])\" is not a base64 SHA-256 root hash") }
            origin = lines[0]
            self.size = size
            rootHash = Array(root)
            body = Array(bodyText.utf8)
            var sigs: [(String, [UInt8], [UInt8])] = []
            for line in text[split.upperBound...].split(separator: "\n") {
                guard line.hasPrefix("\u{2014} ") else { throw bad("signature line does not start with an em dash") }
                let parts = line.dropFirst(2).split(separator: " ")
                guard parts.count == 2, let raw = Base64.decode(String(parts[1])), raw.count > 4 else { throw bad("malformed signature line") }
                sigs.append((String(parts[0]), Array(raw.prefix(4)), Array(raw.dropFirst(4))))
            }
            guard !sigs.isEmpty else { throw bad("no signature lines") }
            signatures = sigs
        }

        /// Whether a signature line by the log itself (its origin name and key) verifies. Other lines (witness
        /// cosignatures) are ignored.
        /// The signer's name must be the origin or the log's host name (Rekor v1 signs as its host, its origin
        /// adding the tree id).
        public func isSigned(by log: TrustedRoot.LogKey) -> Bool {
            let url = URL(string: log.baseURL)
            let host = (url?.host ?? log.baseURL) + (url?.port.map { ":\($0)" } ?? "")
            return signatures.contains { line in
                (line.name == origin || line.name == host) && Self.keyHints(name: line.name, key: log).contains(line.keyHint)
                    && log.key.isValidSignature(line.signature, for: body)
            }
        }

        /// The key hints a log's signatures may carry: the signed-note key id (Ed25519: SHA-256 of
        /// name ‖ 0x0A ‖ 0x01 ‖ key), and Rekor's (the first four bytes of the log id).
        static func keyHints(name: String, key: TrustedRoot.LogKey) -> [[UInt8]] {
            var hints = [Array(key.logID.prefix(4))]
            if let raw = key.key.rawEd25519 {
                hints.append(Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + raw).prefix(4)))
            }
            hints.append(Array(SHA256.hash(data: key.spki).prefix(4)))
            return hints
        }
    }

    /// The bytes a Rekor signed entry timestamp signs: canonical JSON of body, integratedTime, logID, logIndex.
    public static func signedEntryTimestampPayload(body: [UInt8], integratedTime: Int64, logID: [UInt8], logIndex: Int64) -> [UInt8] {
        let value: JSONValue = .object([
            "body": .string(Base64.encode(body)),
            "integratedTime": .number(String(integratedTime)),
            "logID": .string(Hex.encode(logID)),
            "logIndex": .number(String(logIndex)),
        ])
        return Array(value.canonicalData)
    }
}
