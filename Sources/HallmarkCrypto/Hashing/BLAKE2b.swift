import CSodium
import Foundation
import HallmarkCore

/// BLAKE2b-512 from libsodium (for minisign's prehashed signatures), streamed over a file or bytes.
public enum BLAKE2b512 {
    private static let ready: Bool = sodium_init() >= 0

    /// Runs `feed` against a fresh BLAKE2b-512 state and returns the digest.
    private static func digest(_ feed: (OpaquePointer) throws(HallmarkError) -> Void) throws(HallmarkError) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        // The state is 64-byte aligned; libsodium reports its size.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_blake2b_statebytes(), alignment: 64)
        defer { raw.deallocate() }
        let state = OpaquePointer(raw)
        crypto_generichash_blake2b_init(state, nil, 0, 64)
        try feed(state)
        var out = [UInt8](repeating: 0, count: 64)
        crypto_generichash_blake2b_final(state, &out, 64)
        return out
    }

    public static func hash(_ data: some DataProtocol) -> [UInt8] {
        let bytes = Array(data)
        var out = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeBufferPointer { buffer in
            _ = crypto_generichash_blake2b(&out, 64, buffer.baseAddress, UInt64(buffer.count), nil, 0)
        }
        return out
    }

    public static func hash(fileAt path: String, display: String? = nil) throws(HallmarkError) -> [UInt8] {
        try digest { (state) throws(HallmarkError) in
            try FileHasher.stream(path, display: display) { chunk in
                guard let base = chunk.bindMemory(to: UInt8.self).baseAddress else { return }
                crypto_generichash_blake2b_update(state, base, UInt64(chunk.count))
            }
        }
    }
}
