import Foundation

/// What every kernel and layer call needs from its surroundings: how many threads to use,
/// a seeded random stream, and a scratch arena reused across calls so the hot path does
/// not allocate.
///
/// The thread count is the single knob for parallelism: `Kernels` hands it to OpenBLAS
/// before each GEMM and uses it for its own loops.
public final class Context: @unchecked Sendable {
    public let threads: Int
    /// The random stream for layers that draw (dropout). Seed it for reproducible runs.
    public var rng: SeededRNG
    private var slots: [UnsafeMutableBufferPointer<Float>] = []

    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, seed: UInt64 = 0) {
        precondition(threads >= 1, "threads must be at least 1")
        self.threads = threads
        self.rng = SeededRNG(seed: seed)
    }

    /// A scratch buffer of at least `count` floats for slot `slot`; contents are undefined.
    /// The same slot returns the same memory until a larger request grows it.
    /// Slots are independent, so a caller may hold several at once.
    public func scratch(_ slot: Int, count: Int) -> UnsafeMutableBufferPointer<Float> {
        while slots.count <= slot { slots.append(UnsafeMutableBufferPointer(start: nil, count: 0)) }
        if slots[slot].count < count {
            slots[slot].deallocate()
            slots[slot] = .allocate(capacity: count)
        }
        return UnsafeMutableBufferPointer(rebasing: slots[slot][0..<count])
    }

    /// Bytes held by the scratch arena.
    public var scratchBytes: Int { slots.reduce(0) { $0 + $1.count * 4 } }

    deinit {
        for s in slots { s.deallocate() }
    }

    /// Splits 0..<count into at most `threads` contiguous ranges of at least `grain` items and
    /// runs `body` on each, in parallel (one range, inline, when the work is small).
    public func parallelRanges(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(threads, count / max(grain, 1)))
        if parts == 1 {
            body(0..<count)
            return
        }
        parallelFor(parts) { p in body((count * p / parts)..<(count * (p + 1) / parts)) }
    }

    /// Runs `body(i)` for i in 0..<count on up to `threads` threads (inline when 1).
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if threads == 1 || count <= 1 {
            for i in 0..<count { body(i) }
        } else {
            withoutActuallyEscaping(body) { b in
                DispatchQueue.concurrentPerform(iterations: min(threads, count)) { worker in
                    var i = worker
                    let step = min(threads, count)
                    while i < count { b(i); i += step }
                }
            }
        }
    }
}
