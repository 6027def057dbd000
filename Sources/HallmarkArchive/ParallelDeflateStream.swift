import CSystemZlib
import Foundation
import HallmarkCore

/// Raw deflate of a byte stream into an output file: the input is cut into blocks of a fixed size, the blocks are
/// compressed on their own (`BlockCompressor`) by up to `parallelism` threads, and the pieces are written in order
/// as one deflate stream. The bytes depend only on the input, the level and the block size — never on the number
/// of threads or on which finishes first. At most `2 × parallelism` blocks are in flight at once.
///
/// One stream after another (zip members): `finish()`, then `reset()`; the threads stay.
final class ParallelDeflateStream {
    private let blockSize: Int
    private let sink: OutputFile
    /// Compresses on the calling thread when there is no pool (parallelism 1); always made, which also checks
    /// the level before anything is written.
    private let local: BlockCompressor
    private let pool: BlockPool?
    private let window: Int
    /// The block being filled. A full block is kept until more input arrives: only `finish()` knows which block
    /// is the last.
    private var pending: [UInt8] = []
    private var submitted = 0
    private var written = 0

    /// The CRC-32 of the current stream's input.
    private(set) var crc: UInt32 = 0
    /// Bytes of input in the current stream.
    private(set) var inputCount: UInt64 = 0
    /// Bytes of deflate written for the current stream.
    private(set) var outputCount: UInt64 = 0

    init(level: Int32, blockSize: Int, parallelism: Int, sink: OutputFile) throws(HallmarkError) {
        precondition(blockSize > 0, "blocks hold at least one byte")
        self.blockSize = blockSize
        self.sink = sink
        local = try BlockCompressor(level: level, blockSize: blockSize)
        let threads = max(1, parallelism)
        pool = threads > 1 ? BlockPool(threads: threads, level: level, blockSize: blockSize) : nil
        window = 2 * threads
        pending.reserveCapacity(blockSize)
    }

    deinit { pool?.stop() }

    func compress(_ bytes: UnsafeRawBufferPointer) throws(HallmarkError) {
        var offset = 0
        while offset < bytes.count {
            if pending.count == blockSize { try submit(last: false) }
            let count = min(blockSize - pending.count, bytes.count - offset)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            offset += count
        }
    }

    /// Ends the stream with the last block (empty only if the whole stream is) and writes everything still in
    /// flight.
    func finish() throws(HallmarkError) {
        try submit(last: true)
        while written < submitted { try write(next()) }
    }

    /// Starts another stream, with the same settings and threads.
    func reset() {
        crc = 0
        inputCount = 0
        outputCount = 0
    }

    private func submit(last: Bool) throws(HallmarkError) {
        let input = pending
        pending = []
        pending.reserveCapacity(blockSize)
        submitted += 1
        guard let pool else {
            try write(local.compress(input, last: last).get())
            return
        }
        pool.submit(BlockPool.Job(index: submitted - 1, input: input, last: last))
        while submitted - written >= window { try write(next()) }
        while let ready = pool.take(written, wait: false) { try write(ready.get()) }
    }

    private func next() throws(HallmarkError) -> CompressedBlock {
        guard let pool, let result = pool.take(written, wait: true) else {
            preconditionFailure("only blocks submitted to the pool are waited for")
        }
        return try result.get()
    }

    private func write(_ block: CompressedBlock) throws(HallmarkError) {
        try sink.write(block.bytes)
        crc = UInt32(truncatingIfNeeded: crc32_combine(UInt(crc), UInt(block.crc), off_t(block.inputCount)))
        inputCount += UInt64(block.inputCount)
        outputCount += UInt64(block.bytes.count)
        written += 1
    }
}

/// Threads that compress submitted blocks, each with its own `BlockCompressor`; results are taken by index.
final class BlockPool: @unchecked Sendable {  // every mutable property is guarded by `condition`
    struct Job: Sendable {
        var index: Int
        var input: [UInt8]
        var last: Bool
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var results: [Int: Result<CompressedBlock, HallmarkError>] = [:]
    private var stopping = false
    private var running: Int

    init(threads: Int, level: Int32, blockSize: Int) {
        running = threads
        for _ in 0..<threads {
            Thread { [self] in work(level: level, blockSize: blockSize) }.start()
        }
    }

    func submit(_ job: Job) {
        condition.lock()
        jobs.append(job)
        condition.broadcast()
        condition.unlock()
    }

    /// The result of block `index`, removed from the pool; with `wait`, waits for it, otherwise nil if it is not
    /// done yet.
    func take(_ index: Int, wait: Bool) -> Result<CompressedBlock, HallmarkError>? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result = results.removeValue(forKey: index) { return result }
            guard wait else { return nil }
            condition.wait()
        }
    }

    /// Drops the jobs not started, and returns once every thread has finished its current block and exited.
    func stop() {
        condition.lock()
        stopping = true
        jobs.removeAll()
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    private func work(level: Int32, blockSize: Int) {
        let compressor = Result { () throws(HallmarkError) in try BlockCompressor(level: level, blockSize: blockSize) }
        while let job = nextJob() {
            let result = compressor.flatMap { $0.compress(job.input, last: job.last) }
            condition.lock()
            results[job.index] = result
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !stopping { condition.wait() }
        if stopping { return nil }
        return jobs.removeFirst()
    }
}
