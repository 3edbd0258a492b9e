import Foundation
import TensorCore

/// Road-scene conditions: rain, fog, night, glare, shadows.
enum Weather {
    /// Thin bright slanted streaks over a slightly dimmed, softened scene.
    static func rain(_ img: FloatImage, drops: Int, rng: inout SeededRNG) -> FloatImage {
        var out = Photometric.brightness(Filters.gaussianBlur(img, sigma: 0.6), 0.85)
        let slant = rng.uniform(-0.3, 0.3)
        let length = max(4, img.height / 12)
        for _ in 0..<drops {
            let x0 = rng.uniform(0, Float(img.width)), y0 = rng.uniform(-Float(length), Float(img.height))
            let strength = rng.uniform(0.15, 0.35)
            for t in 0..<length {
                let x = Int(x0 + slant * Float(t)), y = Int(y0) + t
                guard x >= 0 && x < img.width && y >= 0 && y < img.height else { continue }
                for c in 0..<img.channels { out[x, y, c] = min(1, out[x, y, c] + strength) }
            }
        }
        return out
    }

    /// Haze that thickens towards the horizon (top): x·(1 − t) + 0.8·t.
    static func fog(_ img: FloatImage, density: Float) -> FloatImage {
        var out = img
        for y in 0..<img.height {
            let t = density * (1 - 0.6 * Float(y) / Float(max(img.height - 1, 1)))
            for x in 0..<img.width { for c in 0..<img.channels { out[x, y, c] = img[x, y, c] * (1 - t) + 0.8 * t } }
        }
        return out
    }

    /// Night: darker, crushed shadows, a blue cast and sensor noise.
    static func lowLight(_ img: FloatImage, rng: inout SeededRNG) -> FloatImage {
        let k = rng.uniform(0.25, 0.5), g = rng.uniform(1.2, 1.8)
        var out = img
        out.data.withUnsafeMutableBufferPointer { o in
            rng.fillNormal(o)
            for i in 0..<o.count {
                let c = img.channels >= 3 ? i % img.channels : -1
                let cast: Float = c == 2 ? 1.1 : (c == 0 ? 0.9 : 1)
                o[i] = min(max(pow(img.data[i] * k, g) * cast + o[i] * 0.02, 0), 1)
            }
        }
        return out
    }

    /// A bright radial flare (low sun, headlights).
    static func glare(_ img: FloatImage, rng: inout SeededRNG) -> FloatImage {
        let cx = rng.uniform(0, Float(img.width)), cy = rng.uniform(0, Float(img.height) * 0.6)
        let radius = rng.uniform(0.15, 0.4) * Float(max(img.width, img.height)), peak = rng.uniform(0.5, 0.9)
        var out = img
        for y in 0..<img.height { for x in 0..<img.width {
            let d2 = (Float(x) - cx) * (Float(x) - cx) + (Float(y) - cy) * (Float(y) - cy)
            let a = peak * exp(-d2 / (2 * radius * radius))
            for c in 0..<img.channels { out[x, y, c] = img[x, y, c] * (1 - a) + a }
        } }
        return out
    }

    /// A dark band between two random lines across the image (a pole's or building's shadow).
    static func shadow(_ img: FloatImage, rng: inout SeededRNG) -> FloatImage {
        let w = Float(img.width), h = Float(img.height)
        let top0 = rng.uniform(0, w), bottom0 = rng.uniform(0, w)
        let width = rng.uniform(0.1, 0.35) * w, darkness = rng.uniform(0.4, 0.7)
        var out = img
        for y in 0..<img.height {
            let t = Float(y) / max(h - 1, 1)
            let left = top0 + (bottom0 - top0) * t
            for x in 0..<img.width where Float(x) >= left && Float(x) < left + width {
                for c in 0..<img.channels { out[x, y, c] = img[x, y, c] * darkness }
            }
        }
        return out
    }
}

/// Industrial inspection conditions.
enum Inspection {
    /// Multiplies by a linear ramp from 1 − s to 1 + s along a random direction (uneven lighting).
    static func illuminationGradient(_ img: FloatImage, strength: Float, rng: inout SeededRNG) -> FloatImage {
        let a = rng.uniform(0, 2 * .pi), dx = cos(a), dy = sin(a)
        let cx = Float(img.width - 1) / 2, cy = Float(img.height - 1) / 2
        let span = max(abs(dx) * cx + abs(dy) * cy, 1)
        var out = img
        for y in 0..<img.height { for x in 0..<img.width {
            let t = ((Float(x) - cx) * dx + (Float(y) - cy) * dy) / span
            let k = 1 + strength * t
            for c in 0..<img.channels { out[x, y, c] = min(max(img[x, y, c] * k, 0), 1) }
        } }
        return out
    }

    /// Read noise plus signal-dependent shot noise: x + N(0, σr² + k·x).
    static func sensorNoise(_ img: FloatImage, rng: inout SeededRNG) -> FloatImage {
        let read = rng.uniform(0.005, 0.02), shot = rng.uniform(0.0005, 0.003)
        var out = img
        out.data.withUnsafeMutableBufferPointer { o in
            rng.fillNormal(o)
            img.data.withUnsafeBufferPointer { s in
                for i in 0..<o.count { o[i] = min(max(s[i] + o[i] * (read * read + shot * s[i]).squareRoot(), 0), 1) }
            }
        }
        return out
    }
}
