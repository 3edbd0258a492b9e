import Foundation

/// Runs `work(i)` for i in 0..<count on `threads` worker threads and hands the results
/// to `emit` on the calling thread, in index order. At most `window` results wait
/// ahead of the next one to emit, so memory stays bounded on huge inputs.
public func orderedParallel<T>(count: Int, threads: Int, window: Int = 256,
                               work: @escaping @Sendable (Int) -> T, emit: (Int, T) throws -> Void) rethrows {
    if count == 0 { return }
    let state = OrderedState<T>()
    let workers = max(1, min(threads, count))
    let window = max(window, workers)
    for _ in 0..<workers {
        Thread.detachNewThread {
            while true {
                state.lock.lock()
                // Wait while this worker would run too far ahead of the emitter.
                while !state.cancelled && state.nextToTake < count && state.nextToTake >= state.nextToEmit + window {
                    state.lock.wait()
                }
                if state.cancelled || state.nextToTake >= count {
                    state.lock.unlock()
                    return
                }
                let i = state.nextToTake
                state.nextToTake += 1
                state.lock.unlock()
                let r = work(i)
                state.lock.lock()
                state.ready[i] = r
                state.lock.broadcast()
                state.lock.unlock()
            }
        }
    }
    defer {
        state.lock.lock()
        state.cancelled = true
        state.lock.broadcast()
        state.lock.unlock()
    }
    for i in 0..<count {
        state.lock.lock()
        while state.ready[i] == nil { state.lock.wait() }
        let r = state.ready.removeValue(forKey: i)!
        state.nextToEmit = i + 1
        state.lock.broadcast()
        state.lock.unlock()
        try emit(i, r)
    }
}

private final class OrderedState<T>: @unchecked Sendable {
    let lock = NSCondition()
    var ready: [Int: T] = [:]
    var nextToTake = 0
    var nextToEmit = 0
    var cancelled = false
}
