import Foundation

/// Convolution filters (blur family), edges replicated.
enum Filters {
    /// Separable Gaussian, radius ⌈3σ⌉.
    static func gaussianBlur(_ img: FloatImage, sigma: Double) -> FloatImage {
        guard sigma > 0.05 else { return img }
        let r = Int((3 * sigma).rounded(.up))
        var k = (-r...r).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let s = k.reduce(0, +)
        k = k.map { $0 / s }
        return separable(img, k)
    }

    static func separable(_ img: FloatImage, _ k: [Float]) -> FloatImage {
        let r = k.count / 2, w = img.width, h = img.height, ch = img.channels
        var tmp = img, out = img
        for y in 0..<h { for x in 0..<w { for c in 0..<ch {
            var acc: Float = 0
            for i in -r...r { acc += k[i + r] * img[min(max(x + i, 0), w - 1), y, c] }
            tmp[x, y, c] = acc
        } } }
        for y in 0..<h { for x in 0..<w { for c in 0..<ch {
            var acc: Float = 0
            for i in -r...r { acc += k[i + r] * tmp[x, min(max(y + i, 0), h - 1), c] }
            out[x, y, c] = acc
        } } }
        return out
    }

    /// Average along a line of `length` pixels at `degrees` (camera shake / ego-motion).
    /// Every tap is the same sub-pixel shift for all pixels, so its four bilinear weights are
    /// computed once per tap; only coordinates are clamped at the borders.
    static func motionBlur(_ img: FloatImage, length: Int, degrees: Double) -> FloatImage {
        let a = degrees * .pi / 180, dx = Float(cos(a)), dy = Float(sin(a))
        let w = img.width, h = img.height, ch = img.channels
        var out = FloatImage(width: w, height: h, channels: ch)
        let inv = 1 / Float(length)
        img.data.withUnsafeBufferPointer { src in
            out.data.withUnsafeMutableBufferPointer { dst in
                for t in 0..<length {
                    let off = Float(t) - Float(length - 1) / 2
                    let ox = off * dx, oy = off * dy
                    let x0 = Int(ox.rounded(.down)), y0 = Int(oy.rounded(.down))
                    let fx = ox - Float(x0), fy = oy - Float(y0)
                    let w00 = (1 - fx) * (1 - fy) * inv, w10 = fx * (1 - fy) * inv, w01 = (1 - fx) * fy * inv, w11 = fx * fy * inv
                    for y in 0..<h {
                        let ya = min(max(y + y0, 0), h - 1) * w, yb = min(max(y + y0 + 1, 0), h - 1) * w
                        for x in 0..<w {
                            let xa = min(max(x + x0, 0), w - 1), xb = min(max(x + x0 + 1, 0), w - 1)
                            let p00 = (ya + xa) * ch, p10 = (ya + xb) * ch, p01 = (yb + xa) * ch, p11 = (yb + xb) * ch
                            let o = (y * w + x) * ch
                            for c in 0..<ch {
                                dst[o + c] += w00 * src[p00 + c] + w10 * src[p10 + c] + w01 * src[p01 + c] + w11 * src[p11 + c]
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Uniform disk of `radius` (out-of-focus lens).
    static func disk(_ img: FloatImage, radius: Int) -> FloatImage {
        var taps: [(Int, Int)] = []
        for dy in -radius...radius { for dx in -radius...radius where dx * dx + dy * dy <= radius * radius { taps.append((dx, dy)) } }
        var out = img
        let inv = 1 / Float(taps.count)
        for y in 0..<img.height { for x in 0..<img.width { for c in 0..<img.channels {
            var acc: Float = 0
            for (dx, dy) in taps { acc += img[min(max(x + dx, 0), img.width - 1), min(max(y + dy, 0), img.height - 1), c] }
            out[x, y, c] = acc * inv
        } } }
        return out
    }
}
