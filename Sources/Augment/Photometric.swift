import Foundation

/// Colour transforms on [0, 1] values; luma uses ITU-R BT.601 weights.
enum Photometric {
    static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.299 * r + 0.587 * g + 0.114 * b }

    static func map(_ img: FloatImage, _ f: (Float) -> Float) -> FloatImage {
        var out = img
        for i in 0..<out.data.count { out.data[i] = min(max(f(img.data[i]), 0), 1) }
        return out
    }

    static func brightness(_ img: FloatImage, _ k: Float) -> FloatImage { map(img) { $0 * k } }

    /// Blend with the image's mean gray: (x − m)·k + m.
    static func contrast(_ img: FloatImage, _ k: Float) -> FloatImage {
        var total: Float = 0
        let n = img.width * img.height
        for i in 0..<n {
            total += img.channels >= 3 ? luma(img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2]) : img.data[i]
        }
        let m = total / Float(max(n, 1))
        return map(img) { ($0 - m) * k + m }
    }

    /// Blend each pixel with its own gray: (x − g)·k + g.
    static func saturation(_ img: FloatImage, _ k: Float) -> FloatImage {
        guard img.channels >= 3 else { return img }
        var out = img
        for i in 0..<(img.width * img.height) {
            let g = luma(img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2])
            for c in 0..<3 { out.data[3 * i + c] = min(max((img.data[3 * i + c] - g) * k + g, 0), 1) }
        }
        return out
    }

    static func gamma(_ img: FloatImage, _ g: Float) -> FloatImage { map(img) { pow($0, g) } }

    static func grayscale(_ img: FloatImage) -> FloatImage {
        guard img.channels >= 3 else { return img }
        var out = img
        for i in 0..<(img.width * img.height) {
            let g = luma(img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2])
            for c in 0..<3 { out.data[3 * i + c] = g }
        }
        return out
    }

    /// Rotates hue by `shift` turns through HSV.
    static func hue(_ img: FloatImage, _ shift: Float) -> FloatImage {
        guard img.channels >= 3, shift != 0 else { return img }
        var out = img
        for i in 0..<(img.width * img.height) {
            let r = img.data[3 * i], g = img.data[3 * i + 1], b = img.data[3 * i + 2]
            let mx = max(r, g, b), mn = min(r, g, b), d = mx - mn
            var h: Float = 0
            if d > 0 {
                if mx == r { h = (g - b) / d } else if mx == g { h = 2 + (b - r) / d } else { h = 4 + (r - g) / d }
                h /= 6
            }
            h = (h + shift).truncatingRemainder(dividingBy: 1)
            if h < 0 { h += 1 }
            let s = mx > 0 ? d / mx : 0, v = mx
            let hh = h * 6, sector = Int(hh) % 6, f = hh - Float(Int(hh))
            let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
            let rgb: (Float, Float, Float)
            switch sector {
            case 0: rgb = (v, t, p)
            case 1: rgb = (q, v, p)
            case 2: rgb = (p, v, t)
            case 3: rgb = (p, q, v)
            case 4: rgb = (t, p, v)
            default: rgb = (v, p, q)
            }
            out.data[3 * i] = rgb.0; out.data[3 * i + 1] = rgb.1; out.data[3 * i + 2] = rgb.2
        }
        return out
    }
}
