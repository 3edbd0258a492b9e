import Foundation

/// Worker numbers 0 ..< n handed to threads one at a time: a thread of `orderedParallel` takes
/// a number, uses the per-worker state at that index (a model copy, a context), and gives it back.
public final class WorkerPool: @unchecked Sendable {
    private var free: [Int]
    private let lock = NSCondition()

    public init(_ n: Int) { free = Array((0..<n).reversed()) }

    public func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        while free.isEmpty { lock.wait() }
        return free.removeLast()
    }

    public func give(_ w: Int) {
        lock.lock()
        free.append(w)
        lock.signal()
        lock.unlock()
    }
}

/// A value that worker threads only read (never write) while a parallel loop runs.
public struct ReadOnlyShared<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
