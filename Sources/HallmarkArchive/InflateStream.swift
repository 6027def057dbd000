import CSystemZlib
import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// zlib inflate, pulled on demand: compressed bytes come from one byte range of an input file, decompressed bytes
/// go into the caller's buffer, and the output is counted against a cap as it is produced — nothing is held but
/// zlib's window and one input block. Reads gzip (every member of a multi-member file, as `gzip -d` does; anything
/// else after the last member is refused) or raw deflate (a zip member, which must end exactly at its range's end).
final class InflateStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private let file: InputFile
    private let gzip: Bool
    private let end: UInt64
    private var position: UInt64
    private let input: UnsafeMutableRawBufferPointer
    private static let inputSize = 256 << 10
    /// Names the data in errors: the archive, or the archive and a member.
    private let subject: String
    private let cap: UInt64
    private let capMessage: String
    /// Decompressed bytes produced so far.
    private(set) var produced: UInt64 = 0
    private var finished = false
    /// Whether zlib's state exists (and `inflateEnd` must free it).
    private var started = false

    /// Inflates `file[start..<end]`; more than `cap` bytes of output fail with `capMessage` (prefixed by `subject`).
    init(file: InputFile, start: UInt64, end: UInt64, gzip: Bool, subject: String, cap: UInt64, capMessage: String) throws(HallmarkError) {
        self.file = file
        self.gzip = gzip
        self.end = end
        self.subject = subject
        self.cap = cap
        self.capMessage = capMessage
        position = start
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: Self.inputSize, alignment: 16)
        // From here on, deinit frees what was allocated if the initializer throws.
        let status = inflateInit2_(stream, gzip ? 15 + 16 : -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw .io("\(subject): cannot start zlib (error \(status))") }
        started = true
        if gzip {
            let magic = try file.bytes(at: start, count: min(2, Int(min(end - start, 2))), what: "the gzip header")
            guard magic == [0x1f, 0x8b] else { throw .invalidInput("\(subject): not gzip data") }
        }
    }

    deinit {
        if started { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        input.deallocate()
    }

    /// Whether the whole stream has been read.
    var isFinished: Bool { finished }

    /// Fills `buffer` with up to `buffer.count` decompressed bytes; returns 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HallmarkError) -> Int {
        guard !finished, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let wanted = min(buffer.count, 1 << 30)
        stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(wanted)
        while true {
            if stream.pointee.avail_in == 0 && position < end { try refill() }
            let status = inflate(stream, Z_NO_FLUSH)
            let count = wanted - Int(stream.pointee.avail_out)
            switch status {
            case Z_OK, Z_STREAM_END, Z_BUF_ERROR:
                break
            case Z_NEED_DICT:
                throw .invalidInput("\(subject): damaged compressed data (a preset dictionary is required)")
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw .invalidInput("\(subject): damaged compressed data (\(reason))")
            }
            guard produced + UInt64(count) <= cap else { throw .invalidInput("\(subject): \(capMessage)") }
            if status == Z_STREAM_END {
                if try startsAnotherMember() {
                    inflateReset(stream)
                    if count == wanted { return finish(count) }
                    continue
                }
                finished = true
                return finish(count)
            }
            if count == wanted { return finish(count) }
            if stream.pointee.avail_in == 0 && position >= end {
                if count > 0 { return finish(count) }
                throw .invalidInput("\(subject): truncated (the compressed data ends early)")
            }
        }
    }

    private func finish(_ count: Int) -> Int {
        produced += UInt64(count)
        return count
    }

    /// After a stream's end: whether another gzip member follows (and nothing else does).
    private func startsAnotherMember() throws(HallmarkError) -> Bool {
        if stream.pointee.avail_in == 0 && position >= end { return false }
        guard gzip else {
            throw .invalidInput("\(subject): the compressed data ends before its stated size (damaged or crafted archive)")
        }
        if stream.pointee.avail_in < 2 && position < end { try refill() }
        let available = Int(stream.pointee.avail_in)
        let next = stream.pointee.next_in!
        guard available >= 2, next[0] == 0x1f, next[1] == 0x8b else {
            throw .invalidInput("\(subject): data after the end of the gzip stream")
        }
        return true
    }

    /// Moves unread input to the front of the block and reads more from the file.
    private func refill() throws(HallmarkError) {
        let base = input.baseAddress!
        let leftover = Int(stream.pointee.avail_in)
        if leftover > 0, let next = stream.pointee.next_in { memmove(base, next, leftover) }
        let want = Int(min(UInt64(Self.inputSize - leftover), end - position))
        let n = try file.read(at: position, into: UnsafeMutableRawBufferPointer(start: base + leftover, count: want))
        guard n == want else { throw .invalidInput("\(file.display): the file shrank while it was read") }
        position += UInt64(n)
        stream.pointee.next_in = base.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(leftover + n)
    }
}
