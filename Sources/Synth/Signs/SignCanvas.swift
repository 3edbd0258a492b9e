import Foundation
import ImageIO

/// A float RGB frame the scene painters work on: `height` rows of `width` pixels, 3 floats each,
/// linear-ish sRGB values in [0, 1] (clamped when converted to an `Image`).
struct SignCanvas {
    let width: Int
    let height: Int
    var px: [Float]

    init(width: Int, height: Int) {
        self.width = width; self.height = height
        px = [Float](repeating: 0, count: width * height * 3)
    }

    init(image: Image) {
        let rgb = image.toRGB8()
        width = rgb.width; height = rgb.height
        px = rgb.pixels8.map { Float($0) / 255 }
    }

    var image: Image {
        Image(width: width, height: height, channels: 3,
              pixels8: px.map { UInt8(min(max($0 * 255 + 0.5, 0), 255)) })
    }

    /// Blends `col` into the pixel at (x, y) with weight `a`.
    @inline(__always) mutating func blend(_ x: Int, _ y: Int, _ col: (Float, Float, Float), _ a: Float) {
        guard a > 0, x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        px[i] += (col.0 - px[i]) * a
        px[i + 1] += (col.1 - px[i + 1]) * a
        px[i + 2] += (col.2 - px[i + 2]) * a
    }

    /// Paints `col` over the pixel box with 2 × 2 supersampled coverage from `inside`, which takes
    /// frame coordinates; `shade` (optional) tints by position. Returns the painted coverage
    /// in a full-frame buffer when `mask` is given.
    mutating func paint(x0: Float, y0: Float, x1: Float, y1: Float, color col: (Float, Float, Float),
                        shade: ((Float, Float) -> Float)? = nil, mask: UnsafeMutablePointer<Float>? = nil,
                        _ inside: (Float, Float) -> Bool) {
        let ix0 = max(0, Int(x0.rounded(.down))), iy0 = max(0, Int(y0.rounded(.down)))
        let ix1 = min(width, Int(x1.rounded(.up)) + 1), iy1 = min(height, Int(y1.rounded(.up)) + 1)
        guard ix1 > ix0, iy1 > iy0 else { return }
        for y in iy0..<iy1 {
            for x in ix0..<ix1 {
                var c: Float = 0
                for s in 0..<4 {
                    let fx = Float(x) + (s & 1 == 0 ? 0.25 : 0.75), fy = Float(y) + (s < 2 ? 0.25 : 0.75)
                    if inside(fx, fy) { c += 0.25 }
                }
                guard c > 0 else { continue }
                var cc = col
                if let shade {
                    let k = shade(Float(x) + 0.5, Float(y) + 0.5)
                    cc = (col.0 * k, col.1 * k, col.2 * k)
                }
                blend(x, y, cc, c)
                if let mask { let m = mask[y * width + x]; mask[y * width + x] = m + (1 - m) * c }
            }
        }
    }

    /// Separable box blur of radius `r` pixels, run twice (close to a Gaussian).
    mutating func boxBlur(radius r: Int) {
        guard r > 0 else { return }
        for _ in 0..<2 {
            blur1D(horizontal: true, r)
            blur1D(horizontal: false, r)
        }
    }

    private mutating func blur1D(horizontal: Bool, _ r: Int) {
        let n = horizontal ? width : height, lines = horizontal ? height : width
        var line = [Float](repeating: 0, count: n * 3)
        let norm = 1 / Float(2 * r + 1)
        for l in 0..<lines {
            @inline(__always) func idx(_ k: Int) -> Int { horizontal ? (l * width + k) * 3 : (k * width + l) * 3 }
            for c in 0..<3 {
                var sum: Float = 0
                for k in -r...r { sum += px[idx(min(max(k, 0), n - 1)) + c] }
                for k in 0..<n {
                    line[k * 3 + c] = sum * norm
                    sum += px[idx(min(k + r + 1, n - 1)) + c] - px[idx(max(k - r, 0)) + c]
                }
            }
            for k in 0..<n { for c in 0..<3 { px[idx(k) + c] = line[k * 3 + c] } }
        }
    }

    /// Motion blur: the mean of `taps` copies shifted along (dx, dy) by up to `length` pixels.
    mutating func motionBlur(length: Float, angle: Float) {
        let taps = max(2, Int(length.rounded(.up)) + 1)
        let dx = cosf(angle), dy = sinf(angle)
        let src = px
        for y in 0..<height {
            for x in 0..<width {
                var r: Float = 0, g: Float = 0, b: Float = 0
                for t in 0..<taps {
                    let o = (Float(t) / Float(taps - 1) - 0.5) * length
                    let sx = min(max(Int((Float(x) + o * dx).rounded()), 0), width - 1)
                    let sy = min(max(Int((Float(y) + o * dy).rounded()), 0), height - 1)
                    let i = (sy * width + sx) * 3
                    r += src[i]; g += src[i + 1]; b += src[i + 2]
                }
                let i = (y * width + x) * 3, k = 1 / Float(taps)
                px[i] = r * k; px[i + 1] = g * k; px[i + 2] = b * k
            }
        }
    }
}

/// A plane projective map: (x, y) ↦ ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1)).
struct SignHomography {
    var m: [Double]  // a b c d e f g h

    /// The map taking each `from[i]` to `to[i]` (four points, no three collinear), or nil.
    init?(from: [(Double, Double)], to: [(Double, Double)]) {
        guard from.count == 4, to.count == 4 else { return nil }
        var A = [[Double]](repeating: [Double](repeating: 0, count: 9), count: 8)
        for i in 0..<4 {
            let (x, y) = from[i], (u, v) = to[i]
            A[2 * i] = [x, y, 1, 0, 0, 0, -u * x, -u * y, u]
            A[2 * i + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y, v]
        }
        for col in 0..<8 {
            var piv = col
            for r in col..<8 where abs(A[r][col]) > abs(A[piv][col]) { piv = r }
            guard abs(A[piv][col]) > 1e-12 else { return nil }
            A.swapAt(col, piv)
            for r in 0..<8 where r != col {
                let f = A[r][col] / A[col][col]
                if f != 0 { for k in col..<9 { A[r][k] -= f * A[col][k] } }
            }
        }
        m = (0..<8).map { A[$0][8] / A[$0][$0] }
    }

    @inline(__always) func apply(_ x: Double, _ y: Double) -> (Double, Double) {
        let w = m[6] * x + m[7] * y + 1
        return ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }
}
