import Foundation
import ImageIO
import TensorCore

/// Geometric transforms. Warps map each output pixel back into the source through the
/// inverse of a 3×3 homography and sample bilinearly.
public enum Geometry {
    /// Row-major 3×3 matrix.
    public typealias Matrix = [Double]

    static func multiply(_ a: Matrix, _ b: Matrix) -> Matrix {
        var out = Matrix(repeating: 0, count: 9)
        for r in 0..<3 {
            for c in 0..<3 {
                var acc = 0.0
                for k in 0..<3 { acc += a[r * 3 + k] * b[k * 3 + c] }
                out[r * 3 + c] = acc
            }
        }
        return out
    }

    static func invert(_ m: Matrix) -> Matrix? {
        let c0: Double = m[4] * m[8] - m[5] * m[7]
        let c1: Double = m[3] * m[8] - m[5] * m[6]
        let c2: Double = m[3] * m[7] - m[4] * m[6]
        let det: Double = m[0] * c0 - m[1] * c1 + m[2] * c2
        guard abs(det) > 1e-12 else { return nil }
        var inv = Matrix(repeating: 0, count: 9)
        inv[0] = c0; inv[1] = m[2] * m[7] - m[1] * m[8]; inv[2] = m[1] * m[5] - m[2] * m[4]
        inv[3] = -c1; inv[4] = m[0] * m[8] - m[2] * m[6]; inv[5] = m[2] * m[3] - m[0] * m[5]
        inv[6] = c2; inv[7] = m[1] * m[6] - m[0] * m[7]; inv[8] = m[0] * m[4] - m[1] * m[3]
        return inv.map { $0 / det }
    }

    /// Output pixel (x, y) ← source at forward⁻¹ · (x, y, 1); the output has the source's size.
    public static func warp(_ img: FloatImage, forward: Matrix, fill: Fill) -> FloatImage {
        guard let inv = invert(forward) else { return img }
        var out = FloatImage(width: img.width, height: img.height, channels: img.channels)
        for y in 0..<img.height {
            for x in 0..<img.width {
                let X = Double(x), Y = Double(y)
                let w = inv[6] * X + inv[7] * Y + inv[8]
                let sx = Float((inv[0] * X + inv[1] * Y + inv[2]) / w), sy = Float((inv[3] * X + inv[4] * Y + inv[5]) / w)
                img.sampleAll(sx, sy, fill: fill, into: &out.data, at: (y * img.width + x) * img.channels)
            }
        }
        return out
    }

    /// The affine map rotating by `degrees` (counter-clockwise as seen), scaling, shearing (degrees)
    /// and translating (pixels) about the image centre.
    public static func affine(width: Int, height: Int, degrees: Double, scale: Double = 1, shear: Double = 0,
                              translate: (Double, Double) = (0, 0)) -> Matrix {
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        let a = -degrees * .pi / 180, s = tan(shear * .pi / 180)
        let toOrigin: Matrix = [1, 0, -cx, 0, 1, -cy, 0, 0, 1]
        let ca: Double = cos(a) * scale, sa: Double = sin(a) * scale
        let rot: Matrix = [ca, -sa, 0, sa, ca, 0, 0, 0, 1]
        let sh: Matrix = [1, s, 0, 0, 1, 0, 0, 0, 1]
        let back: Matrix = [1, 0, cx + translate.0, 0, 1, cy + translate.1, 0, 0, 1]
        return multiply(back, multiply(rot, multiply(sh, toOrigin)))
    }

    /// The homography taking the four corners to `corners` (top-left, top-right, bottom-right, bottom-left).
    public static func perspective(width: Int, height: Int, corners: [(Double, Double)]) -> Matrix {
        let src = [(0.0, 0.0), (Double(width - 1), 0.0), (Double(width - 1), Double(height - 1)), (0.0, Double(height - 1))]
        // Solve the 8×8 system A·h = b for h = (h0…h7), h8 = 1.
        var a = [[Double]](repeating: [Double](repeating: 0, count: 9), count: 8)
        for i in 0..<4 {
            let (x, y) = src[i], (u, v) = corners[i]
            a[2 * i] = [x, y, 1, 0, 0, 0, -u * x, -u * y, u]
            a[2 * i + 1] = [0, 0, 0, x, y, 1, -v * x, -v * y, v]
        }
        for col in 0..<8 {  // Gauss–Jordan with partial pivoting
            let pivot = (col..<8).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            a.swapAt(col, pivot)
            let p = a[col][col]
            if abs(p) < 1e-12 { return [1, 0, 0, 0, 1, 0, 0, 0, 1] }
            for j in col..<9 { a[col][j] /= p }
            for r in 0..<8 where r != col {
                let f = a[r][col]
                if f != 0 { for j in col..<9 { a[r][j] -= f * a[col][j] } }
            }
        }
        return (0..<8).map { a[$0][8] } + [1]
    }

    public static func flipHorizontal(_ img: FloatImage) -> FloatImage {
        var out = img
        for y in 0..<img.height { for x in 0..<img.width { for c in 0..<img.channels { out[x, y, c] = img[img.width - 1 - x, y, c] } } }
        return out
    }

    public static func flipVertical(_ img: FloatImage) -> FloatImage {
        var out = img
        for y in 0..<img.height { for x in 0..<img.width { for c in 0..<img.channels { out[x, y, c] = img[x, img.height - 1 - y, c] } } }
        return out
    }

    /// Rotation by k × 90° counter-clockwise (as seen), exact.
    public static func rotate90(_ img: FloatImage, times k: Int) -> FloatImage {
        let k = ((k % 4) + 4) % 4
        if k == 0 { return img }
        let ow = k % 2 == 1 ? img.height : img.width, oh = k % 2 == 1 ? img.width : img.height
        var out = FloatImage(width: ow, height: oh, channels: img.channels)
        for y in 0..<oh {
            for x in 0..<ow {
                let (sx, sy): (Int, Int)
                switch k {
                case 1: (sx, sy) = (img.width - 1 - y, x)          // 90° counter-clockwise
                case 2: (sx, sy) = (img.width - 1 - x, img.height - 1 - y)
                default: (sx, sy) = (y, img.height - 1 - x)        // 270°
                }
                for c in 0..<img.channels { out[x, y, c] = img[sx, sy, c] }
            }
        }
        return out
    }
}
