import CSystemZlib
import HallmarkCore

/// One gzip member (RFC 1952) into an output file: a header without name or time (mtime 0, OS 3 = Unix), the
/// deflate stream compressed in parallel blocks (`ParallelDeflateStream`), then the CRC-32 and the size mod 2^32.
final class GzipStream {
    private let deflater: ParallelDeflateStream
    private let sink: OutputFile

    init(level: Int32, blockSize: Int, parallelism: Int, sink: OutputFile) throws(HallmarkError) {
        deflater = try ParallelDeflateStream(level: level, blockSize: blockSize, parallelism: parallelism, sink: sink)
        self.sink = sink
        // XFL as zlib sets it: 2 for the slowest levels, 4 for the fastest, 0 otherwise.
        let extraFlags: UInt8 = level >= 9 ? 2 : (level < 2 ? 4 : 0)
        try sink.write([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3])
    }

    func compress(_ bytes: UnsafeRawBufferPointer) throws(HallmarkError) { try deflater.compress(bytes) }

    /// Ends the deflate stream and writes the trailer.
    func finish() throws(HallmarkError) {
        try deflater.finish()
        var trailer = Bytes()
        trailer.u32(deflater.crc)
        trailer.u32(UInt32(truncatingIfNeeded: deflater.inputCount))
        try sink.write(trailer.bytes)
    }
}

/// CRC-32 (the zip and gzip checksum), computed by zlib.
struct CRC32 {
    private(set) var value: UInt = crc32(0, nil, 0)

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count > 0 else { return }
        // zlib counts in 32 bits: at most 1 GiB at a time.
        var offset = 0
        while offset < bytes.count {
            let count = min(bytes.count - offset, 1 << 30)
            value = crc32(value, base + offset, UInt32(count))
            offset += count
        }
    }
}
