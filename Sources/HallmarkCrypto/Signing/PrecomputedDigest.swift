import Crypto
import Foundation

/// A SHA-256 digest known only by its bytes (`sha256:<hex>` on the command line), for verifying ECDSA
/// signatures without the message.
struct PrecomputedSHA256: Digest {
    static var byteCount: Int { 32 }
    let bytes: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try bytes.withUnsafeBytes(body) }
    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
    var description: String { "SHA256 digest: " + bytes.map { String(format: "%02x", $0) }.joined() }
}
