import Foundation
/// Procedural street backgrounds, hard negatives and foreground occluders for `SignScenes`.
enum SignBackground {
    static func street(_ W: Int, _ H: Int, horizon: Float, _ rng: inout SeededRNGBox) -> SignCanvas {
        var c = SignCanvas(width: W, height: H)
        let clouds = ValueNoise(seed: rng.seed32()), tex = ValueNoise(seed: rng.seed32())
        let overcast = rng.unit()
        let top: (Float, Float, Float) = mix3((0.25, 0.47, 0.82), (0.62, 0.64, 0.67), overcast)
        let low: (Float, Float, Float) = mix3((0.72, 0.82, 0.93), (0.80, 0.81, 0.82), overcast)
        let vx = Float(W) * rng.uniform(0.3, 0.7)
        let roadHalf = Float(W) * rng.uniform(0.45, 0.9)
        let grass = rng.chance(0.5)
        let side: (Float, Float, Float) = grass ? (0.28, 0.40, 0.16) : (0.52, 0.50, 0.47)
        let asphalt = rng.uniform(0.26, 0.42)
        let dashPhase = rng.unit()
        let scale = Float(H) / 480
        for y in 0..<H {
            let fy = Float(y) + 0.5
            for x in 0..<W {
                let fx = Float(x) + 0.5
                var col: (Float, Float, Float)
                if fy < horizon {
                    let t = fy / horizon
                    col = mix3(top, low, t)
                    let n = clouds.fbm(fx / (90 * scale), fy / (40 * scale), octaves: 4)
                    let k = max(0, n) * (0.5 + 0.3 * (1 - overcast))
                    col = mix3(col, (0.95, 0.95, 0.96), k)
                } else {
                    let d = fy - horizon  // distance below the horizon, ∝ 1 / depth
                    let half = roadHalf * d / (Float(H) - horizon)
                    let off = fx - vx
                    let n = tex.fbm(fx / (6 * scale), fy / (3 * scale), octaves: 3) * 0.05
                    if abs(off) < half {
                        col = (asphalt + n, asphalt + n, asphalt * 1.03 + n)
                        // Edge lines and a dashed centre line, widths growing towards the camera.
                        let lw = max(0.6, half * 0.025)
                        let edge = abs(abs(off) - half * 0.93) < lw
                        let depth = 1 / max(d, 1)
                        let dash = (depth * 900 * scale + dashPhase).truncatingRemainder(dividingBy: 1) < 0.5
                        let centre = abs(off) < lw && dash
                        if edge || centre { col = (0.86, 0.86, 0.84) }
                    } else {
                        let g = 0.85 + n * 3
                        col = (side.0 * g, side.1 * g, side.2 * g)
                    }
                    // Farther ground is hazier.
                    let haze = max(0, 1 - d / (Float(H) * 0.25)) * 0.35
                    col = mix3(col, low, haze)
                }
                let i = (y * W + x) * 3
                c.px[i] = col.0; c.px[i + 1] = col.1; c.px[i + 2] = col.2
            }
        }
        // Buildings along the horizon, each a block with windows.
        var x: Float = rng.uniform(-40, 0) * scale
        while x < Float(W) {
            let bw = rng.uniform(40, 160) * scale
            if rng.chance(0.8) {
                let bh = rng.uniform(30, 220) * scale
                let base = rng.uniform(0.35, 0.75)
                let col = (base * rng.uniform(0.85, 1.15), base * rng.uniform(0.8, 1.05), base * rng.uniform(0.75, 1.0))
                let bx = x, by = horizon - bh
                let grain = ValueNoise(seed: rng.seed32())
                c.paint(x0: bx, y0: by, x1: bx + bw, y1: horizon + 2, color: col,
                        shade: { px, py in 1 + 0.08 * grain.fbm(px / 8, py / 8, octaves: 2) }) { px, py in
                    px >= bx && px < bx + bw && py >= by && py <= horizon + 2
                }
                if rng.chance(0.7) {
                    let ww = rng.uniform(6, 14) * scale, wh = ww * rng.uniform(1, 1.6), gap = ww * rng.uniform(0.6, 1.2)
                    let wc: (Float, Float, Float) = rng.chance(0.5) ? (0.18, 0.22, 0.28) : (0.55, 0.65, 0.75)
                    var wy = by + gap
                    while wy + wh < horizon - gap {
                        var wx = bx + gap
                        while wx + ww < bx + bw - gap / 2 {
                            let x0 = wx, y0 = wy
                            c.paint(x0: x0, y0: y0, x1: x0 + ww, y1: y0 + wh, color: wc) { px, py in
                                px >= x0 && px < x0 + ww && py >= y0 && py < y0 + wh
                            }
                            wx += ww + gap
                        }
                        wy += wh + gap
                    }
                }
            }
            x += bw + rng.uniform(0, 30) * scale
        }
        // Trees: noisy green crowns on trunks.
        for _ in 0..<rng.int(0, 6) {
            let tx = rng.uniform(0, Float(W)), r = rng.uniform(15, 70) * scale
            let ground = horizon + rng.uniform(0, 0.2) * (Float(H) - horizon)
            let crownY = ground - r * rng.uniform(1.4, 2.2)
            let leaf = ValueNoise(seed: rng.seed32())
            let green: (Float, Float, Float) = (rng.uniform(0.1, 0.25), rng.uniform(0.3, 0.45), rng.uniform(0.08, 0.18))
            c.paint(x0: tx - r * 0.08, y0: crownY, x1: tx + r * 0.08, y1: ground, color: (0.28, 0.2, 0.12)) { px, py in
                abs(px - tx) < r * 0.08 && py >= crownY && py <= ground
            }
            c.paint(x0: tx - r * 1.3, y0: crownY - r * 1.3, x1: tx + r * 1.3, y1: crownY + r * 1.3, color: green,
                    shade: { px, py in 0.8 + 0.4 * leaf.fbm(px / 5, py / 5, octaves: 2) }) { px, py in
                let dx = px - tx, dy = py - crownY
                return (dx * dx + dy * dy).squareRoot() < r * (1 + 0.3 * leaf.fbm(px / (r * 0.4), py / (r * 0.4), octaves: 2))
            }
        }
        // Bare poles and lamp posts.
        for _ in 0..<rng.int(0, 4) {
            let px0 = rng.uniform(0, Float(W)), w = rng.uniform(2, 7) * scale
            let ground = horizon + rng.uniform(0.05, 0.7) * (Float(H) - horizon)
            let top = rng.uniform(0, horizon * 0.8)
            c.paint(x0: px0, y0: top, x1: px0 + w, y1: ground, color: (0.45, 0.46, 0.47),
                    shade: { x, _ in 0.7 + 0.5 * (x - px0) / w }) { x, y in
                x >= px0 && x < px0 + w && y >= top && y <= ground
            }
        }
        return c
    }

    @inline(__always) static func mix3(_ a: (Float, Float, Float), _ b: (Float, Float, Float), _ t: Float) -> (Float, Float, Float) {
        (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t, a.2 + (b.2 - a.2) * t)
    }

    /// A sign-coloured or sign-shaped object that is not a sign: it gets no box.
    static func hardNegative(_ c: inout SignCanvas, horizon: Float, _ rng: inout SeededRNGBox) {
        let W = Float(c.width), H = Float(c.height)
        let s = 16 * powf(max(1.1, H / 3 / 16), rng.unit())
        let near = (s - 16) / max(1, H / 3 - 16)
        let ground = min(H - 1, horizon + (H - horizon) * (0.05 + 0.85 * near))
        let cx = rng.uniform(s, max(s + 1, W - s))
        let reds: [(Float, Float, Float)] = [(0.8, 0.08, 0.1), (0.7, 0.1, 0.08), (0.9, 0.2, 0.15)]
        let blue: (Float, Float, Float) = (0.05, 0.3, 0.65), yellow: (Float, Float, Float) = (0.98, 0.8, 0.05)
        switch rng.int(0, 5) {
        case 0, 1:  // A plain disc, octagon or triangle on a pole.
            let cy = max(s * 0.6, ground - s * rng.uniform(1.6, 2.6))
            let pw = max(2, s * 0.07)
            c.paint(x0: cx - pw / 2, y0: cy, x1: cx + pw / 2, y1: ground, color: (0.5, 0.5, 0.52)) { x, y in
                abs(x - cx) <= pw / 2 && y >= cy && y <= ground
            }
            let col = rng.pick([reds[0], blue, yellow, reds[2], (0.95, 0.5, 0.05)])
            let shape: SignShape
            switch rng.int(0, 3) {
            case 0: shape = .disc(cx: 0, cy: 0, r: 1)
            case 1: shape = .regular(8, r: 1, start: .pi / 8 + rng.uniform(-0.1, 0.1))
            case 2: shape = .regular(3, r: 1.1, cy: rng.chance(0.5) ? -0.25 : 0.25, start: rng.chance(0.5) ? .pi / 2 : -.pi / 2)
            default: shape = .regular(4, r: 1, start: 0)
            }
            let half = s / 2
            c.paint(x0: cx - s, y0: cy - s, x1: cx + s, y1: cy + s, color: col,
                    shade: { _, y in 0.9 + 0.15 * (cy - y) / s }) { x, y in
                shape.contains((x - cx) / half, (y - cy) / half)
            }
        case 2, 3:  // A red car on the road.
            let w = s * rng.uniform(2.2, 3.2), h = w * 0.42
            let x0 = cx - w / 2, y1 = ground, y0 = y1 - h
            let body = rng.pick(reds)
            c.paint(x0: x0, y0: y0 + h * 0.35, x1: x0 + w, y1: y1 - h * 0.12, color: body,
                    shade: { _, y in 1.1 - 0.3 * (y - y0) / h }) { x, y in
                x >= x0 && x <= x0 + w && y >= y0 + h * 0.35 && y <= y1 - h * 0.12
            }
            let cab = SignShape.polygon([(x0 + w * 0.22, y0 + h * 0.36), (x0 + w * 0.32, y0), (x0 + w * 0.7, y0), (x0 + w * 0.82, y0 + h * 0.36)])
            c.paint(x0: x0, y0: y0, x1: x0 + w, y1: y0 + h * 0.4, color: body) { x, y in cab.contains(x, y) }
            let glass = SignShape.polygon([(x0 + w * 0.27, y0 + h * 0.33), (x0 + w * 0.34, y0 + h * 0.06), (x0 + w * 0.68, y0 + h * 0.06), (x0 + w * 0.77, y0 + h * 0.33)])
            c.paint(x0: x0, y0: y0, x1: x0 + w, y1: y0 + h * 0.4, color: (0.2, 0.25, 0.3)) { x, y in glass.contains(x, y) }
            for wx in [x0 + w * 0.2, x0 + w * 0.8] {
                let r = h * 0.2, wy = y1 - r
                c.paint(x0: wx - r, y0: wy - r, x1: wx + r, y1: wy + r, color: (0.05, 0.05, 0.05)) { x, y in
                    (x - wx) * (x - wx) + (y - wy) * (y - wy) <= r * r
                }
            }
        default:  // A red (or blue/yellow) box: a post box, a bin, a crate.
            let w = s * rng.uniform(0.6, 1.6), h = s * rng.uniform(0.8, 1.8)
            let x0 = cx - w / 2, y0 = ground - h
            let col = rng.pick([reds[0], reds[1], blue, yellow])
            c.paint(x0: x0, y0: y0, x1: x0 + w, y1: ground, color: col,
                    shade: { x, _ in 0.75 + 0.35 * (x - x0) / w }) { x, y in
                x >= x0 && x <= x0 + w && y >= y0 && y <= ground
            }
        }
    }

    /// A foreground object (tree trunk, bush, van or panel) covering part of the box `b`,
    /// its coverage accumulated in `mask`.
    static func occluder(_ c: inout SignCanvas, over b: (Int, Int, Int, Int), mask: inout [Float], _ rng: inout SeededRNGBox) {
        let H = Float(c.height)
        let bw = Float(b.2 - b.0), bh = Float(b.3 - b.1)
        let n = ValueNoise(seed: rng.seed32())
        let kind = rng.int(0, 2)
        mask.withUnsafeMutableBufferPointer { m in
            switch kind {
            case 0:  // A tree trunk or post in front, full height.
                let w = bw * rng.uniform(0.3, 0.8)
                let x0 = Float(b.0) + rng.uniform(-w * 0.8, bw - w * 0.2), x1 = x0 + w
                let bark: (Float, Float, Float) = (rng.uniform(0.22, 0.36), rng.uniform(0.16, 0.24), rng.uniform(0.1, 0.16))
                c.paint(x0: x0 - 2, y0: 0, x1: x1 + 2, y1: H, color: bark,
                        shade: { x, y in (0.75 + 0.35 * (x - x0) / w) * (1 + 0.15 * n.fbm(x / 3, y / 14, octaves: 2)) },
                        mask: m.baseAddress) { x, y in
                    let wob = 0.8 * n.sample(y / 20, 3)
                    return x >= x0 + wob && x <= x1 + wob
                }
            case 1:  // A bush or low crown rising in front of the sign's lower part.
                let r = max(bw, bh) * rng.uniform(0.6, 1.3)
                let cx = Float(b.0) + bw * rng.uniform(-0.2, 1.2)
                let cy = Float(b.3) - bh * rng.uniform(0.1, 0.8) + r
                let green: (Float, Float, Float) = (rng.uniform(0.1, 0.22), rng.uniform(0.28, 0.42), rng.uniform(0.08, 0.16))
                c.paint(x0: cx - r * 1.4, y0: cy - r * 1.4, x1: cx + r * 1.4, y1: H, color: green,
                        shade: { x, y in 0.75 + 0.45 * n.fbm(x / 4, y / 4, octaves: 2) }, mask: m.baseAddress) { x, y in
                    let dx = x - cx, dy = min(0, y - cy)
                    let edge = r * (1 + 0.25 * n.fbm(x / max(3, r * 0.25), y / max(3, r * 0.25), octaves: 3))
                    return dx * dx + dy * dy < edge * edge
                }
            default:  // A van side or panel from below.
                let x0 = Float(b.0) - bw * rng.uniform(0.3, 2), x1 = Float(b.2) + bw * rng.uniform(0.3, 2)
                let y0 = Float(b.3) - bh * rng.uniform(0.15, 0.85)
                let paint: (Float, Float, Float) = (rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9))
                let rr = min(bw, bh) * 0.3
                c.paint(x0: x0, y0: y0, x1: x1, y1: H, color: paint,
                        shade: { _, y in 1.05 - 0.3 * min(1, (y - y0) / max(1, H - y0)) }, mask: m.baseAddress) { x, y in
                    guard x >= x0, x <= x1, y >= y0 else { return false }
                    // Rounded top corners.
                    let qx = max(x0 + rr - x, x - (x1 - rr), 0), qy = max(y0 + rr - y, 0)
                    return qx * qx + qy * qy <= rr * rr
                }
            }
        }
    }
}

/// Whole-frame camera effects, in order: blur, brightness/contrast, fog, night, glare, noise.
enum SignPhotometry {
    static func apply(_ c: inout SignCanvas, horizon: Float, signMask: [Float]? = nil, _ rng: inout SeededRNGBox) {
        let W = c.width, H = c.height
        let scale = Float(H) / 480
        let blur = rng.unit()
        if blur < 0.15 {
            c.motionBlur(length: rng.uniform(2, 7) * scale, angle: rng.uniform(-0.4, 0.4))
        } else if blur < 0.3 {
            c.boxBlur(radius: max(1, Int(rng.uniform(0.6, 2.2) * scale)))
        }
        let gain = rng.uniform(0.75, 1.25), contrast = rng.uniform(0.8, 1.2)
        let fog = rng.chance(0.15) ? rng.uniform(0.25, 0.65) : 0
        let night = rng.chance(0.15)
        let retroK = rng.uniform(0.3, 0.9)
        let glare = rng.chance(0.15)
        let glareK = rng.uniform(0.45, 0.8)
        let gx = rng.uniform(0, Float(W)), gy = rng.uniform(0, horizon), gr = rng.uniform(25, 100) * scale
        let noiseSigma: Float = night ? rng.uniform(0.03, 0.07) : rng.uniform(0.003, 0.015)
        var noise = rng
        _ = noise.next()
        rng = SeededRNGBox(seed: rng.next())
        for y in 0..<H {
            // Fog thickens towards the horizon, where the scene is farthest.
            let fy = Float(y)
            let fogK = fog * (fy < horizon ? 1 : max(0.2, 1 - (fy - horizon) / max(1, Float(H) - horizon)))
            for x in 0..<W {
                let i = (y * W + x) * 3
                for k in 0..<3 {
                    var v = (c.px[i + k] - 0.5) * contrast + 0.5
                    v *= gain
                    v = v + (0.78 - v) * fogK
                    c.px[i + k] = v
                }
                if night {
                    let retro = (signMask?[y * W + x] ?? 0) * retroK
                    for k in 0..<3 {
                        let v = max(c.px[i + k], 0)
                        c.px[i + k] = powf(v, 1.6) * 0.35 * (1 - retro) + v * 0.8 * retro
                    }
                    c.px[i + 2] *= 1.1
                }
                if glare {
                    let dx = Float(x) - gx, dy = Float(y) - gy
                    let g = expf(-(dx * dx + dy * dy) / (2 * gr * gr)) * glareK
                    for k in 0..<3 { c.px[i + k] += (1.05 - c.px[i + k]) * g }
                }
                let n = noise.normal() * noiseSigma
                for k in 0..<3 { c.px[i + k] += n + noise.normal() * noiseSigma * 0.4 }
            }
        }
    }
}
