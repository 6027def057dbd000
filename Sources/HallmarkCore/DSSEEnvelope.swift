import Foundation

/// A Dead Simple Signing Envelope (DSSE v1.0): a payload, its type, and signatures over the PAE encoding.
public struct DSSEEnvelope: Codable, Sendable, Equatable {
    /// One signature; `keyid` is an unauthenticated hint.
    public struct Signature: Codable, Sendable, Equatable {
        public var keyid: String?
        /// Base64 of the signature bytes (standard or URL-safe alphabet).
        public var sig: String

        public init(keyid: String?, sig: String) {
            self.keyid = keyid
            self.sig = sig
        }
    }

    /// Base64 of the payload bytes.
    public var payload: String
    public var payloadType: String
    public var signatures: [Signature]

    public init(payload: Data, payloadType: String, signatures: [Signature] = []) {
        self.payload = Base64.encode(payload)
        self.payloadType = payloadType
        self.signatures = signatures
    }

    /// The media type of an in-toto Statement payload.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"

    /// The payload bytes, or an error when `payload` is not base64.
    public func payloadBytes(source: String) throws(HallmarkError) -> Data {
        guard let data = Base64.decode(payload) else {
            throw .invalidInput("\(source): the envelope's payload is not base64")
        }
        return data
    }

    /// The Pre-Authentication Encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`.
    public static func pae(payloadType: String, payload: Data) -> Data {
        var out = Data("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8)
        out.append(payload)
        return out
    }

    /// Parses an envelope from a file's bytes; a `.intoto.jsonl` file may hold several, one per line.
    public static func parseAll(_ data: Data, source: String) throws(HallmarkError) -> [DSSEEnvelope] {
        let trimmed = data.split(separator: 0x0A).filter { !$0.allSatisfy { $0 == 0x20 || $0 == 0x0D || $0 == 0x09 } }
        guard !trimmed.isEmpty else { throw .invalidInput("\(source): empty file, expected a DSSE envelope") }
        // A pretty-printed single envelope spans lines: try the whole file first.
        if case .success(let whole) = Result(catching: { () throws(HallmarkError) in try CanonicalJSON.decode(DSSEEnvelope.self, from: data, source: source) }) {
            return [whole]
        }
        var envelopes: [DSSEEnvelope] = []
        for (index, line) in trimmed.enumerated() {
            envelopes.append(
                try CanonicalJSON.decode(DSSEEnvelope.self, from: Data(line), source: "\(source) line \(index + 1)"))
        }
        return envelopes
    }
}
