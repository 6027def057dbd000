import Crypto
import Foundation
import HallmarkCore

/// minisign and signify keys and signatures. Both are Ed25519: a public key is base64(`Ed` ‖ key id[8] ‖ key[32]);
/// a signature is base64(algorithm[2] ‖ key id[8] ‖ signature[64]) after an `untrusted comment:` line. minisign
/// adds a trusted comment and a global signature over signature ‖ trusted comment; its `ED` algorithm signs the
/// BLAKE2b-512 of the message, `Ed` (legacy, and signify) the message itself.
public enum Minisign {
    static func lines(_ text: String) -> [String] {
        // "\r\n" is one Character in Swift: split on it as well as on "\n".
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line in
            var s = String(line)
            while s.hasSuffix("\r") { s.removeLast() }
            return s
        }
    }

    /// Strict standard base64 (minisign refuses the URL-safe alphabet).
    static func base64(_ text: String) -> [UInt8]? {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
        guard !text.isEmpty, text.allSatisfy(allowed.contains), text.count % 4 == 0 else { return nil }
        return Data(base64Encoded: text).map(Array.init)
    }

    /// The key id as minisign prints it: the 8 stored bytes, little-endian, in upper-case hex.
    public static func keyIDText(_ id: [UInt8]) -> String { Hex.encode(id.reversed()).uppercased() }

    public struct PublicKey: Sendable {
        public var keyID: [UInt8]
        public var raw: [UInt8]
        public var key: HallmarkCrypto.PublicKey

        /// From a minisign or signify public key file, or a bare base64 key.
        public init(parsing text: String, source: String) throws(HallmarkError) {
            let content = Minisign.lines(text).filter { !$0.isEmpty }
            guard let first = content.first else { throw .invalidKey("\(source): empty public key file") }
            let encoded: String
            if first.hasPrefix("untrusted comment:") {
                guard content.count == 2 else { throw .invalidKey("\(source): a minisign/signify public key file has a comment line and one key line") }
                encoded = content[1]
            } else {
                guard content.count == 1 else { throw .invalidKey("\(source): not a minisign or signify public key") }
                encoded = first
            }
            guard let bytes = Minisign.base64(encoded), bytes.count == 42, bytes[0] == 0x45, bytes[1] == 0x64 else {
                throw .invalidKey("\(source): not a minisign/signify Ed25519 public key (expected base64 of \"Ed\", an 8-byte key id and 32 key bytes)")
            }
            keyID = Array(bytes[2..<10])
            raw = Array(bytes[10...])
            key = try HallmarkCrypto.PublicKey(rawEd25519: raw, source: source)
        }

        public init(key: HallmarkCrypto.PublicKey, keyID: [UInt8]) throws(HallmarkError) {
            guard let raw = key.rawEd25519 else { throw .invalidKey("minisign and signify keys are Ed25519; this key is \(key.algorithm.rawValue)") }
            self.keyID = keyID
            self.raw = raw
            self.key = key
        }

        var encoded: String { Base64.encode(Data([0x45, 0x64] + keyID + raw)) }

        public var minisignText: String { "untrusted comment: minisign public key \(Minisign.keyIDText(keyID))\n\(encoded)\n" }
        public var signifyText: String { "untrusted comment: signify public key\n\(encoded)\n" }
    }

    /// Hallmark's key id for an Ed25519 key in these formats: the first 8 bytes of its SPKI's SHA-256.
    public static func keyID(for key: HallmarkCrypto.PublicKey) -> [UInt8] { Array(SHA256.hash(data: key.spkiDER).prefix(8)) }

    public struct Signature: Sendable {
        public var algorithm: String
        public var keyID: [UInt8]
        public var signature: [UInt8]
        public var untrustedComment: String
        public var trustedComment: String?
        public var globalSignature: [UInt8]?
        /// signify `-e`: the message carried after the signature lines.
        public var embeddedMessage: Data?

        public var isPrehashed: Bool { algorithm == "ED" }

        /// A minisign signature file: exactly four lines (trailing empty lines and CRs allowed).
        public init(minisign text: String, source: String) throws(HallmarkError) {
            func bad(_ why: String) -> HallmarkError { .invalidInput("\(source): not a minisign signature: \(why)") }
            var lines = Minisign.lines(text)
            while lines.last == "" { lines.removeLast() }
            guard lines.count == 4 else { throw bad("expected 4 lines (untrusted comment, signature, trusted comment, global signature), found \(lines.count)") }
            guard lines[0].hasPrefix("untrusted comment:") else { throw bad("line 1 must start with \"untrusted comment:\"") }
            guard lines[2].hasPrefix("trusted comment: ") else { throw bad("line 3 must start with \"trusted comment: \"") }
            try self.init(untrusted: lines[0], signatureLine: lines[1], bad: bad)
            trustedComment = String(lines[2].dropFirst("trusted comment: ".count))
            guard let global = Minisign.base64(lines[3]), global.count == 64 else { throw bad("line 4 is not a base64 64-byte global signature") }
            globalSignature = global
        }

        /// A signify signature: two lines, and for `-e` signatures the message after them.
        public init(signify data: Data, source: String) throws(HallmarkError) {
            func bad(_ why: String) -> HallmarkError { .invalidInput("\(source): not a signify signature: \(why)") }
            let bytes = Array(data)
            guard let first = bytes.firstIndex(of: 0x0A), let second = bytes[(first + 1)...].firstIndex(of: 0x0A) else {
                throw bad("expected an untrusted comment line and a signature line")
            }
            let untrusted = String(decoding: bytes[..<first], as: UTF8.self)
            let line = String(decoding: bytes[(first + 1)..<second], as: UTF8.self)
            guard untrusted.hasPrefix("untrusted comment:") else { throw bad("line 1 must start with \"untrusted comment:\"") }
            try self.init(untrusted: untrusted, signatureLine: line.hasSuffix("\r") ? String(line.dropLast()) : line, bad: bad)
            let rest = Data(bytes[(second + 1)...])
            embeddedMessage = rest.isEmpty ? nil : rest
        }

        private init(untrusted: String, signatureLine: String, bad: (String) -> HallmarkError) throws(HallmarkError) {
            guard let decoded = Minisign.base64(signatureLine), decoded.count == 74 else {
                throw bad("line 2 is not base64 of a 74-byte signature")
            }
            algorithm = String(decoding: decoded[0..<2], as: UTF8.self)
            keyID = Array(decoded[2..<10])
            signature = Array(decoded[10...])
            untrustedComment = String(untrusted.dropFirst("untrusted comment:".count)).trimmingCharacters(in: .whitespaces)
        }

        public enum Message {
            case bytes(Data)
            case file(String)
        }

        /// The reason the signature does not verify, or nil when it does (signature and, for minisign, the
        /// trusted comment). `allowLegacy: false` refuses `Ed` signatures, as `minisign -H` does.
        public func problem(key: PublicKey, message: Message, allowLegacy: Bool = true) throws(HallmarkError) -> String? {
            guard keyID == key.keyID else {
                return "signature key id is \(Minisign.keyIDText(keyID)) but the public key's is \(Minisign.keyIDText(key.keyID))"
            }
            let signed: Data
            switch algorithm {
            case "ED":
                switch message {
                case .bytes(let data): signed = Data(BLAKE2b512.hash(data))
                case .file(let path): signed = Data(try BLAKE2b512.hash(fileAt: path))
                }
            case "Ed":
                guard allowLegacy else { return "legacy (non-prehashed) signature found, and only prehashed signatures are accepted" }
                switch message {
                case .bytes(let data): signed = data
                case .file(let path):
                    do { signed = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
                        throw .io("\(path): cannot read: \(error.localizedDescription)")
                    }
                }
            default:
                return "unsupported signature algorithm \"\(algorithm)\""
            }
            guard key.key.isValidSignature(signature, for: signed) else { return "signature verification failed" }
            if let trustedComment, let globalSignature {
                guard key.key.isValidSignature(globalSignature, for: Data(signature + Array(trustedComment.utf8))) else {
                    return "comment signature verification failed (the trusted comment was changed)"
                }
            }
            return nil
        }

        /// A prehashed minisign signature of `message`'s BLAKE2b-512 by `key`, with `trustedComment`.
        public static func sign(blake2b digest: [UInt8], key: PrivateKey, keyID: [UInt8], trustedComment: String, untrustedComment: String) throws(HallmarkError) -> String {
            guard key.algorithm == .ed25519 else { throw .invalidKey("minisign signatures need an Ed25519 key; this key is \(key.algorithm.rawValue)") }
            let signature = try key.signature(for: Data(digest))
            let global = try key.signature(for: Data(signature + Array(trustedComment.utf8)))
            return "untrusted comment: \(untrustedComment)\n"
                + Base64.encode(Data(Array("ED".utf8) + keyID + signature)) + "\n"
                + "trusted comment: \(trustedComment)\n"
                + Base64.encode(Data(global)) + "\n"
        }
    }
}
