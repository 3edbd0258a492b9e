import Foundation

/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64).
/// Every random choice in Vigil takes one of these explicitly; there is no global RNG.
public struct SeededRNG: RandomNumberGenerator, Sendable, Equatable, Codable {
    public private(set) var state: [UInt64]

    public init(seed: UInt64) {
        var z = seed
        var s: [UInt64] = []
        for _ in 0..<4 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            s.append(x ^ (x >> 31))
        }
        state = s
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func unit() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * unit() }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0), 1e-300)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Fills `buffer` with standard normal values (Marsaglia's polar method: one logarithm
    /// and one square root per pair of values, no trigonometry).
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>) {
        var i = 0
        while i < buffer.count {
            var u: Float, v: Float, s: Float
            repeat {
                u = unit() * 2 - 1
                v = unit() * 2 - 1
                s = u * u + v * v
            } while s >= 1 || s == 0
            let k = (-2 * log(s) / s).squareRoot()
            buffer[i] = u * k
            if i + 1 < buffer.count { buffer[i + 1] = v * k }
            i += 2
        }
    }

    /// An independent generator derived from this one's seed path and a key (e.g. a sample index).
    public func derived(_ key: UInt64) -> SeededRNG {
        SeededRNG(seed: state[0] ^ (key &* 0x9E37_79B9_7F4A_7C15) ^ state[3])
    }
}

