import Foundation

/// A fixed set of threads for long synchronous work (hashing a large file, compressing an archive, running a
/// build), so that an async caller awaits it without holding one of Swift's cooperative threads: a server stays
/// responsive while one request hashes a gigabyte. Jobs run in the order they were submitted, at most `width` at
/// once; the rest wait in a queue. Threads start when first needed, so a pool that is never used costs nothing.
public final class BlockingPool: @unchecked Sendable {  // `jobs`, `closed`, `started` are guarded by `condition`
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var closed = false
    private var started = 0
    private var idle = 0
    private let name: String
    public let width: Int

    /// A pool of up to `width` threads (at least one). They live until ``shutdown()``.
    public init(width: Int, name: String = "hallmark.blocking") {
        self.width = max(1, width)
        self.name = name
    }

    /// Runs `body` on one of the pool's threads and returns its result (or rethrows its error).
    public func run<Value: Sendable, Failure: Error>(
        _ body: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: Result { () throws(Failure) -> Value in try body() }) }
        }
        return try result.get()
    }

    /// Lets the threads finish the queued jobs and exit. Jobs submitted afterwards run on the caller's thread (no
    /// thread is started for them: a pool shut down too early costs responsiveness, never unbounded threads).
    public func shutdown() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        if closed {
            condition.unlock()
            job()
            return
        }
        jobs.append(job)
        if started < width && jobs.count > idle {
            started += 1
            let thread = Thread { [self] in self.work() }
            thread.name = "\(name).\(started)"
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty && !closed {
                idle += 1
                condition.wait()
                idle -= 1
            }
            if jobs.isEmpty && closed {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
