import Foundation
import ImageIO
import TensorCore

/// Light and camera for one shot: relief shading against a light direction, a directional
/// illumination gradient, vignetting, exposure, contrast and colour temperature; then optics
/// blur, signal-dependent sensor noise and, sometimes, JPEG-like 8×8 block smoothing.
///
/// The inspection station belongs to the product (`station`: nominal light direction, exposure,
/// contrast, colour temperature, vignetting); each shot (`rng`) moves the light a little, adds
/// its own illumination gradient, exposure and colour-temperature drift, and draws blur, noise
/// level and compression. Good and defective shots of one instance seed match.
struct Camera {
    var lightX: Float, lightY: Float
    var gradX: Float, gradY: Float
    var vignette: Float, vigX: Float, vigY: Float
    var exposure: Float, contrast: Float
    var gain: (Float, Float, Float)
    var blur: Float
    var noiseSigma: Float
    var block: Float, blockOffX: Int, blockOffY: Int

    init(size: Int, station p: inout SeededRNGBox, rng: inout SeededRNGBox) {
        let S = Float(size)
        // Station (product).
        let la0 = p.uniform(0, 2 * .pi)
        let vig0 = p.uniform(0, 0.35), vx0 = p.uniform(0.4, 0.6), vy0 = p.uniform(0.4, 0.6)
        let exp0 = p.uniform(0.82, 1.15), con0 = p.uniform(0.85, 1.2)
        let t0 = p.uniform(-1, 1) * 0.07, tint0 = p.uniform(-0.015, 0.015)
        // Shot (instance).
        let la = la0 + rng.uniform(-0.6, 0.6), ls = rng.uniform(0.85, 1.15)
        lightX = cos(la) * ls; lightY = sin(la) * ls
        let ga = rng.uniform(0, 2 * .pi), gs = rng.uniform(0, 0.12) / (S / 2)
        gradX = cos(ga) * gs; gradY = sin(ga) * gs
        vignette = max(0, vig0 + rng.uniform(-0.05, 0.05))
        vigX = (vx0 + rng.uniform(-0.04, 0.04)) * S; vigY = (vy0 + rng.uniform(-0.04, 0.04)) * S
        exposure = exp0 * rng.uniform(0.87, 1.13)
        contrast = con0 * rng.uniform(0.96, 1.04)
        let t = t0 + rng.uniform(-0.02, 0.02), tint = tint0 + rng.uniform(-0.006, 0.006)
        gain = (1 + t, 1 + tint, 1 - t)
        blur = rng.uniform(0, 0.85)
        noiseSigma = rng.uniform(0.8, 5) / 255
        block = rng.chance(0.4) ? rng.uniform(0.05, 0.22) : 0
        blockOffX = rng.int(0, 7); blockOffY = rng.int(0, 7)
    }

    /// Renders the layers to an 8-bit RGB image; `noise` is consumed identically for every call
    /// with the same generator state.
    func develop(_ L: SurfaceLayers, noise rng: SeededRNG) -> Image {
        let w = L.width, h = L.height, n = L.count
        // Light: relief shading against the light direction times the illumination field.
        var light = [Float](repeating: 0, count: n)
        let hw = Float(w) / 2, hh = Float(h) / 2
        let invR2 = 1.6 / (hw * hw + hh * hh)
        let shadeK = L.shading
        L.relief.withUnsafeBufferPointer { rel in
            light.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    let ym = max(y - 1, 0) * w, yp = min(y + 1, h - 1) * w, row = y * w
                    let fy = Float(y) + 0.5, dy = fy - vigY
                    let rowIllum = 1 + (fy - hh) * gradY
                    for x in 0..<w {
                        let hx = (rel[row + min(x + 1, w - 1)] - rel[row + max(x - 1, 0)]) * 0.5
                        let hy = (rel[yp + x] - rel[ym + x]) * 0.5
                        let shade = min(max(1 + shadeK * (hx * lightX + hy * lightY), 0.25), 1.9)
                        let fx = Float(x) + 0.5, dx = fx - vigX
                        let illum = (rowIllum + (fx - hw) * gradX) * (1 - vignette * (dx * dx + dy * dy) * invR2)
                        o[row + x] = shade * illum * exposure
                    }
                }
            }
        }
        let gains = [gain.0, gain.1, gain.2]
        var planes = [[Float]](repeating: [], count: 3)
        for c in 0..<3 {
            let alb = c == 0 ? L.r : (c == 1 ? L.g : L.b)
            let gc = gains[c], k = contrast, off = 0.45 * (1 - contrast)
            var plane = [Float](repeating: 0, count: n)
            alb.withUnsafeBufferPointer { a in
                light.withUnsafeBufferPointer { l in
                    plane.withUnsafeMutableBufferPointer { o in
                        for i in 0..<n { o[i] = a[i] * l[i] * gc * k + off }
                    }
                }
            }
            planes[c] = plane
        }
        // Optics: a [1 2 1]² kernel mixed in by `blur`.
        if blur > 0.01 {
            for c in 0..<3 { planes[c] = binomialBlur(planes[c], width: w, height: h, amount: blur) }
        }
        // Sensor: noise grows with signal (shot noise) on top of a floor (read noise).
        var gen = rng
        let noiseSeed = UInt32(truncatingIfNeeded: gen.next() >> 32)
        var z = [Float](repeating: 0, count: 3 * n)
        z.withUnsafeMutableBufferPointer { fillCameraNoise($0, seed: noiseSeed) }
        for c in 0..<3 {
            planes[c].withUnsafeMutableBufferPointer { o in
                z.withUnsafeBufferPointer { zz in
                    for i in 0..<n {
                        let v = o[i]
                        o[i] = v + noiseSigma * (0.5 + 0.8 * max(v, 0).squareRoot()) * zz[c * n + i]
                    }
                }
            }
        }
        if block > 0 {
            for c in 0..<3 { blockSmooth(&planes[c], width: w, height: h) }
        }
        var px = [UInt8](repeating: 0, count: 3 * n)
        px.withUnsafeMutableBufferPointer { p in
            for c in 0..<3 {
                planes[c].withUnsafeBufferPointer { o in
                    for i in 0..<n {
                        // A soft shoulder above 0.8 instead of hard clipping, like a camera's tone curve.
                        var v = o[i]
                        if v > 0.8 { let e = v - 0.8; v = 0.8 + e / (1 + e * 4.5) }
                        p[i * 3 + c] = UInt8(min(max(v * 255 + 0.5, 0), 255))
                    }
                }
            }
        }
        return Image(width: w, height: h, channels: 3, pixels8: px)
    }

    /// Pulls each 8×8 block a little towards its mean: the look of heavy JPEG quantisation.
    func blockSmooth(_ p: inout [Float], width w: Int, height h: Int) {
        p.withUnsafeMutableBufferPointer { o in
            var by = -blockOffY
            while by < h {
                var bx = -blockOffX
                while bx < w {
                    let x0 = max(bx, 0), x1 = min(bx + 8, w), y0 = max(by, 0), y1 = min(by + 8, h)
                    var sum: Float = 0
                    for y in y0..<y1 { for x in x0..<x1 { sum += o[y * w + x] } }
                    let mean = sum / Float((x1 - x0) * (y1 - y0))
                    for y in y0..<y1 { for x in x0..<x1 { o[y * w + x] += block * (mean - o[y * w + x]) } }
                    bx += 8
                }
                by += 8
            }
        }
    }
}

/// `(1 − amount)·p + amount·(p ⊛ [1 2 1]ᵀ[1 2 1] / 16)`, edges clamped.
func binomialBlur(_ p: [Float], width w: Int, height h: Int, amount: Float) -> [Float] {
    var t = [Float](repeating: 0, count: p.count)
    var out = t
    p.withUnsafeBufferPointer { s in
        t.withUnsafeMutableBufferPointer { o in
            for y in 0..<h {
                let r = y * w
                for x in 0..<w {
                    o[r + x] = (s[r + max(x - 1, 0)] + 2 * s[r + x] + s[r + min(x + 1, w - 1)]) * 0.25
                }
            }
        }
    }
    t.withUnsafeBufferPointer { s in
        p.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { o in
                for y in 0..<h {
                    let ym = max(y - 1, 0) * w, yp = min(y + 1, h - 1) * w, r = y * w
                    for x in 0..<w {
                        let b = (s[ym + x] + 2 * s[r + x] + s[yp + x]) * 0.25
                        o[r + x] = src[r + x] + amount * (b - src[r + x])
                    }
                }
            }
        }
    }
    return out
}
