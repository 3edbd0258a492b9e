import TensorCore

/// A thin wrapper over `SeededRNG` with the draws the renderers use. A class would share state
/// by accident; this stays a value and is passed `inout`.
struct SeededRNGBox {
    var rng: SeededRNG
    init(_ rng: SeededRNG) { self.rng = rng }
    init(seed: UInt64) { rng = SeededRNG(seed: seed) }

    mutating func unit() -> Float { rng.unit() }
    mutating func uniform(_ lo: Float, _ hi: Float) -> Float { rng.uniform(lo, hi) }
    mutating func normal() -> Float { rng.normal() }
    mutating func seed32() -> UInt32 { UInt32(truncatingIfNeeded: rng.next() >> 32) }
    mutating func next() -> UInt64 { rng.next() }
    /// An integer in `lo...hi`.
    mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + Int(rng.next() % UInt64(hi - lo + 1)) }
    mutating func chance(_ p: Float) -> Bool { unit() < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0, xs.count - 1)] }
}
