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
    static func motionBlur(_ img: FloatImage, length: Int, degrees: Double) -> FloatImage {
        let a = degrees * .pi / 180, dx = Float(cos(a)), dy = Float(sin(a))
        let offsets = (0..<length).map { Float($0) - Float(length - 1) / 2 }
        var out = img
        for y in 0..<img.height { for x in 0..<img.width { for c in 0..<img.channels {
            var acc: Float = 0
            for t in offsets { acc += img.sample(Float(x) + t * dx, Float(y) + t * dy, c, fill: .edge) }
            out[x, y, c] = acc / Float(length)
        } } }
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
