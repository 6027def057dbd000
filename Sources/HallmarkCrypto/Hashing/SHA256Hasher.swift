import Crypto
import Foundation
import HallmarkCore

/// SHA-256 of bytes in memory, for modules that do not import swift-crypto.
public enum SHA256Hasher {
    public static func hash(_ data: some DataProtocol) -> [UInt8] { Array(SHA256.hash(data: data)) }
}

/// SHA-512 of bytes in memory, for modules that do not import swift-crypto.
public enum SHA512Hasher {
    public static func hash(_ data: some DataProtocol) -> [UInt8] { Array(SHA512.hash(data: data)) }
}

/// An incremental SHA-256 for data that arrives in pieces (a download), fed from one thread at a time.
public final class StreamingSHA256: @unchecked Sendable {  // each instance is fed by one download task at a time
    private var hasher = SHA256()
    public init() {}
    public func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
    /// Forgets everything fed so far (a download that starts over).
    public func reset() { hasher = SHA256() }
    public func finalizeHex() -> String { Hex.encode(hasher.finalize()) }
}
