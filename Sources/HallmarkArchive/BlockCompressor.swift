import CSystemLibdeflate
import CSystemZlib
import HallmarkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One block of input as a piece of a raw deflate stream: pieces written one after another, in order, are one
/// deflate stream whose output is the blocks' input, one after another.
struct CompressedBlock: Sendable {
    /// The deflate bytes. A piece that is not the last ends byte-aligned after an empty stored block (the
    /// `00 00 FF FF` of zlib's `Z_SYNC_FLUSH`) and has no final block; the last piece ends with the final block.
    var bytes: [UInt8]
    /// The CRC-32 of the block's input.
    var crc: UInt32
    /// The size of the block's input.
    var inputCount: Int
    /// Bits of padding that followed libdeflate's final block in its last byte (0 to 7): with fewer than 3 the
    /// empty stored block's header needs one more byte.
    var endPadding: Int
}

/// Compresses blocks with libdeflate, each on its own (no back-references into the block before), and makes
/// them into pieces of one stream.
///
/// libdeflate compresses a whole buffer into a complete deflate stream, whose last block has BFINAL set, and it
/// says nothing of where that block starts or in which bit it ends. zlib finds out: its `inflate` with
/// `Z_BLOCK` stops after every block's end-of-block code and reports how many bits of the last byte it read
/// were left unused (`data_type & 7`) and whether that block was the final one (`data_type & 64`) — the
/// technique of zlib's `examples/gzjoin.c`. The final block's BFINAL bit is cleared, and an empty stored block
/// (3 zero bits, zeros to the byte boundary, then `00 00 FF FF`) ends the piece on a byte boundary, as
/// `Z_SYNC_FLUSH` and pigz end theirs. The inflate is also a check: a block's deflate bytes are written only
/// after they inflated to exactly the block's input.
///
/// Not thread-safe: each thread has its own.
final class BlockCompressor {
    private let compressor: OpaquePointer?
    private let inflater: UnsafeMutablePointer<z_stream>
    private var inflaterStarted = false
    /// libdeflate's output.
    private var output: UnsafeMutableRawBufferPointer
    /// What zlib inflates, compared with the input (one byte more than a block, to catch output that runs long).
    private var check: UnsafeMutableRawBufferPointer
    private let blockSize: Int

    /// A compressor for blocks of up to `blockSize` bytes at libdeflate's `level` (0 to 12).
    init(level: Int32, blockSize: Int) throws(HallmarkError) {
        self.blockSize = blockSize
        compressor = libdeflate_alloc_compressor(level)
        inflater = .allocate(capacity: 1)
        inflater.initialize(to: z_stream())
        let bound = compressor.map { libdeflate_deflate_compress_bound($0, blockSize) } ?? 0
        output = .allocate(byteCount: max(bound, 1), alignment: 16)
        check = .allocate(byteCount: blockSize + 1, alignment: 16)
        // From here on, deinit frees what was allocated if the initializer throws.
        guard compressor != nil else {
            throw .invalidInput(
                "cannot compress at level \(level): the levels are 0 (none) to 12 (smallest), 6 is gzip's default")
        }
        let status = inflateInit2_(inflater, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw .io("cannot start zlib to check compressed blocks (error \(status))") }
        inflaterStarted = true
    }

    deinit {
        if let compressor { libdeflate_free_compressor(compressor) }
        if inflaterStarted { inflateEnd(inflater) }
        inflater.deinitialize(count: 1)
        inflater.deallocate()
        output.deallocate()
        check.deallocate()
    }

    /// Compresses `input` (at most `blockSize` bytes; empty only for a stream's only block). `last`: the block
    /// ends the stream and keeps its final block.
    func compress(_ input: UnsafeRawBufferPointer, last: Bool) throws(HallmarkError) -> CompressedBlock {
        precondition(input.count <= blockSize, "a block is at most blockSize bytes")
        guard let compressor, let outputBase = output.baseAddress else {
            preconditionFailure("the initializer refuses a missing compressor")
        }
        let count = libdeflate_deflate_compress(compressor, input.baseAddress, input.count, outputBase, output.count)
        // The output buffer has libdeflate's bound for a whole block, so this does not happen.
        guard count > 0 else { throw .io("libdeflate could not compress a \(input.count)-byte block") }
        let layout = try finalBlock(of: UnsafeMutableRawBufferPointer(rebasing: output[0..<count]), input: input)

        var bytes = [UInt8](UnsafeRawBufferPointer(rebasing: output[0..<count]))
        let unused = count * 8 - layout.endBit
        if !last {
            // The final block becomes an ordinary one, and an empty stored block brings the piece to a byte
            // boundary: its 3 header bits (all zero) go where the last byte has room, else into one more byte.
            bytes[layout.finalBit / 8] &= ~UInt8(1 << (layout.finalBit % 8))
            if unused > 0 { bytes[count - 1] &= UInt8((1 << (8 - unused)) - 1) }
            if unused < 3 { bytes.append(0) }
            bytes.append(contentsOf: [0x00, 0x00, 0xFF, 0xFF])
        }
        let crc = libdeflate_crc32(0, input.baseAddress, input.count)
        return CompressedBlock(bytes: bytes, crc: crc, inputCount: input.count, endPadding: unused)
    }

    /// `compress(_:last:)` of an array, with the error as a value.
    func compress(_ input: [UInt8], last: Bool) -> Result<CompressedBlock, HallmarkError> {
        input.withUnsafeBytes { raw in Result { () throws(HallmarkError) in try compress(raw, last: last) } }
    }

    /// Where, in bits from the start of `deflate`, the final block's BFINAL bit is and where the stream ends —
    /// found by inflating it with zlib, block by block, and checking that it inflates to `input`.
    private func finalBlock(
        of deflate: UnsafeMutableRawBufferPointer, input: UnsafeRawBufferPointer
    ) throws(HallmarkError) -> (finalBit: Int, endBit: Int) {
        guard let deflateBase = deflate.bindMemory(to: UInt8.self).baseAddress,
            let checkBase = check.bindMemory(to: UInt8.self).baseAddress
        else { preconditionFailure("libdeflate writes at least one byte") }
        inflateReset(inflater)
        inflater.pointee.next_in = deflateBase
        inflater.pointee.avail_in = UInt32(deflate.count)
        inflater.pointee.next_out = checkBase
        inflater.pointee.avail_out = UInt32(check.count)
        var header = 0  // the bit where the block being inflated starts
        while true {
            let status = inflate(inflater, Z_BLOCK)
            guard status == Z_OK else { throw Self.mismatch("zlib error \(status)") }
            let dataType = Int(inflater.pointee.data_type)
            // Bit 128: stopped right after an end-of-block code. Otherwise the input ran out inside a block, or
            // the output (one byte more than the input) did.
            guard dataType & 128 != 0 else { throw Self.mismatch("it does not inflate to its input") }
            let consumed = (deflateBase.distance(to: inflater.pointee.next_in)) * 8 - (dataType & 7)
            if dataType & 64 != 0 {
                // That was the final block: it must be the end of libdeflate's output, up to padding bits.
                guard deflate.count * 8 - consumed < 8 else { throw Self.mismatch("bytes follow its final block") }
                let produced = Int(inflater.pointee.total_out)
                guard produced == input.count,
                    produced == 0 || input.baseAddress.map({ memcmp(checkBase, $0, produced) == 0 }) == true
                else { throw Self.mismatch("it does not inflate to its input") }
                guard deflateBase[header / 8] & UInt8(1 << (header % 8)) != 0 else {
                    throw Self.mismatch("its final block has no BFINAL bit")
                }
                return (header, consumed)
            }
            header = consumed
        }
    }

    private static func mismatch(_ reason: String) -> HallmarkError {
        .io("a block compressed by libdeflate failed its check with zlib (\(reason)); the archive was not written")
    }
}
