import Crypto
import Foundation

/// SHA-256 of bytes in memory, for modules that do not import swift-crypto.
public enum SHA256Hasher {
    public static func hash(_ data: some DataProtocol) -> [UInt8] { Array(SHA256.hash(data: data)) }
}

/// SHA-512 of bytes in memory, for modules that do not import swift-crypto.
public enum SHA512Hasher {
    public static func hash(_ data: some DataProtocol) -> [UInt8] { Array(SHA512.hash(data: data)) }
}
