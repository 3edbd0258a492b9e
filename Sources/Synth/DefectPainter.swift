import Foundation

// Defects are painted into the surface's albedo and relief before light and camera act, so the
// defective image is the good image of the same seed with only the defect changed. Each painter
// returns a change map in [0, 1]: how strongly each pixel was altered; the mask is where it is
// at least `maskThreshold`, grown by a pixel for the camera's blur.

let maskThreshold: Float = 0.35

extension DefectKind {
    func paint(on L: inout SurfaceLayers, rng: inout SeededRNGBox) -> [Float] {
        switch self {
        case .scratch: return Defects.scratch(&L, &rng)
        case .pit: return Defects.pits(&L, &rng)
        case .crack: return Defects.crack(&L, &rng)
        case .stain: return Defects.stain(&L, &rng)
        case .dent: return Defects.dent(&L, &rng)
        case .missingPrint: return L.bare != nil ? Defects.missingPrintPCB(&L, &rng) : Defects.smoothedPatch(&L, &rng)
        }
    }
}

enum Defects {
    static func centre(_ L: SurfaceLayers, _ rng: inout SeededRNGBox, margin: Float = 0.18) -> (Float, Float) {
        (rng.uniform(margin, 1 - margin) * Float(L.width), rng.uniform(margin, 1 - margin) * Float(L.height))
    }

    /// Brightens (towards white) or darkens every albedo channel by `amount × cov`.
    static func tone(_ L: inout SurfaceLayers, cov: [Float], amount: Float, bright: Bool) {
        for i in 0..<L.count where cov[i] > 0 {
            let k = amount * cov[i]
            if bright {
                L.r[i] += k * (1 - L.r[i]) ; L.g[i] += k * (1 - L.g[i]); L.b[i] += k * (1 - L.b[i])
            } else {
                L.r[i] *= 1 - k; L.g[i] *= 1 - k; L.b[i] *= 1 - k
            }
        }
    }

    static func scratch(_ L: inout SurfaceLayers, _ rng: inout SeededRNGBox) -> [Float] {
        let S = Float(L.width), s = S / 256, k = rng.unit()
        let (cx, cy) = centre(L, &rng, margin: 0.3)
        let len = rng.uniform(0.35, 0.8) * S, a = rng.uniform(0, .pi)
        let dx = cos(a) * len / 2, dy = sin(a) * len / 2
        let b1 = rng.uniform(-0.25, 0.25), b2 = rng.uniform(-0.25, 0.25)
        // Cubic Bézier whose inner control points bow out perpendicular to the chord.
        let p0 = (cx - dx, cy - dy), p3 = (cx + dx, cy + dy)
        let p1 = (cx - dx / 3 - dy * 2 * b1, cy - dy / 3 + dx * 2 * b1)
        let p2 = (cx + dx / 3 - dy * 2 * b2, cy + dy / 3 + dx * 2 * b2)
        let hw = rng.uniform(0.6, 1.8) * s
        var pts: [(Float, Float)] = [], ws: [Float] = []
        let m = 48
        for j in 0...m {
            let t = Float(j) / Float(m), u = 1 - t
            let x = u * u * u * p0.0 + 3 * u * u * t * p1.0 + 3 * u * t * t * p2.0 + t * t * t * p3.0
            let y = u * u * u * p0.1 + 3 * u * u * t * p1.1 + 3 * u * t * t * p2.1 + t * t * t * p3.1
            pts.append((x, y))
            ws.append(hw * (0.3 + 0.7 * sin(.pi * t).squareRoot()))
        }
        var cov = [Float](repeating: 0, count: L.count)
        strokePolyline(&cov, width: L.width, height: L.height, points: pts, halfWidths: ws)
        tone(&L, cov: cov, amount: 0.15 + 0.45 * k, bright: rng.chance(0.55))
        let groove = 0.3 + 0.9 * k
        for i in 0..<L.count where cov[i] > 0 { L.relief[i] -= groove * cov[i] }
        return cov
    }

    static func pits(_ L: inout SurfaceLayers, _ rng: inout SeededRNGBox) -> [Float] {
        let S = Float(L.width), k = rng.unit()
        let count = rng.chance(0.5) ? 1 : rng.int(2, 4)
        let (cx, cy) = centre(L, &rng)
        var change = [Float](repeating: 0, count: L.count)
        let depth = 0.35 + 0.6 * k
        for j in 0..<count {
            let R = (count == 1 ? rng.uniform(0.032, 0.07) : rng.uniform(0.028, 0.05)) * S
            let px = j == 0 ? cx : cx + rng.uniform(-4, 4) * R, py = j == 0 ? cy : cy + rng.uniform(-4, 4) * R
            let aspect = rng.uniform(0.65, 1), ang = rng.uniform(0, .pi), ca = cos(ang), sa = sin(ang)
            let reach = R * 1.1 + 2
            let x0 = max(0, Int(px - reach)), x1 = min(L.width - 1, Int(px + reach))
            let y0 = max(0, Int(py - reach)), y1 = min(L.height - 1, Int(py + reach))
            if x0 > x1 || y0 > y1 { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = Float(x) + 0.5 - px, dy = Float(y) + 0.5 - py
                    let u = (dx * ca + dy * sa) / R, v = (-dx * sa + dy * ca) / (R * aspect)
                    let rr = (u * u + v * v).squareRoot()
                    if rr > 1.1 { continue }
                    // Floor: dark and darkest in the middle. Rim: a raised bright lip.
                    let floor = 1 - smoothstep(0.6, 0.75, rr)
                    let rim = smoothstep(0.55, 0.75, rr) * (1 - smoothstep(0.85, 1.0, rr))
                    let i = y * L.width + x
                    let dark = 1 - 0.6 * depth * floor * (0.7 + 0.3 * (1 - rr / 0.75))
                    let lift = 0.2 * depth * rim
                    L.r[i] = L.r[i] * dark + lift * (1 - L.r[i])
                    L.g[i] = L.g[i] * dark + lift * (1 - L.g[i])
                    L.b[i] = L.b[i] * dark + lift * (1 - L.b[i])
                    let q = min(rr / 0.75, 1)
                    L.relief[i] += R * 0.3 * depth * (-floor * (1 - q * q) + 0.3 * rim)
                    change[i] = max(change[i], 1 - smoothstep(0.9, 1.05, rr))
                }
            }
        }
        return change
    }

    static func crack(_ L: inout SurfaceLayers, _ rng: inout SeededRNGBox) -> [Float] {
        let S = Float(L.width), s = S / 256, k = rng.unit()
        let (cx, cy) = centre(L, &rng, margin: 0.3)
        let len = rng.uniform(0.3, 0.65) * S, step = 2.5 * s
        let hwMax = rng.uniform(0.7, 1.7) * s
        var cov = [Float](repeating: 0, count: L.count)
        func walk(from p0: (Float, Float), heading h0: Float, length: Float, hw0: Float, rng: inout SeededRNGBox) -> [(Float, Float)] {
            var p = p0, h = h0, turn: Float = 0
            var pts = [p], ws = [hw0]
            let steps = max(2, Int(length / step))
            for j in 1...steps {
                turn = 0.6 * turn + 0.25 * rng.normal()
                h += turn * 0.5
                let jag = rng.normal() * 0.6 * s
                p = (p.0 + cos(h) * step - sin(h) * jag, p.1 + sin(h) * step + cos(h) * jag)
                pts.append(p)
                let t = Float(j) / Float(steps)
                ws.append(hw0 * (1 - 0.8 * t) * (0.8 + 0.4 * rng.unit()))
            }
            strokePolyline(&cov, width: L.width, height: L.height, points: pts, halfWidths: ws)
            return pts
        }
        let h = rng.uniform(0, 2 * .pi)
        // Two arms from the origin, so the crack is thickest in its middle.
        let armA = walk(from: (cx, cy), heading: h, length: len / 2, hw0: hwMax, rng: &rng)
        let armB = walk(from: (cx, cy), heading: h + .pi, length: len / 2, hw0: hwMax, rng: &rng)
        for _ in 0..<rng.int(1, 3) {
            let arm = rng.chance(0.5) ? armA : armB
            let j = rng.int(arm.count / 5, max(arm.count / 5, arm.count * 4 / 5))
            let a = j + 1 < arm.count ? atan2(arm[j + 1].1 - arm[j].1, arm[j + 1].0 - arm[j].0) : h
            let side: Float = rng.chance(0.5) ? 1 : -1
            _ = walk(from: arm[j], heading: a + side * rng.uniform(0.4, 1.1), length: len * rng.uniform(0.15, 0.4), hw0: hwMax * 0.6, rng: &rng)
        }
        tone(&L, cov: cov, amount: 0.35 + 0.5 * k, bright: false)
        let depth = 0.6 + 0.8 * k
        for i in 0..<L.count where cov[i] > 0 { L.relief[i] -= depth * cov[i] }
        return cov
    }

    static func stain(_ L: inout SurfaceLayers, _ rng: inout SeededRNGBox) -> [Float] {
        let S = Float(L.width), k = rng.unit()
        let (cx, cy) = centre(L, &rng)
        let blob = Blob(cx: cx, cy: cy, radius: rng.uniform(0.06, 0.15) * S, soft: rng.uniform(0.12, 0.35), roughness: 0.12, rng: &rng)
        var w = [Float](repeating: 0, count: L.count)
        blob.fill(&w, width: L.width, height: L.height)
        let st = 0.25 + 0.55 * k
        let type = rng.int(0, 3)
        let tints: [Textures.RGB] = [(0.62, 0.34, 0.14), (0.22, 0.2, 0.17), (1, 1, 1), (0.4, 0.5, 0.42)]
        let tint = Textures.jitter(tints[type], 0.1, &rng)
        for i in 0..<L.count where w[i] > 0 {
            let a = w[i] * st
            if type == 2 {
                // Water mark: slightly lighter inside, with a darker tide line at its edge.
                let ring = 4 * w[i] * (1 - w[i])
                let f = 1 + 0.2 * a - 0.3 * st * ring
                L.r[i] *= f; L.g[i] *= f; L.b[i] *= f
            } else {
                let lum = (L.r[i] + L.g[i] + L.b[i]) / 3
                let m = 0.45 + 0.8 * lum
                L.r[i] += a * (tint.0 * m - L.r[i])
                L.g[i] += a * (tint.1 * m - L.g[i])
                L.b[i] += a * (tint.2 * m - L.b[i])
            }
        }
        return w
    }

    static func dent(_ L: inout SurfaceLayers, _ rng: inout SeededRNGBox) -> [Float] {
        let S = Float(L.width), k = rng.unit()
        let (cx, cy) = centre(L, &rng)
        let R = rng.uniform(0.08, 0.16) * S
        let aspect = rng.uniform(0.7, 1), ang = rng.uniform(0, .pi), ca = cos(ang), sa = sin(ang)
        // (1 − r²)² has its steepest slope 1.54·depth/R at r ≈ 0.45; pick the slope, not the depth,
        // so that the shading change (what a camera sees) runs from subtle to obvious.
        let slope = 0.25 + 0.75 * k
        let depth = slope * R / 1.54 / max(L.shading, 0.2) * 0.45
        let sign: Float = rng.chance(0.8) ? -1 : 1
        var change = [Float](repeating: 0, count: L.count)
        let x0 = max(0, Int(cx - R - 2)), x1 = min(L.width - 1, Int(cx + R + 2))
        let y0 = max(0, Int(cy - R - 2)), y1 = min(L.height - 1, Int(cy + R + 2))
        for y in y0...y1 {
            for x in x0...x1 {
                let dx = Float(x) + 0.5 - cx, dy = Float(y) + 0.5 - cy
                let u = (dx * ca + dy * sa) / R, v = (-dx * sa + dy * ca) / (R * aspect)
                let r2 = u * u + v * v
                if r2 >= 1 { continue }
                let i = y * L.width + x
                L.relief[i] += sign * depth * (1 - r2) * (1 - r2)
                change[i] = 1 - smoothstep(0.8, 0.95, r2.squareRoot())
            }
        }
        return change
    }

    /// A patch where the texture is smoothed away (worn, filled or over-painted), blended in softly.
    static func smoothedPatch(_ L: inout SurfaceLayers, _ rng: inout SeededRNGBox) -> [Float] {
        let S = Float(L.width), k = rng.unit()
        let (cx, cy) = centre(L, &rng)
        let blob = Blob(cx: cx, cy: cy, radius: rng.uniform(0.07, 0.15) * S, soft: rng.uniform(0.08, 0.2), roughness: 0.1, rng: &rng)
        var w = [Float](repeating: 0, count: L.count)
        blob.fill(&w, width: L.width, height: L.height)
        let r = max(3, Int(0.035 * S))
        let br = boxBlur(L.r, width: L.width, height: L.height, radius: r)
        let bg = boxBlur(L.g, width: L.width, height: L.height, radius: r)
        let bb = boxBlur(L.b, width: L.width, height: L.height, radius: r)
        let bh = boxBlur(L.relief, width: L.width, height: L.height, radius: r)
        let st = 0.7 + 0.3 * k, tone = 1 + rng.uniform(-0.1, 0.1) * k
        if let under = L.underlay {
            // A painted surface: the coat is missing and primer shows, flat and slightly rough.
            let cover = 0.35 + 0.6 * k
            for i in 0..<L.count where w[i] > 0 {
                let a = w[i] * cover, lum = (br[i] + bg[i] + bb[i]) / 3
                let m = 0.6 + 0.5 * lum
                L.r[i] += a * (under.0 * m - L.r[i])
                L.g[i] += a * (under.1 * m - L.g[i])
                L.b[i] += a * (under.2 * m - L.b[i])
                L.relief[i] += w[i] * (bh[i] - L.relief[i])
            }
            return w
        }
        for i in 0..<L.count where w[i] > 0 {
            let a = w[i] * st
            L.r[i] += a * (br[i] * tone - L.r[i])
            L.g[i] += a * (bg[i] * tone - L.g[i])
            L.b[i] += a * (bb[i] * tone - L.b[i])
            L.relief[i] += a * (bh[i] - L.relief[i])
        }
        return w
    }

    /// PCB: a region around a printed feature reverts to the bare board. The change map is the
    /// region where the board actually looks different, so the mask never covers plain mask.
    static func missingPrintPCB(_ L: inout SurfaceLayers, _ rng: inout SeededRNGBox) -> [Float] {
        guard let bare = L.bare else { return smoothedPatch(&L, &rng) }
        let S = Float(L.width), n = L.count
        var best: (SurfaceLayers, [Float], Int)? = nil
        for attempt in 0..<8 {
            var T = L
            let f: (x: Float, y: Float) = L.features.isEmpty ? (S / 2, S / 2) : rng.pick(L.features)
            let radius = rng.uniform(0.04, 0.09) * S * (1 + 0.25 * Float(attempt))
            let blob = Blob(cx: f.x, cy: f.y, radius: radius, soft: 0.08, roughness: 0.05, rng: &rng)
            var w = [Float](repeating: 0, count: n)
            blob.fill(&w, width: L.width, height: L.height)
            var change = [Float](repeating: 0, count: n)
            var area = 0
            for i in 0..<n where w[i] > 0 {
                let dr = bare.r[i] - T.r[i], dg = bare.g[i] - T.g[i], db = bare.b[i] - T.b[i], dh = bare.relief[i] - T.relief[i]
                T.r[i] += w[i] * dr; T.g[i] += w[i] * dg; T.b[i] += w[i] * db; T.relief[i] += w[i] * dh
                let visible = min(1, (abs(dr) + abs(dg) + abs(db)) * 4 + abs(dh) * 0.5)
                change[i] = w[i] * visible
                if change[i] >= maskThreshold { area += 1 }
            }
            if best == nil || area > best!.2 { best = (T, change, area) }
            if Float(area) >= 0.006 * Float(n) { break }
        }
        L = best!.0
        return best!.1
    }
}
