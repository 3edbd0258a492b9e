import Foundation

// Lattice value noise keyed by a 32-bit seed: no tables, no allocation, the same numbers on
// every run. Fractal sums ("fbm") add octaves at doubling frequency and halving amplitude.

@inline(__always) func hash32(_ x: Int32, _ y: Int32, _ seed: UInt32) -> UInt32 {
    var h = (UInt32(bitPattern: x) &* 0x8DA6_B343) ^ (UInt32(bitPattern: y) &* 0xD816_3841) ^ (seed &* 0xCB1A_B31F)
    h ^= h >> 16; h &*= 0x7FEB_352D
    h ^= h >> 15; h &*= 0x846C_A68B
    h ^= h >> 16
    return h
}

/// Uniform in [-1, 1) for an integer lattice point.
@inline(__always) func hashSigned(_ x: Int32, _ y: Int32, _ seed: UInt32) -> Float {
    Float(hash32(x, y, seed) >> 8) * (2.0 / 16_777_216.0) - 1.0
}

@inline(__always) func smoothstep(_ e0: Float, _ e1: Float, _ x: Float) -> Float {
    let t = min(max((x - e0) / (e1 - e0), 0), 1)
    return t * t * (3 - 2 * t)
}

@inline(__always) func clamp01(_ x: Float) -> Float { min(max(x, 0), 1) }

struct ValueNoise {
    let seed: UInt32

    /// Smoothly interpolated lattice noise in [-1, 1].
    @inline(__always) func sample(_ x: Float, _ y: Float) -> Float {
        // floor without a libm call: truncate, then step down for negative fractions.
        var ix = Int32(x), iy = Int32(y)
        if Float(ix) > x { ix &-= 1 }
        if Float(iy) > y { iy &-= 1 }
        let fx = Float(ix), fy = Float(iy)
        var tx = x - fx, ty = y - fy
        tx = tx * tx * (3 - 2 * tx)
        ty = ty * ty * (3 - 2 * ty)
        let a = hashSigned(ix, iy, seed), b = hashSigned(ix &+ 1, iy, seed)
        let c = hashSigned(ix, iy &+ 1, seed), d = hashSigned(ix &+ 1, iy &+ 1, seed)
        return a + (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty
    }

    /// Fractal sum of `octaves` layers, normalised back to about [-1, 1].
    @inline(__always) func fbm(_ x: Float, _ y: Float, octaves: Int) -> Float {
        var sum: Float = 0, amp: Float = 1, norm: Float = 0
        var px = x, py = y
        for o in 0..<octaves {
            sum += amp * sample(px + Float(o) * 19.31, py - Float(o) * 7.17)
            norm += amp
            amp *= 0.5
            px *= 2.03
            py *= 2.03
        }
        return sum / norm
    }
}

/// A 2-D affine map from pixel coordinates to noise coordinates:
/// `u = ax·x + bx·y + cx`, `v = ay·x + by·y + cy`.
struct Affine2 {
    var ax: Float, bx: Float, cx: Float
    var ay: Float, by: Float, cy: Float

    /// Rotates by `angle`, then scales the along-direction by 1/`along` and the across-direction
    /// by 1/`across` (features `along` pixels long and `across` pixels wide), then offsets.
    static func stretched(angle: Float, along: Float, across: Float, offset: (Float, Float)) -> Affine2 {
        let c = cos(angle), s = sin(angle)
        return Affine2(ax: c / along, bx: s / along, cx: offset.0,
                       ay: -s / across, by: c / across, cy: offset.1)
    }
}

/// `width × height` samples of fbm through `map`, scaled by `amplitude`, added into `out`.
/// Smooth fields (finest octave spanning several pixels) are sampled on a coarser grid and
/// interpolated bilinearly, which is exact enough for a C¹ field and many times cheaper.
func addFBM(into out: inout [Float], width: Int, height: Int, noise: ValueNoise, map: Affine2,
            octaves: Int, amplitude: Float) {
    let grad = max((map.ax * map.ax + map.bx * map.bx).squareRoot(), (map.ay * map.ay + map.by * map.by).squareRoot())
    let finest = 1 / grad / pow(2.03, Float(octaves - 1))
    let step = min(max(Int(finest / 3), 1), 8)
    if step == 1 {
        out.withUnsafeMutableBufferPointer { o in
            for y in 0..<height {
                let fy = Float(y)
                var u = map.bx * fy + map.cx, v = map.by * fy + map.cy
                let row = y * width
                for x in 0..<width {
                    o[row + x] += amplitude * noise.fbm(u, v, octaves: octaves)
                    u += map.ax
                    v += map.ay
                }
            }
        }
        return
    }
    let gw = (width - 1) / step + 2, gh = (height - 1) / step + 2
    var grid = [Float](repeating: 0, count: gw * gh)
    for gy in 0..<gh {
        let fy = Float(gy * step)
        for gx in 0..<gw {
            let fx = Float(gx * step)
            grid[gy * gw + gx] = amplitude * noise.fbm(map.ax * fx + map.bx * fy + map.cx, map.ay * fx + map.by * fy + map.cy, octaves: octaves)
        }
    }
    let inv = 1 / Float(step)
    grid.withUnsafeBufferPointer { g in
        out.withUnsafeMutableBufferPointer { o in
            for y in 0..<height {
                let gy = y / step, ty = Float(y - gy * step) * inv
                let r0 = gy * gw, r1 = r0 + gw
                for x in 0..<width {
                    let gx = x / step, tx = Float(x - gx * step) * inv
                    let a = g[r0 + gx], b = g[r0 + gx + 1], c = g[r1 + gx], d = g[r1 + gx + 1]
                    o[y * width + x] += a + (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty
                }
            }
        }
    }
}

/// Approximately standard normal noise, one hash per sample: the sum of a hash's four bytes
/// (Irwin–Hall of four discrete uniforms: mean 510, standard deviation 147.8), centred and scaled.
func fillCameraNoise(_ z: UnsafeMutableBufferPointer<Float>, seed: UInt32) {
    let scale: Float = 1 / 147.8
    for i in 0..<z.count {
        let h = hash32(Int32(truncatingIfNeeded: i), 0x6E6F_6973, seed)
        let s = Int(h & 0xFF) + Int((h >> 8) & 0xFF) + Int((h >> 16) & 0xFF) + Int(h >> 24)
        z[i] = Float(s - 510) * scale
    }
}
