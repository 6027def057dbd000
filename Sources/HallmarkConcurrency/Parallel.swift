import Dispatch
import Foundation

/// Runs independent jobs on up to `width` threads and keeps their results in order.
public enum Parallel {
    /// Applies `body` to every element, at most `width` at a time; results keep the input order.
    public static func map<Element: Sendable, Value: Sendable, Failure: Error>(
        _ elements: [Element], width: Int = ProcessInfo.processInfo.activeProcessorCount,
        _ body: @Sendable (Element) throws(Failure) -> Value
    ) -> [Result<Value, Failure>] {
        let slots = ResultSlots<Value, Failure>(count: elements.count)
        let workers = max(1, min(width, elements.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = slots.take() {
                let result = Result { () throws(Failure) -> Value in try body(elements[index]) }
                slots.set(index, result)
            }
        }
        return slots.values(missing: { preconditionFailure("Parallel.map processes every element") })
    }

    /// The async form, for network work: `body(index)` for every index in `0..<count`, at most `width` tasks at
    /// once, each started as another finishes; results keep index order.
    public static func map<Value: Sendable>(
        count: Int, width: Int, _ body: @escaping @Sendable (Int) async -> Value
    ) async -> [Value] {
        let slots = ResultSlots<Value, Never>(count: count)
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func start() {
                guard next < count else { return }
                let index = next
                next += 1
                group.addTask { slots.set(index, .success(await body(index))) }
            }
            for _ in 0..<max(1, width) { start() }
            while await group.next() != nil { start() }
        }
        return slots.values(missing: { preconditionFailure("Parallel.map processes every index") }).map { $0.get() }
    }
}

/// Results written by concurrent workers, each slot by one worker, read once they are all done.
public final class ResultSlots<Value: Sendable, Failure: Error>: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var next = 0
    private var slots: [Result<Value, Failure>?]

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// The next index no worker has taken yet, or nil when all are taken.
    public func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < slots.count else { return nil }
        defer { next += 1 }
        return next
    }

    public func set(_ index: Int, _ value: Result<Value, Failure>) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    /// Every slot, with `missing` standing in for one no worker filled.
    public func values(missing: () -> Result<Value, Failure>) -> [Result<Value, Failure>] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0 ?? missing() }
    }
}
