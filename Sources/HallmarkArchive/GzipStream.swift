import CSystemZlib
import HallmarkCore

/// zlib deflate into an output file, as gzip (RFC 1952, header without name or time) or raw deflate (for zip).
final class DeflateStream {
    private var stream = z_stream()
    private let sink: OutputFile
    private var output: UnsafeMutablePointer<UInt8>
    private static let outputSize = 256 << 10
    private(set) var compressedCount: UInt64 = 0
    private var open = true

    /// `gzip`: a gzip member with mtime 0 and no name; otherwise raw deflate.
    init(level: Int32, gzip: Bool, sink: OutputFile) throws(HallmarkError) {
        self.sink = sink
        output = .allocate(capacity: Self.outputSize)
        let windowBits: Int32 = gzip ? 15 + 16 : -15
        let status = deflateInit2_(
            &stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            // The instance is whole: deinit runs and frees `output`.
            open = false
            throw .invalidInput("cannot start zlib compression at level \(level) (zlib error \(status))")
        }
    }

    deinit {
        if open { deflateEnd(&stream) }
        output.deallocate()
    }

    func compress(_ bytes: UnsafeRawBufferPointer) throws(HallmarkError) {
        guard let base = bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count > 0 else { return }
        // zlib counts input in 32 bits: feed at most 1 GiB at a time.
        var offset = 0
        while offset < bytes.count {
            let count = min(bytes.count - offset, 1 << 30)
            stream.next_in = UnsafeMutablePointer(mutating: base + offset)
            stream.avail_in = UInt32(count)
            while stream.avail_in > 0 {
                try run(flush: Z_NO_FLUSH)
            }
            offset += count
        }
    }

    /// Ends the stream (writes the trailer).
    func finish() throws(HallmarkError) {
        try finishMember()
        deflateEnd(&stream)
        open = false
    }

    /// Ends the current raw deflate stream but keeps the state for `reset()` (zip members).
    func finishMember() throws(HallmarkError) {
        stream.next_in = nil
        stream.avail_in = 0
        var status: Int32 = Z_OK
        repeat {
            status = try run(flush: Z_FINISH)
        } while status != Z_STREAM_END
    }

    /// Starts a new stream with the same settings (one per zip member).
    func reset() {
        deflateReset(&stream)
        compressedCount = 0
    }

    @discardableResult
    private func run(flush: Int32) throws(HallmarkError) -> Int32 {
        stream.next_out = output
        stream.avail_out = UInt32(Self.outputSize)
        let status = deflate(&stream, flush)
        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
            throw .io("\(sink.path): zlib compression failed (error \(status))")
        }
        let produced = Self.outputSize - Int(stream.avail_out)
        if produced > 0 {
            try sink.write(UnsafeRawBufferPointer(start: output, count: produced))
            compressedCount += UInt64(produced)
        }
        return status
    }
}

/// A gzip member around a deflate stream.
final class GzipStream {
    private let deflater: DeflateStream

    init(level: Int32, sink: OutputFile) throws(HallmarkError) {
        deflater = try DeflateStream(level: level, gzip: true, sink: sink)
    }

    func compress(_ bytes: UnsafeRawBufferPointer) throws(HallmarkError) { try deflater.compress(bytes) }
    func finish() throws(HallmarkError) { try deflater.finish() }
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
