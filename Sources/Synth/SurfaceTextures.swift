import Foundation

// Procedural albedo + relief for each surface kind. Two generators feed each texture: the
// product's, which fixes the design (colour, pattern type, scale, direction family), and the
// instance's, which varies what differs between parts of one product: the pose (through
// `Pose`), the pattern's phase, and the random realisation of stochastic fine structure
// (streaks, peel, grain, fuzz) with the product's statistics.

extension SurfaceKind {
    func layers(size: Int, product: inout SeededRNGBox, instance: inout SeededRNGBox, pose: Pose) -> SurfaceLayers {
        switch self {
        case .brushedMetal: return Textures.brushedMetal(size, &product, &instance, pose)
        case .machinedMetal: return Textures.machinedMetal(size, &product, &instance, pose)
        case .paintedPanel: return Textures.paintedPanel(size, &product, &instance, pose)
        case .wood: return Textures.wood(size, &product, &instance, pose)
        case .fabric: return Textures.fabric(size, &product, &instance, pose)
        case .pcb: return PCBLayout.render(size, &product, &instance, pose)
        }
    }
}

enum Textures {
    typealias RGB = (Float, Float, Float)

    static func jitter(_ c: RGB, _ amount: Float, _ rng: inout SeededRNGBox) -> RGB {
        let k = 1 + rng.uniform(-amount, amount)
        return (c.0 * k * (1 + rng.uniform(-amount, amount) * 0.5),
                c.1 * k * (1 + rng.uniform(-amount, amount) * 0.5),
                c.2 * k * (1 + rng.uniform(-amount, amount) * 0.5))
    }

    static func offset(_ rng: inout SeededRNGBox) -> (Float, Float) { (rng.uniform(-500, 500), rng.uniform(-500, 500)) }

    /// Albedo = colour × (1 + lum), with `sat` > 1 darkening blue and green faster than red
    /// (used for wood, whose dark late-wood is also more saturated).
    static func paint(_ L: inout SurfaceLayers, colour c: RGB, lum: [Float], sat: Float = 1) {
        let n = L.count
        lum.withUnsafeBufferPointer { l in
            L.r.withUnsafeMutableBufferPointer { r in
                L.g.withUnsafeMutableBufferPointer { g in
                    L.b.withUnsafeMutableBufferPointer { b in
                        for i in 0..<n {
                            let v = l[i]
                            r[i] = max(0, c.0 * (1 + v))
                            g[i] = max(0, c.1 * (1 + v * (1 + 0.3 * (sat - 1))))
                            b[i] = max(0, c.2 * (1 + v * sat))
                        }
                    }
                }
            }
        }
    }

    /// Mostly axis-aligned (as parts sit on a conveyor or fixture), sometimes any angle.
    static func orientation(_ rng: inout SeededRNGBox) -> Float {
        if rng.chance(0.65) { return (rng.chance(0.5) ? 0 : .pi / 2) + rng.uniform(-0.2, 0.2) }
        return rng.uniform(0, .pi)
    }

    static func brushedMetal(_ size: Int, _ p: inout SeededRNGBox, _ r: inout SeededRNGBox, _ pose: Pose) -> SurfaceLayers {
        // Product: the finish (direction family, tone, streak size and strength, sheen band).
        var L = SurfaceLayers(width: size, height: size, shading: p.uniform(0.25, 0.5))
        let s = Float(size) / 256, n = L.count, S = Float(size)
        let angle = orientation(&p)
        let base = p.uniform(0.4, 0.7)
        let warm = p.uniform(-0.03, 0.03)
        let colour: RGB = (base * (1 + warm), base, base * (1 - warm + 0.02))
        let fineAlong = p.uniform(30, 110) * s, fineAcross = p.uniform(0.45, 1.1) * s, fineAmp = p.uniform(0.04, 0.1)
        let coarseAlong = p.uniform(90, 250) * s, coarseAcross = p.uniform(3, 10) * s, coarseAmp = p.uniform(0.02, 0.06)
        let mott = p.uniform(40, 120) * s, mottAmp = p.uniform(0.02, 0.06)
        let t0 = p.uniform(-0.6, 0.6) * S, bw = p.uniform(0.25, 0.7) * S, sheen = p.uniform(0.03, 0.22)
        let depth = p.uniform(0.2, 0.6)
        let seeds = (p.seed32(), p.seed32(), p.seed32())
        // Instance: this part's streaks (same statistics, another stretch of the sheet) and
        // where the sheen falls on it.
        var fine = [Float](repeating: 0, count: n)
        addFBM(into: &fine, width: size, height: size, noise: ValueNoise(seed: seeds.0),
               map: pose.map(.stretched(angle: angle, along: fineAlong, across: fineAcross, offset: offset(&r))),
               octaves: 3, amplitude: 1)
        var lum = [Float](repeating: 0, count: n)
        for i in 0..<n { lum[i] = fine[i] * fineAmp }
        addFBM(into: &lum, width: size, height: size, noise: ValueNoise(seed: seeds.1),
               map: pose.map(.stretched(angle: angle, along: coarseAlong, across: coarseAcross, offset: offset(&r))),
               octaves: 2, amplitude: coarseAmp)
        addFBM(into: &lum, width: size, height: size, noise: ValueNoise(seed: seeds.2),
               map: pose.map(.stretched(angle: 0, along: mott, across: mott, offset: offset(&r))), octaves: 3, amplitude: mottAmp)
        // The sheen of brushed metal spreads perpendicular to the brush lines: a band whose
        // brightness depends on the position along the brushing direction.
        let c = cos(angle), sn = sin(angle), half = S / 2
        let t = t0 + r.uniform(-0.05, 0.05) * S
        for y in 0..<size {
            for x in 0..<size {
                let (X, Y) = pose.toProduct(Float(x), Float(y))
                let along = (X - half) * c + (Y - half) * sn
                let d = (along - t) / bw
                lum[y * size + x] += sheen * (exp(-d * d) - 0.4)
            }
        }
        paint(&L, colour: colour, lum: lum)
        for i in 0..<n { L.relief[i] = fine[i] * depth }
        return L
    }

    static func machinedMetal(_ size: Int, _ p: inout SeededRNGBox, _ r: inout SeededRNGBox, _ pose: Pose) -> SurfaceLayers {
        // Product: where the spindle axis lies relative to the face, the feed (pitch), the tone.
        var L = SurfaceLayers(width: size, height: size, shading: p.uniform(0.25, 0.45))
        let s = Float(size) / 256, n = L.count, S = Float(size)
        // The spindle axis: on the image (a whole turned face) or off it (arcs of a large face).
        let cx: Float, cy: Float
        if p.chance(0.45) {
            cx = p.uniform(0.15, 0.85) * S; cy = p.uniform(0.15, 0.85) * S
        } else {
            let a = p.uniform(0, 2 * .pi), d = p.uniform(0.8, 2.2) * S
            cx = S / 2 + d * cos(a); cy = S / 2 + d * sin(a)
        }
        let pitch = p.uniform(2.6, 6.5) * s
        let markAmp = p.uniform(0.03, 0.09)
        let base = p.uniform(0.4, 0.64)
        let warm = p.uniform(-0.02, 0.04)
        let colour: RGB = (base * (1 + warm), base, base * (1 - warm))
        let a0p = p.uniform(0, .pi), sheen = p.uniform(0.06, 0.22)
        let chatter = ValueNoise(seed: p.seed32()), band = p.uniform(8, 25) * s
        let mott = p.uniform(40, 120) * s, mottAmp = p.uniform(0.02, 0.05), mottSeed = p.seed32()
        let relDepth = p.uniform(0.15, 0.4)
        // Instance: the pose, this part's chatter, the sheen lobe moving a little with the light.
        // The sheen lobe belongs to the light, not to the part: it does not turn with the pose.
        let a0 = a0p + r.uniform(-0.05, 0.05) - pose.rotation
        let c2 = cos(2 * a0), s2 = sin(2 * a0)
        let ch1 = r.uniform(0, 50), ch2 = r.uniform(0, 50), ch3 = r.uniform(0, 50)
        var lum = [Float](repeating: 0, count: n)
        addFBM(into: &lum, width: size, height: size, noise: ValueNoise(seed: mottSeed),
               map: pose.map(.stretched(angle: 0, along: mott, across: mott, offset: offset(&r))), octaves: 3, amplitude: mottAmp)
        lum.withUnsafeMutableBufferPointer { l in
            L.relief.withUnsafeMutableBufferPointer { rel in
                for y in 0..<size {
                    for x in 0..<size {
                        let (X, Y) = pose.toProduct(Float(x) + 0.5, Float(y) + 0.5)
                        let dx = X - cx, dy = Y - cy
                        let r2 = dx * dx + dy * dy + 1e-3
                        let rr = r2.squareRoot()
                        let ph = rr / pitch * 2 * .pi + 2.5 * chatter.sample(rr / (40 * s), 3.7 + ch1)
                        let mark = sin(ph) * (0.6 + 0.4 * chatter.sample(rr / band, 11.3 + ch2))
                        // Turned faces reflect like a bow tie: brightness ∝ cos 2(angle − a0).
                        let cos2 = ((dx * dx - dy * dy) * c2 + 2 * dx * dy * s2) / r2
                        let i = y * size + x
                        l[i] += markAmp * mark + sheen * cos2 + 0.04 * chatter.fbm(rr / band, 21.1 + ch3, octaves: 2)
                        rel[i] = mark * relDepth
                    }
                }
            }
        }
        paint(&L, colour: colour, lum: lum)
        return L
    }

    static let paints: [RGB] = [
        (0.55, 0.56, 0.56), (0.78, 0.78, 0.76), (0.14, 0.3, 0.55), (0.62, 0.12, 0.1), (0.88, 0.68, 0.1),
        (0.2, 0.42, 0.25), (0.88, 0.88, 0.86), (0.16, 0.16, 0.17), (0.85, 0.4, 0.1), (0.35, 0.4, 0.45),
    ]

    static func paintedPanel(_ size: Int, _ p: inout SeededRNGBox, _ r: inout SeededRNGBox, _ pose: Pose) -> SurfaceLayers {
        // Product: the paint (colour, peel size and depth, flake), the sheet's waviness, the primer.
        var L = SurfaceLayers(width: size, height: size, shading: p.uniform(0.5, 0.9))
        let s = Float(size) / 256, n = L.count
        let colour = jitter(p.pick(paints), 0.08, &p)
        let peel = p.uniform(3, 7) * s, peelAmp = p.uniform(0.08, 0.3)
        let wave = p.uniform(50, 120) * s, waveAmp = p.uniform(1, 5) * s, waveOffset = offset(&p)
        let gAmp = p.uniform(0.0, 0.06) / Float(size)
        let flake = p.chance(0.3), flakeAmp = p.uniform(0.02, 0.06)
        let mott = p.uniform(30, 90) * s, mottAmp = p.uniform(0.005, 0.025)
        let seeds = (p.seed32(), p.seed32(), p.seed32(), p.seed32())
        // Where the paint is missing, primer shows: the primer farthest in colour from the paint.
        let primers: [RGB] = [(0.62, 0.62, 0.6), (0.5, 0.24, 0.17), (0.74, 0.74, 0.76), (0.3, 0.3, 0.3)]
        let primer = jitter(primers.max { dist2($0, colour) < dist2($1, colour) }!, 0.05, &p)
        // Instance: this panel's orange peel (a fine isotropic relief, same statistics), the
        // gradient's direction. The long-wave waviness comes from the press: the product's, posed.
        addFBM(into: &L.relief, width: size, height: size, noise: ValueNoise(seed: seeds.0),
               map: pose.map(.stretched(angle: 0, along: peel, across: peel, offset: offset(&r))), octaves: 3, amplitude: peelAmp)
        addFBM(into: &L.relief, width: size, height: size, noise: ValueNoise(seed: seeds.1),
               map: pose.map(.stretched(angle: 0, along: wave, across: wave, offset: waveOffset)), octaves: 2, amplitude: waveAmp)
        var lum = [Float](repeating: 0, count: n)
        let ga = r.uniform(0, 2 * .pi)
        let cg = cos(ga) * gAmp, sg = sin(ga) * gAmp, half = Float(size) / 2
        for y in 0..<size { for x in 0..<size { lum[y * size + x] = (Float(x) - half) * cg + (Float(y) - half) * sg } }
        if flake { // metallic flake
            addFBM(into: &lum, width: size, height: size, noise: ValueNoise(seed: seeds.2),
                   map: pose.map(.stretched(angle: 0, along: 0.7 * s, across: 0.7 * s, offset: offset(&r))), octaves: 1, amplitude: flakeAmp)
        }
        addFBM(into: &lum, width: size, height: size, noise: ValueNoise(seed: seeds.3),
               map: pose.map(.stretched(angle: 0, along: mott, across: mott, offset: offset(&r))), octaves: 2, amplitude: mottAmp)
        paint(&L, colour: colour, lum: lum)
        L.underlay = primer
        return L
    }

    static func dist2(_ a: RGB, _ b: RGB) -> Float {
        (a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1) + (a.2 - b.2) * (a.2 - b.2)
    }

    static let woods: [RGB] = [(0.80, 0.62, 0.42), (0.86, 0.72, 0.52), (0.62, 0.42, 0.26), (0.45, 0.30, 0.2), (0.74, 0.52, 0.34)]

    static func wood(_ size: Int, _ p: inout SeededRNGBox, _ r: inout SeededRNGBox, _ pose: Pose) -> SurfaceLayers {
        // Product: the species and cut (colour, grain direction, ring spacing and contrast, how
        // flat-sawn the boards are), the grain and pore texture, the finish.
        var L = SurfaceLayers(width: size, height: size, shading: p.uniform(0.25, 0.5))
        let s = Float(size) / 256, n = L.count, half = Float(size) / 2, S = Float(size)
        let colour = jitter(p.pick(woods), 0.07, &p)
        let angle = orientation(&p)
        let spacingP = p.uniform(6, 20) * s
        let v0p = p.uniform(-1.0, 1.0) * S, kp = p.uniform(0.03, 0.35)
        let warpAmpP = p.uniform(3, 14) * s
        let wl = p.uniform(100, 250) * s, wa = p.uniform(25, 60) * s
        let ringAmpP = p.uniform(0.12, 0.3), ringSharp = p.uniform(0.35, 0.6)
        let grainAlong = p.uniform(25, 70) * s, grainAcross = p.uniform(0.6, 1.4) * s, grainAmp = p.uniform(0.03, 0.08)
        let poreAlong = p.uniform(4, 9) * s, poreAcross = p.uniform(0.7, 1.2) * s, poreAmp = p.uniform(0.05, 0.25)
        let grainSeed = p.seed32(), poreSeed = p.seed32()
        // Instance: each board is its own piece of a tree: where the pith lies, how the rings
        // bend and vary, their phase; the grain and pores are another stretch of the same wood.
        // Flat-sawn boards cut the growth cylinders at a slant: rings appear as nested arcs
        // ("cathedrals") around a pith line at v0, bent by a slow warp.
        let v0 = v0p + r.uniform(-0.06, 0.06) * S, u0 = r.uniform(-0.25, 0.25) * S
        let k = kp * r.uniform(0.85, 1.18)
        let spacing = spacingP * r.uniform(0.93, 1.07)
        let warpAmp = warpAmpP * r.uniform(0.8, 1.2), ringAmp = ringAmpP * r.uniform(0.9, 1.1)
        let ringPhase = r.unit()
        let warpN = ValueNoise(seed: r.seed32()), ringN = ValueNoise(seed: r.seed32()), ringSeed = r.seed32()
        var lum = [Float](repeating: 0, count: n)
        var grain = [Float](repeating: 0, count: n)
        addFBM(into: &grain, width: size, height: size, noise: ValueNoise(seed: grainSeed),
               map: pose.map(.stretched(angle: angle, along: grainAlong, across: grainAcross, offset: offset(&r))),
               octaves: 3, amplitude: 1)
        var pores = [Float](repeating: 0, count: n)
        addFBM(into: &pores, width: size, height: size, noise: ValueNoise(seed: poreSeed),
               map: pose.map(.stretched(angle: angle, along: poreAlong, across: poreAcross, offset: offset(&r))),
               octaves: 1, amplitude: 1)
        let c = cos(angle), sn = sin(angle)
        var warp = [Float](repeating: 0, count: n)
        addFBM(into: &warp, width: size, height: size, noise: warpN,
               map: pose.map(Affine2(ax: c / wl, bx: sn / wl, cx: -half * (c + sn) / wl, ay: -sn / wa, by: c / wa, cy: half * (sn - c) / wa)),
               octaves: 3, amplitude: 1)
        for y in 0..<size {
            for x in 0..<size {
                let (X, Y) = pose.toProduct(Float(x), Float(y))
                let fx = X - half, fy = Y - half
                let u = fx * c + fy * sn - u0, v = -fx * sn + fy * c
                let i = y * size + x
                let dv = v - v0 + warpAmp * warp[i]
                let d = (dv * dv + (k * u) * (k * u)).squareRoot()
                // Growth varies year to year: irregular ring widths and ring contrast.
                let t0 = d / spacing + ringPhase
                let t = t0 + 0.35 * ringN.sample(t0 * 0.45, 5.5)
                let ring = t.rounded(.down), f = t - ring
                let amp = ringAmp * (0.6 + 0.4 * hashSigned(Int32(truncatingIfNeeded: Int(ring)), 9, ringSeed))
                // Early wood light, darkening into late wood, then an abrupt change at the ring.
                let late = smoothstep(ringSharp, 0.97, f) * (1 - smoothstep(0.97, 1.0, f))
                lum[i] = -amp * late + grainAmp * grain[i] - poreAmp * max(0, pores[i] - 0.45) * 2
                L.relief[i] = 0.25 * grain[i] + 0.06 * late
            }
        }
        paint(&L, colour: colour, lum: lum, sat: 1.35)
        return L
    }

    static let yarns: [(RGB, RGB)] = [
        ((0.16, 0.24, 0.42), (0.72, 0.71, 0.66)),  // denim
        ((0.5, 0.5, 0.5), (0.42, 0.42, 0.43)),     // grey
        ((0.74, 0.64, 0.48), (0.7, 0.6, 0.45)),    // canvas
        ((0.14, 0.14, 0.15), (0.18, 0.18, 0.19)),  // black
        ((0.36, 0.39, 0.23), (0.32, 0.35, 0.21)),  // olive
        ((0.58, 0.12, 0.12), (0.52, 0.1, 0.1)),    // red
        ((0.16, 0.2, 0.34), (0.2, 0.24, 0.38)),    // navy
        ((0.85, 0.84, 0.8), (0.8, 0.79, 0.75)),    // white
    ]

    static func fabric(_ size: Int, _ p: inout SeededRNGBox, _ r: inout SeededRNGBox, _ pose: Pose) -> SurfaceLayers {
        // Product: the cloth (yarn colours, thread pitch, weave, thread evenness, hairiness).
        var L = SurfaceLayers(width: size, height: size, shading: p.uniform(0.2, 0.4))
        let s = Float(size) / 256, n = L.count
        let yarn = p.pick(yarns)
        let warpC = jitter(yarn.0, 0.08, &p), weftC = jitter(yarn.1, 0.08, &p)
        let period = p.uniform(3.6, 8.5) * s
        let angle = (p.chance(0.5) ? 0 : .pi / 2) + p.uniform(-0.25, 0.25)
        let twill = p.chance(0.55)
        let threadVar = p.uniform(0.03, 0.12), gap = p.uniform(0.35, 0.6)
        let seed = p.seed32()
        let fuzzAmp = p.uniform(0.04, 0.1), mott = p.uniform(40, 120) * s, mottAmp = p.uniform(0.02, 0.06)
        let fuzzSeed = p.seed32(), mottSeed = p.seed32()
        // Instance: the pose and the weave's phase; this piece's fuzz, slubs and mottling.
        var fuzz = [Float](repeating: 0, count: n)
        addFBM(into: &fuzz, width: size, height: size, noise: ValueNoise(seed: fuzzSeed),
               map: pose.map(.stretched(angle: 0, along: 1.3 * s, across: 1.3 * s, offset: offset(&r))), octaves: 2, amplitude: fuzzAmp)
        let slubN = ValueNoise(seed: r.seed32())
        addFBM(into: &fuzz, width: size, height: size, noise: ValueNoise(seed: mottSeed),
               map: pose.map(.stretched(angle: 0, along: mott, across: mott, offset: offset(&r))), octaves: 2, amplitude: mottAmp)
        let c = cos(angle) / period, sn = sin(angle) / period
        let ox = r.uniform(0, 100), oy = r.uniform(0, 100)
        let depth = 0.5 * period / 6
        for y in 0..<size {
            for x in 0..<size {
                let (fx, fy) = pose.toProduct(Float(x) + 0.5, Float(y) + 0.5)
                let u = fx * c + fy * sn + ox, v = -fx * sn + fy * c + oy
                let fu0 = u.rounded(.down), fv0 = v.rounded(.down)
                let iu = Int32(fu0), iv = Int32(fv0)
                let fu = u - fu0, fv = v - fv0
                let warpOnTop = twill ? (((Int(iu) - Int(iv)) % 4 + 4) % 4) < 2 : ((Int(iu) + Int(iv)) & 1) == 0
                // Across the visible thread it is round (bright crown, dark gap); along it the
                // float dips where it passes under the crossing thread.
                let across = warpOnTop ? fu : fv, along = warpOnTop ? fv : fu
                let crown = sin(.pi * across)
                let profile = crown.squareRoot()
                let dip = 0.8 + 0.2 * sin(.pi * along)
                let id = warpOnTop ? iu : iv
                let tv = threadVar * hashSigned(id, warpOnTop ? 1 : 2, seed)
                let slub = 0.05 * slubN.sample(warpOnTop ? v * 0.3 : u * 0.3, Float(id) * 3.1)
                let lum = (1 - gap + gap * profile) * dip * (1 + tv + slub)
                let i = y * size + x
                let col = warpOnTop ? warpC : weftC
                let f = 1 + fuzz[i]
                L.r[i] = col.0 * lum * f
                L.g[i] = col.1 * lum * f
                L.b[i] = col.2 * lum * f
                L.relief[i] = depth * profile * dip
            }
        }
        return L
    }
}
