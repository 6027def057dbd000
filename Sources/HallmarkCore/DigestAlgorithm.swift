/// The digest algorithms used in checksum lists and in-toto digest sets.
public enum DigestAlgorithm: String, Sendable, CaseIterable, Codable {
    case sha256
    case sha384
    case sha512

    /// Length of the digest in bytes.
    public var byteCount: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The tag BSD-style lists use: `SHA256 (name) = hex`.
    public var bsdTag: String { rawValue.uppercased() }

    /// The GNU tool that reads and writes this algorithm's lists.
    public var gnuToolName: String { "\(rawValue)sum" }
}
