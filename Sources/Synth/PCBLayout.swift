import Foundation

// A procedural PCB close-up: components' pads with silkscreen outlines and reference
// designators, traces routed out of the pads with 45° jogs, buses, vias and copper pours.
// Primitives are laid out in board coordinates, turned by the board's rotation, then
// rasterised as signed-distance shapes with one pixel of anti-aliasing.

enum PCBLayout {
    enum Layer: Int { case copper = 0, pad, hole, silk }

    enum Shape {
        case capsule(ax: Float, ay: Float, bx: Float, by: Float, r: Float)
        case box(cx: Float, cy: Float, hx: Float, hy: Float, angle: Float)
        case disc(cx: Float, cy: Float, r: Float)
    }

    struct Primitive {
        var layer: Layer
        var shape: Shape
    }

    // 3×5 glyphs (rows top to bottom, 3 bits each, MSB left) for reference designators.
    static let glyphs: [UInt16] = [
        0b111_101_101_101_111, 0b010_110_010_010_111, 0b111_001_111_100_111, 0b111_001_111_001_111,
        0b101_101_111_001_001, 0b111_100_111_001_111, 0b111_100_111_101_111, 0b111_001_010_010_010,
        0b111_101_111_101_111, 0b111_101_111_001_111, 0b110_101_110_101_101, 0b111_100_100_100_111,
        0b101_101_101_101_111, 0b110_101_101_101_110, 0b111_101_101_111_001, 0b100_100_100_100_111,
    ]
    static let letters = [10, 11, 12, 13, 14, 15] // R C U D Q L

    static let masks: [Textures.RGB] = [
        (0.10, 0.36, 0.16), (0.07, 0.28, 0.12), (0.16, 0.42, 0.2), (0.12, 0.4, 0.26), (0.06, 0.2, 0.42),
        (0.08, 0.08, 0.09), (0.5, 0.1, 0.1),
    ]

    /// `rng` (the product) lays out the board and picks its colours; `inst` and `pose` place
    /// this board in the frame and give its mask its own mottling.
    static func render(_ size: Int, _ rng: inout SeededRNGBox, _ inst: inout SeededRNGBox, _ pose: Pose) -> SurfaceLayers {
        var L = SurfaceLayers(width: size, height: size, shading: rng.uniform(0.3, 0.55))
        let S = Float(size), n = L.count
        let sc = S / 256 * rng.uniform(0.7, 1.35)
        var prims: [Primitive] = []
        var centres: [(Float, Float)] = []
        var occupied: [(Float, Float, Float, Float)] = []

        func free(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float) -> Bool {
            for o in occupied where x0 < o.2 && x1 > o.0 && y0 < o.3 && y1 > o.1 { return false }
            return true
        }
        func trace(from p: (Float, Float), dir d0: (Float, Float), hw: Float, rng: inout SeededRNGBox) {
            var p = p, d = d0
            let segs = rng.int(1, 3)
            for k in 0..<segs {
                let len = rng.uniform(10, 60) * sc
                let q = (p.0 + d.0 * len, p.1 + d.1 * len)
                prims.append(Primitive(layer: .copper, shape: .capsule(ax: p.0, ay: p.1, bx: q.0, by: q.1, r: hw)))
                centres.append(((p.0 + q.0) / 2, (p.1 + q.1) / 2))
                p = q
                // Turn by ±45°.
                let sgn: Float = rng.chance(0.5) ? 1 : -1, c45: Float = 0.70710678
                d = (c45 * (d.0 - sgn * d.1), c45 * (sgn * d.0 + d.1))
                if k == segs - 1 && rng.chance(0.5) { via(at: p, rng: &rng) }
            }
        }
        func via(at p: (Float, Float), rng: inout SeededRNGBox) {
            let r = rng.uniform(2.0, 3.2) * sc
            prims.append(Primitive(layer: rng.chance(0.4) ? .pad : .copper, shape: .disc(cx: p.0, cy: p.1, r: r)))
            prims.append(Primitive(layer: .hole, shape: .disc(cx: p.0, cy: p.1, r: r * rng.uniform(0.4, 0.55))))
            centres.append(p)
        }
        func text(at p: (Float, Float), rng: inout SeededRNGBox) {
            let cell = rng.uniform(0.9, 1.4) * sc
            var x = p.0
            let count = rng.int(2, 4)
            for k in 0..<count {
                let g = glyphs[k == 0 ? rng.pick(letters) : rng.int(0, 9)]
                for row in 0..<5 {
                    for col in 0..<3 where g & (1 << UInt16(14 - row * 3 - col)) != 0 {
                        prims.append(Primitive(layer: .silk, shape: .box(cx: x + (Float(col) + 0.5) * cell, cy: p.1 + (Float(row) + 0.5) * cell,
                                                                         hx: cell * 0.55, hy: cell * 0.55, angle: 0)))
                    }
                }
                centres.append((x + 1.5 * cell, p.1 + 2.5 * cell))
                x += 4 * cell
            }
        }

        // Copper pours under the mask.
        for _ in 0..<rng.int(0, 2) {
            let cx = rng.uniform(0, S), cy = rng.uniform(0, S)
            prims.append(Primitive(layer: .copper, shape: .box(cx: cx, cy: cy, hx: rng.uniform(20, 70) * sc, hy: rng.uniform(20, 70) * sc, angle: 0)))
        }
        // Buses: parallel traces across the board with one 45° jog.
        for _ in 0..<rng.int(0, 2) {
            let m = rng.int(3, 8), pitch = rng.uniform(4, 7) * sc, hw = rng.uniform(0.8, 1.6) * sc
            let y0 = rng.uniform(0.1, 0.8) * S, xj = rng.uniform(0.3, 0.7) * S, jog = rng.uniform(-40, 40) * sc
            for k in 0..<m {
                let y = y0 + Float(k) * pitch
                let a = (Float(-10), y), b = (xj - Float(k) * pitch * 0.414, y), c = (b.0 + abs(jog), y + jog), d = (S + 10, y + jog)
                for (p, q) in [(a, b), (b, c), (c, d)] {
                    prims.append(Primitive(layer: .copper, shape: .capsule(ax: p.0, ay: p.1, bx: q.0, by: q.1, r: hw)))
                    centres.append(((p.0 + q.0) / 2, (p.1 + q.1) / 2))
                }
            }
        }
        // Components.
        var tries = 0
        var placed = 0
        let want = rng.int(3, 7)
        while placed < want && tries < 40 {
            tries += 1
            let kind = rng.int(0, 3)
            let cx = rng.uniform(0.05, 0.95) * S, cy = rng.uniform(0.05, 0.95) * S
            let vertical = rng.chance(0.5)
            switch kind {
            case 0: // SOIC/QFP-like IC
                let pins = rng.int(3, 8), pitch = rng.uniform(4.5, 6.5) * sc
                let bodyH = Float(pins) * pitch / 2 + 3 * sc, bodyW = rng.uniform(12, 22) * sc
                let hw = vertical ? bodyW : bodyH, hh = vertical ? bodyH : bodyW
                guard free(cx - hw - 9 * sc, cy - hh - 9 * sc, cx + hw + 9 * sc, cy + hh + 9 * sc) else { continue }
                occupied.append((cx - hw - 9 * sc, cy - hh - 9 * sc, cx + hw + 9 * sc, cy + hh + 9 * sc))
                let padL = rng.uniform(3, 4.5) * sc, padW = pitch * rng.uniform(0.28, 0.4)
                let quad = rng.chance(0.3)
                for side in 0..<(quad ? 4 : 2) {
                    for k in 0..<pins {
                        let t = (Float(k) - Float(pins - 1) / 2) * pitch
                        let (px, py, ph, pv, dir): (Float, Float, Float, Float, (Float, Float))
                        switch side {
                        case 0: (px, py, ph, pv, dir) = (cx - bodyW - padL, cy + t, padL, padW, (-1, 0))
                        case 1: (px, py, ph, pv, dir) = (cx + bodyW + padL, cy + t, padL, padW, (1, 0))
                        case 2: (px, py, ph, pv, dir) = (cx + t, cy - bodyW - padL, padW, padL, (0, -1))
                        default: (px, py, ph, pv, dir) = (cx + t, cy + bodyW + padL, padW, padL, (0, 1))
                        }
                        prims.append(Primitive(layer: .pad, shape: .box(cx: px, cy: py, hx: ph, hy: pv, angle: 0)))
                        centres.append((px, py))
                        if rng.chance(0.55) {
                            trace(from: (px + dir.0 * ph, py + dir.1 * pv), dir: dir, hw: rng.uniform(0.8, 1.5) * sc, rng: &rng)
                        }
                    }
                }
                // Silkscreen body outline and pin-1 dot.
                let lw = rng.uniform(0.6, 0.9) * sc, ox = bodyW - 1.5 * sc, oy = bodyH
                let outline = quad ? [(ox, ox)] : [(ox, oy)]
                for (ex, ey) in outline {
                    for (a, b) in [((-ex, -ey), (ex, -ey)), ((ex, -ey), (ex, ey)), ((ex, ey), (-ex, ey)), ((-ex, ey), (-ex, -ey))] {
                        prims.append(Primitive(layer: .silk, shape: .capsule(ax: cx + a.0, ay: cy + a.1, bx: cx + b.0, by: cy + b.1, r: lw)))
                    }
                    prims.append(Primitive(layer: .silk, shape: .disc(cx: cx - ex + 3 * sc, cy: cy - ey + 3 * sc, r: 1.2 * sc)))
                }
                text(at: (cx - bodyW, cy - bodyH - 9 * sc), rng: &rng)
            case 1, 2: // 0603/0805 passives, often in a row
                let row = rng.int(1, 4), pl = rng.uniform(2.5, 4) * sc, pw = rng.uniform(3, 4.5) * sc
                let gapX = rng.uniform(3, 5) * sc, step = 2 * pw + rng.uniform(4, 8) * sc
                let ext = Float(row) * step
                let x0 = cx - gapX - 2 * pl - 4 * sc, x1 = cx + gapX + 2 * pl + 4 * sc
                guard free(x0, cy - pw - 4 * sc, x1, cy + ext + 4 * sc) else { continue }
                occupied.append((x0, cy - pw - 4 * sc, x1, cy + ext + 4 * sc))
                for k in 0..<row {
                    let y = cy + Float(k) * step
                    for sgn: Float in [-1, 1] {
                        let px = cx + sgn * (gapX + pl)
                        prims.append(Primitive(layer: .pad, shape: .box(cx: px, cy: y, hx: pl, hy: pw, angle: 0)))
                        centres.append((px, y))
                        if rng.chance(0.5) { trace(from: (px + sgn * pl, y), dir: (sgn, 0), hw: rng.uniform(0.8, 1.6) * sc, rng: &rng) }
                    }
                    let lw = 0.6 * sc, ex = gapX + 2 * pl + 2 * sc, ey = pw + 1.8 * sc
                    for sgn: Float in [-1, 1] {
                        prims.append(Primitive(layer: .silk, shape: .capsule(ax: cx - ex * 0.45, ay: y + sgn * ey, bx: cx + ex * 0.45, by: y + sgn * ey, r: lw)))
                    }
                }
                if rng.chance(0.8) { text(at: (x1 + 2 * sc, cy - 2 * sc), rng: &rng) }
            default: // through-hole header
                let pins = rng.int(2, 6), pitch = rng.uniform(9, 11) * sc
                let len = Float(pins - 1) * pitch
                let rr = rng.uniform(3, 4) * sc
                guard free(cx - rr - 4 * sc, cy - rr - 4 * sc, cx + len + rr + 4 * sc, cy + rr + 4 * sc) else { continue }
                occupied.append((cx - rr - 4 * sc, cy - rr - 4 * sc, cx + len + rr + 4 * sc, cy + rr + 4 * sc))
                for k in 0..<pins {
                    let px = cx + Float(k) * pitch
                    if k == 0 { prims.append(Primitive(layer: .pad, shape: .box(cx: px, cy: cy, hx: rr, hy: rr, angle: 0))) }
                    else { prims.append(Primitive(layer: .pad, shape: .disc(cx: px, cy: cy, r: rr))) }
                    prims.append(Primitive(layer: .hole, shape: .disc(cx: px, cy: cy, r: rr * 0.45)))
                    centres.append((px, cy))
                }
                let e = rr + 2 * sc, lw = 0.7 * sc
                for (a, b) in [((-e, -e), (len + e, -e)), ((len + e, -e), (len + e, e)), ((len + e, e), (-e, e)), ((-e, e), (-e, -e))] {
                    prims.append(Primitive(layer: .silk, shape: .capsule(ax: cx + a.0, ay: cy + a.1, bx: cx + b.0, by: cy + b.1, r: lw)))
                }
                text(at: (cx - e, cy + e + 3 * sc), rng: &rng)
            }
            placed += 1
        }
        // Loose vias and stray traces.
        for _ in 0..<rng.int(4, 16) { via(at: (rng.uniform(0, S), rng.uniform(0, S)), rng: &rng) }
        for _ in 0..<rng.int(2, 8) {
            let d: [(Float, Float)] = [(1, 0), (0, 1), (-1, 0), (0, -1)]
            trace(from: (rng.uniform(0, S), rng.uniform(0, S)), dir: rng.pick(d), hw: rng.uniform(0.8, 2.2) * sc, rng: &rng)
        }

        // The design's orientation (quarter turns about the centre), then this board's pose in
        // the fixture (a shift of a few pixels and a turn of at most 2°).
        let turn = Float(rng.int(0, 3)) * .pi / 2
        let rot = turn + pose.rotation
        let cr = cos(turn), sr = sin(turn), h = S / 2
        func tf(_ x: Float, _ y: Float) -> (Float, Float) {
            pose.toImage((x - h) * cr - (y - h) * sr + h, (x - h) * sr + (y - h) * cr + h)
        }
        var cov = [[Float]](repeating: [Float](repeating: 0, count: n), count: 4)
        let ps = pose.scale
        for p in prims {
            let li = p.layer.rawValue
            cov[li].withUnsafeMutableBufferPointer { c in
                switch p.shape {
                case let .capsule(ax, ay, bx, by, r):
                    let a = tf(ax, ay), b = tf(bx, by)
                    strokeSegment(c, width: size, height: size, ax: a.0, ay: a.1, bx: b.0, by: b.1, hw0: r * ps, hw1: r * ps)
                case let .disc(cx, cy, r):
                    let q = tf(cx, cy)
                    strokeSegment(c, width: size, height: size, ax: q.0, ay: q.1, bx: q.0, by: q.1, hw0: r * ps, hw1: r * ps)
                case let .box(cx, cy, hx, hy, angle):
                    fillBox(c, size: size, centre: tf(cx, cy), hx: hx * ps, hy: hy * ps, angle: angle + rot)
                }
            }
        }
        L.features = centres.map { tf($0.0, $0.1) }.filter { $0.0 >= 0 && $0.0 < S && $0.1 >= 0 && $0.1 < S }.map { (x: $0.0, y: $0.1) }

        // Compose: mask colour with a little mottling; copper under the mask shows lighter and
        // yellower; pads are bare gold (ENIG) or tin (HASL); holes are dark; silkscreen on top.
        let maskC = Textures.jitter(rng.chance(0.75) ? masks[rng.int(0, 3)] : rng.pick(masks), 0.1, &rng)
        let padC: Textures.RGB = rng.chance(0.6) ? Textures.jitter((0.85, 0.68, 0.36), 0.06, &rng) : Textures.jitter((0.78, 0.78, 0.76), 0.05, &rng)
        let silkC: Textures.RGB = rng.chance(0.85) ? Textures.jitter((0.92, 0.92, 0.88), 0.04, &rng) : (0.9, 0.85, 0.3)
        let copperLift = rng.uniform(1.2, 1.6)
        var mott = [Float](repeating: 0, count: n)
        let ms = rng.uniform(20, 60) * S / 256
        let mottSeed = rng.seed32(), mottAmp = rng.uniform(0.03, 0.08), grainSeed = rng.seed32()
        addFBM(into: &mott, width: size, height: size, noise: ValueNoise(seed: mottSeed),
               map: .stretched(angle: 0, along: ms, across: ms, offset: Textures.offset(&inst)), octaves: 3, amplitude: mottAmp)
        addFBM(into: &mott, width: size, height: size, noise: ValueNoise(seed: grainSeed),
               map: .stretched(angle: 0, along: 1.2, across: 1.2, offset: Textures.offset(&inst)), octaves: 1, amplitude: 0.03)
        var bare = SurfaceLayers.Bare(r: L.r, g: L.g, b: L.b, relief: L.relief)
        for i in 0..<n {
            let m = 1 + mott[i]
            let br = maskC.0 * m, bg = maskC.1 * m, bb = maskC.2 * m
            bare.r[i] = br; bare.g[i] = bg; bare.b[i] = bb
            bare.relief[i] = mott[i] * 2
            let cu = cov[0][i], pad = cov[1][i], hole = cov[2][i], silk = cov[3][i]
            var r = br + cu * (br * (copperLift - 1) + 0.06)
            var g = bg + cu * (bg * (copperLift - 1) + 0.04)
            var b = bb + cu * (bb * (copperLift - 1) * 0.5)
            r += pad * (padC.0 * m - r); g += pad * (padC.1 * m - g); b += pad * (padC.2 * m - b)
            r += hole * (0.06 - r); g += hole * (0.06 - g); b += hole * (0.05 - b)
            r += silk * (silkC.0 - r); g += silk * (silkC.1 - g); b += silk * (silkC.2 - b)
            L.r[i] = r; L.g[i] = g; L.b[i] = b
            L.relief[i] = bare.relief[i] + 0.9 * cu + 0.6 * pad - 1.2 * hole + 0.7 * silk
        }
        L.bare = bare
        return L
    }

    /// An oriented box (half extents hx, hy) filled with one pixel of anti-aliasing.
    static func fillBox(_ c: UnsafeMutableBufferPointer<Float>, size: Int, centre: (Float, Float), hx: Float, hy: Float, angle: Float) {
        let ca = cos(angle), sa = sin(angle)
        let ext = abs(ca) * hx + abs(sa) * hy + 1.5, eyt = abs(sa) * hx + abs(ca) * hy + 1.5
        let x0 = max(0, Int(centre.0 - ext)), x1 = min(size - 1, Int(centre.0 + ext))
        let y0 = max(0, Int(centre.1 - eyt)), y1 = min(size - 1, Int(centre.1 + eyt))
        if x0 > x1 || y0 > y1 { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let dx = Float(x) + 0.5 - centre.0, dy = Float(y) + 0.5 - centre.1
                let u = abs(dx * ca + dy * sa) - hx, v = abs(-dx * sa + dy * ca) - hy
                let outside = (max(u, 0) * max(u, 0) + max(v, 0) * max(v, 0)).squareRoot() + min(max(u, v), 0)
                let cv = clamp01(0.5 - outside)
                let i = y * size + x
                if cv > c[i] { c[i] = cv }
            }
        }
    }
}
