/// The one seeded shuffle: Fisher–Yates from the last element down, each swap partner drawn as
/// `next() % (i + 1)`. Every shuffled order in Vigil (sample orders, splits, augmentation op
/// orders) comes from here, so the same seed gives the same order everywhere.
extension MutableCollection where Self: RandomAccessCollection, Index == Int {
    public mutating func seededShuffle(using rng: inout SeededRNG) {
        guard count > 1 else { return }
        for k in stride(from: count - 1, to: 0, by: -1) {
            swapAt(startIndex + k, startIndex + Int(rng.next() % UInt64(k + 1)))
        }
    }
}

public enum SeededShuffle {
    /// A permutation of `0..<count` drawn from `seed` (and, when given, the independent stream
    /// `stream` of it, e.g. an epoch).
    public static func permutation(_ count: Int, seed: UInt64, stream: UInt64? = nil) -> [Int] {
        var rng = SeededRNG(seed: seed)
        if let stream { rng = rng.derived(stream) }
        var order = Array(0..<count)
        order.seededShuffle(using: &rng)
        return order
    }
}
