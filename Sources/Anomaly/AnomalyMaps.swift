import Foundation

/// Anomaly maps: from a coarse grid of patch scores to the image's pixels.
public enum AnomalyMaps {
    /// Bilinear upsampling of a `gridHeight × gridWidth` map to `height × width` (cell centres on
    /// pixel centres), then a separable Gaussian blur of `blur` pixels (0: none).
    public static func upsample(_ grid: [Float], gridWidth gw: Int, gridHeight gh: Int, width w: Int, height h: Int, blur: Double) -> [Float] {
        precondition(grid.count == gw * gh && w > 0 && h > 0)
        func axis(_ n: Int, _ g: Int) -> (i0: [Int], i1: [Int], t: [Float]) {
            var i0 = [Int](repeating: 0, count: n), i1 = i0, t = [Float](repeating: 0, count: n)
            for x in 0..<n {
                let f = min(max((Double(x) + 0.5) * Double(g) / Double(n) - 0.5, 0), Double(g - 1))
                i0[x] = Int(f)
                i1[x] = min(i0[x] + 1, g - 1)
                t[x] = Float(f - Double(i0[x]))
            }
            return (i0, i1, t)
        }
        let ax = axis(w, gw), ay = axis(h, gh)
        var out = [Float](repeating: 0, count: w * h)
        for y in 0..<h {
            let r0 = ay.i0[y] * gw, r1 = ay.i1[y] * gw, ty = ay.t[y]
            for x in 0..<w {
                let a = grid[r0 + ax.i0[x]] * (1 - ax.t[x]) + grid[r0 + ax.i1[x]] * ax.t[x]
                let b = grid[r1 + ax.i0[x]] * (1 - ax.t[x]) + grid[r1 + ax.i1[x]] * ax.t[x]
                out[y * w + x] = a * (1 - ty) + b * ty
            }
        }
        return blur > 0 ? gaussian(out, width: w, height: h, sigma: blur) : out
    }

    /// Separable Gaussian blur with edge clamping, kernel radius 3σ.
    public static func gaussian(_ src: [Float], width w: Int, height h: Int, sigma: Double) -> [Float] {
        let r = max(1, Int((3 * sigma).rounded(.up)))
        var k = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let s = k.reduce(0, +)
        k = k.map { $0 / s }
        var tmp = [Float](repeating: 0, count: src.count), out = tmp
        for y in 0..<h {
            for x in 0..<w {
                var acc: Float = 0
                for j in -r...r { acc += k[j + r] * src[y * w + min(max(x + j, 0), w - 1)] }
                tmp[y * w + x] = acc
            }
        }
        for y in 0..<h {
            for x in 0..<w {
                var acc: Float = 0
                for j in -r...r { acc += k[j + r] * tmp[min(max(y + j, 0), h - 1) * w + x] }
                out[y * w + x] = acc
            }
        }
        return out
    }
}
