import Foundation

/// What a surface is before it meets light and camera: albedo (three planes, 0…1), relief
/// (height in pixels, shaded against the light direction) and, for PCBs, the bare board
/// beneath the printed features so a missing print can reveal it. Layout: planes of
/// `width × height` floats, row-major.
struct SurfaceLayers {
    let width: Int
    let height: Int
    var r: [Float]
    var g: [Float]
    var b: [Float]
    var relief: [Float]
    /// How strongly relief slopes change brightness (glossy paint high, cloth low).
    var shading: Float
    /// PCB only: the board with no copper, pads, vias or silkscreen.
    var bare: Bare?
    /// Painted surfaces: what shows where the coating is missing (primer), else nil.
    var underlay: (Float, Float, Float)?
    /// PCB only: centres of printed features (pads, trace pieces, glyphs, vias), for missing prints.
    var features: [(x: Float, y: Float)] = []

    struct Bare {
        var r: [Float], g: [Float], b: [Float], relief: [Float]
    }

    init(width: Int, height: Int, shading: Float) {
        self.width = width
        self.height = height
        let n = width * height
        r = [Float](repeating: 0, count: n)
        g = r
        b = r
        relief = r
        self.shading = shading
    }

    var count: Int { width * height }
}

// MARK: - Small raster helpers shared by textures and defects

/// Coverage of a capsule (segment a–b, half width `hw`) drawn with one pixel of anti-aliasing,
/// merged into `cov` by maximum. Only the segment's bounding box is visited.
func strokeSegment(_ cov: UnsafeMutableBufferPointer<Float>, width: Int, height: Int,
                   ax: Float, ay: Float, bx: Float, by: Float, hw0: Float, hw1: Float) {
    let pad = max(hw0, hw1) + 1.5
    let x0 = max(0, Int((min(ax, bx) - pad).rounded(.down))), x1 = min(width - 1, Int((max(ax, bx) + pad).rounded(.up)))
    let y0 = max(0, Int((min(ay, by) - pad).rounded(.down))), y1 = min(height - 1, Int((max(ay, by) + pad).rounded(.up)))
    if x0 > x1 || y0 > y1 { return }
    let dx = bx - ax, dy = by - ay
    let len2 = max(dx * dx + dy * dy, 1e-6)
    for y in y0...y1 {
        let py = Float(y) + 0.5 - ay
        for x in x0...x1 {
            let px = Float(x) + 0.5 - ax
            let t = min(max((px * dx + py * dy) / len2, 0), 1)
            let ex = px - t * dx, ey = py - t * dy
            let d = (ex * ex + ey * ey).squareRoot()
            let hw = hw0 + (hw1 - hw0) * t
            // Lines thinner than a pixel keep their width as reduced opacity.
            var c = clamp01(max(hw, 0.5) + 0.5 - d)
            if hw < 0.5 { c *= hw * 2 }
            let i = y * width + x
            if c > cov[i] { cov[i] = c }
        }
    }
}

/// Strokes a polyline with per-point half widths.
func strokePolyline(_ cov: inout [Float], width: Int, height: Int, points: [(Float, Float)], halfWidths: [Float]) {
    cov.withUnsafeMutableBufferPointer { c in
        for i in 0..<(points.count - 1) {
            strokeSegment(c, width: width, height: height, ax: points[i].0, ay: points[i].1,
                          bx: points[i + 1].0, by: points[i + 1].1, hw0: halfWidths[i], hw1: halfWidths[i + 1])
        }
    }
}

/// Box blur of radius `r` (window 2r+1) in both directions, edges clamped; O(1) per pixel.
func boxBlur(_ src: [Float], width: Int, height: Int, radius r: Int) -> [Float] {
    var tmp = [Float](repeating: 0, count: src.count)
    var out = tmp
    let inv = 1 / Float(2 * r + 1)
    src.withUnsafeBufferPointer { s in
        tmp.withUnsafeMutableBufferPointer { t in
            for y in 0..<height {
                let row = y * width
                var acc: Float = 0
                for k in -r...r { acc += s[row + min(max(k, 0), width - 1)] }
                for x in 0..<width {
                    t[row + x] = acc * inv
                    acc += s[row + min(x + r + 1, width - 1)] - s[row + max(x - r, 0)]
                }
            }
        }
    }
    tmp.withUnsafeBufferPointer { t in
        out.withUnsafeMutableBufferPointer { o in
            for x in 0..<width {
                var acc: Float = 0
                for k in -r...r { acc += t[min(max(k, 0), height - 1) * width + x] }
                for y in 0..<height {
                    o[y * width + x] = acc * inv
                    acc += t[min(y + r + 1, height - 1) * width + x] - t[max(y - r, 0) * width + x]
                }
            }
        }
    }
    return out
}

/// A soft, irregular blob: weight 1 inside, 0 outside, smooth over `soft` (fraction of the
/// radius). The outline wobbles with a few angular harmonics and a little fbm.
struct Blob {
    var cx: Float, cy: Float, radius: Float, aspect: Float, angle: Float, soft: Float
    var harmonics: [(amp: Float, phase: Float)]
    var noise: ValueNoise
    var roughness: Float

    init(cx: Float, cy: Float, radius: Float, soft: Float, roughness: Float, rng: inout SeededRNGBox) {
        self.cx = cx
        self.cy = cy
        self.radius = radius
        self.soft = soft
        self.roughness = roughness
        aspect = rng.uniform(0.6, 1)
        angle = rng.uniform(0, .pi)
        harmonics = (0..<4).map { k in (rng.uniform(0.03, 0.16) / Float(k + 1).squareRoot(), rng.uniform(0, 2 * .pi)) }
        noise = ValueNoise(seed: rng.seed32())
    }

    var reach: Float { radius * 1.6 + 2 }

    /// Fills `w` (full image plane) with the blob's weight; returns nothing outside the bounding box.
    func fill(_ w: inout [Float], width: Int, height: Int) {
        let c = cos(angle), s = sin(angle)
        let x0 = max(0, Int(cx - reach)), x1 = min(width - 1, Int(cx + reach))
        let y0 = max(0, Int(cy - reach)), y1 = min(height - 1, Int(cy + reach))
        if x0 > x1 || y0 > y1 { return }
        w.withUnsafeMutableBufferPointer { o in
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = Float(x) + 0.5 - cx, dy = Float(y) + 0.5 - cy
                    let u = dx * c + dy * s, v = (-dx * s + dy * c) / aspect
                    let r = (u * u + v * v).squareRoot()
                    let a = atan2(v, u)
                    var edge: Float = 1
                    for (k, h) in harmonics.enumerated() { edge += h.amp * cos(Float(k + 2) * a + h.phase) }
                    edge += roughness * noise.fbm(Float(x) / 9, Float(y) / 9, octaves: 3)
                    let rr = r / (radius * edge)
                    let val = 1 - smoothstep(1 - soft, 1 + soft, rr)
                    let i = y * width + x
                    if val > o[i] { o[i] = val }
                }
            }
        }
    }
}
