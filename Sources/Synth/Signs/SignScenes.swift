import Foundation
import ImageIO
import TensorCore

/// Road scenes with traffic signs on poles and the boxes of the signs, for training detectors
/// when no labelled sign photographs are at hand. Everything is drawn from `seed`: the same
/// seed, size, classes and background give the same pixels and boxes.
///
/// Each scene holds 0–4 signs (16 px up to a third of the frame height), each perspective-warped
/// by a small homography, sometimes partly hidden behind a foreground block (the box keeps the
/// visible extent; signs more than 60 % hidden get no box), plus hard negatives that get no box
/// (plain red/blue/yellow discs, blank octagons and triangles, red cars and boxes), then blur and
/// photometric changes (brightness/contrast, fog, night with noise, glare).
///
/// ```swift
/// let scene = SignScenes.render(seed: 7)
/// for b in scene.boxes { print(SignClass.allCases[b.classIndex], b.x0, b.y0, b.x1, b.y1) }
/// ```
public enum SignScenes {
    /// Renders one scene. `classes` are the sign classes that may appear (box `classIndex`
    /// indexes this array); `background`, when given, is randomly cropped and resized instead
    /// of the procedural street.
    public static func render(seed: UInt64, size: (width: Int, height: Int) = (640, 480),
                              classes: [SignClass] = SignClass.allCases,
                              background: Image? = nil) -> (image: Image, boxes: [SignBox]) {
        let W = max(size.width, 32), H = max(size.height, 32)
        var rng = SeededRNGBox(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x5167_4E5C)
        var canvas: SignCanvas
        var horizon: Float
        if let bg = background, bg.width >= 8, bg.height >= 8 {
            canvas = photoBackground(bg, W, H, &rng)
            horizon = Float(H) * rng.uniform(0.4, 0.6)
        } else {
            horizon = Float(H) * rng.uniform(0.36, 0.52)
            canvas = SignBackground.street(W, H, horizon: horizon, &rng)
        }

        // Hard negatives first, so signs may stand in front of them.
        let negatives = rng.int(0, 3)
        for _ in 0..<negatives { SignBackground.hardNegative(&canvas, horizon: horizon, &rng) }

        // Signs on poles.
        struct Placed { var cls: Int; var mask: [Float]; var bounds: (Int, Int, Int, Int) }
        var placed: [Placed] = []
        let count = classes.isEmpty ? 0 : rng.int(0, 4)
        let minS: Float = 16, maxS = max(17, Float(H) / 3)
        var taken: [(Float, Float, Float, Float)] = []
        for _ in 0..<count {
            let ci = rng.int(0, classes.count - 1)
            var chosen: (s: Float, cx: Float, cy: Float, ground: Float)?
            for _ in 0..<12 {
                // Log-uniform size so small, distant signs are as common as near ones.
                let s = minS * powf(maxS / minS, rng.unit())
                let near = (s - minS) / (maxS - minS)
                let ground = min(Float(H) - 1, horizon + (Float(H) - horizon) * (0.05 + 0.85 * near) + rng.uniform(-4, 4))
                let cx = rng.uniform(s * 0.6, Float(W) - s * 0.6)
                var cy = ground - s * rng.uniform(1.6, 2.8)
                cy = max(cy, s * 0.55)
                let r = (cx - s * 0.7, cy - s * 0.7, cx + s * 0.7, cy + s * 0.7)
                if taken.contains(where: { r.0 < $0.2 && $0.0 < r.2 && r.1 < $0.3 && $0.1 < r.3 }) { continue }
                chosen = (s, cx, cy, ground); taken.append(r); break
            }
            guard let c = chosen else { continue }
            // The pole, then the plate.
            let pw = max(2, c.s * 0.07)
            let poleTop = c.cy
            canvas.paint(x0: c.cx - pw / 2, y0: poleTop, x1: c.cx + pw / 2, y1: c.ground,
                         color: (0.55, 0.56, 0.58), shade: { x, _ in 0.6 + 0.7 * (1 - abs((x - c.cx) / pw * 2)) }) { x, y in
                abs(x - c.cx) <= pw / 2 && y >= poleTop && y <= c.ground
            }
            let mask = warpSign(classes[ci], side: c.s, cx: c.cx, cy: c.cy, into: &canvas, &rng)
            // Later signs hide earlier ones where they overlap.
            for k in placed.indices { for i in 0..<(W * H) where mask[i] > 0 { placed[k].mask[i] *= 1 - mask[i] } }
            placed.append(Placed(cls: ci, mask: mask, bounds: (0, 0, 0, 0)))
        }

        // Foreground occluders over some signs.
        var total = placed.map { $0.mask.reduce(0, +) }
        if !placed.isEmpty {
            var occ = [Float](repeating: 0, count: W * H)
            for k in placed.indices where rng.chance(0.3) {
                guard let b = maskBounds(placed[k].mask, W, H, threshold: 0.5) else { continue }
                SignBackground.occluder(&canvas, over: b, mask: &occ, &rng)
            }
            for k in placed.indices { for i in 0..<(W * H) where occ[i] > 0 { placed[k].mask[i] *= 1 - occ[i] } }
        }
        var boxes: [SignBox] = []
        for k in placed.indices {
            let vis = placed[k].mask.reduce(0, +)
            let frac = total[k] > 0 ? vis / total[k] : 0
            guard frac >= 0.4, let b = maskBounds(placed[k].mask, W, H, threshold: 0.5),
                  b.2 - b.0 >= 3, b.3 - b.1 >= 3 else { continue }
            boxes.append(SignBox(classIndex: placed[k].cls, x0: b.0, y0: b.1, x1: b.2, y1: b.3, visibleFraction: frac))
        }
        total.removeAll()

        // Sign faces are retroreflective: at night they stay brighter than their surroundings.
        var faces = [Float](repeating: 0, count: W * H)
        for p in placed { for i in 0..<(W * H) where p.mask[i] > faces[i] { faces[i] = p.mask[i] } }
        SignPhotometry.apply(&canvas, horizon: horizon, signMask: faces, &rng)
        return (canvas.image, boxes)
    }

    /// The bounds (x0, y0 inclusive; x1, y1 exclusive) of mask values above `threshold`.
    static func maskBounds(_ m: [Float], _ W: Int, _ H: Int, threshold: Float) -> (Int, Int, Int, Int)? {
        var x0 = W, y0 = H, x1 = 0, y1 = 0
        for y in 0..<H {
            let row = y * W
            for x in 0..<W where m[row + x] > threshold {
                if x < x0 { x0 = x }; if x >= x1 { x1 = x + 1 }
                if y < y0 { y0 = y }; y1 = y + 1
            }
        }
        return x1 > x0 && y1 > y0 ? (x0, y0, x1, y1) : nil
    }

    /// Draws the sign through a small random homography centred at (cx, cy); returns its
    /// full-frame coverage.
    static func warpSign(_ cls: SignClass, side s: Float, cx: Float, cy: Float,
                         into canvas: inout SignCanvas, _ rng: inout SeededRNGBox) -> [Float] {
        let W = canvas.width, H = canvas.height
        var mask = [Float](repeating: 0, count: W * H)
        let yaw = rng.uniform(-0.45, 0.45)
        let roll = rng.normal() * 0.05
        let hw = s / 2 * (1 - abs(yaw) * 0.45)
        let hl = s / 2 * (1 + yaw * 0.22), hr = s / 2 * (1 - yaw * 0.22)
        var corners: [(Float, Float)] = [(-hw, -hl), (hw, -hr), (hw, hr), (-hw, hl)]
        let cr = cosf(roll), sr = sinf(roll)
        corners = corners.map { p in
            let jx = rng.uniform(-0.025, 0.025) * s, jy = rng.uniform(-0.025, 0.025) * s
            return (cx + p.0 * cr - p.1 * sr + jx, cy + p.0 * sr + p.1 * cr + jy)
        }
        let side = max(8, Int((corners.map { $0.1 }.max()! - corners.map { $0.1 }.min()!).rounded(.up)) + 2)
        let sprite = SignSprite(cls, size: side)
        let S = Double(sprite.size)
        let src: [(Double, Double)] = [(0, 0), (S, 0), (S, S), (0, S)]
        let dst = corners.map { (Double($0.0), Double($0.1)) }
        guard let inv = SignHomography(from: dst, to: src) else { return mask }
        let xs = corners.map { $0.0 }, ys = corners.map { $0.1 }
        let bx0 = max(0, Int(xs.min()!) - 1), bx1 = min(W, Int(xs.max()!) + 2)
        let by0 = max(0, Int(ys.min()!) - 1), by1 = min(H, Int(ys.max()!) + 2)
        guard bx1 > bx0, by1 > by0 else { return mask }
        // A slight per-sign fade or dirt: plates are never pristine.
        let fade = rng.uniform(0.82, 1.02)
        let n = sprite.size
        for y in by0..<by1 {
            for x in bx0..<bx1 {
                let (u, v) = inv.apply(Double(x) + 0.5, Double(y) + 0.5)
                let fu = Float(u) - 0.5, fv = Float(v) - 0.5
                let iu = Int(fu.rounded(.down)), iv = Int(fv.rounded(.down))
                guard iu >= -1, iv >= -1, iu < n, iv < n else { continue }
                let tx = fu - Float(iu), ty = fv - Float(iv)
                var acc: (Float, Float, Float, Float) = (0, 0, 0, 0)
                for (dx, dy, w) in [(0, 0, (1 - tx) * (1 - ty)), (1, 0, tx * (1 - ty)), (0, 1, (1 - tx) * ty), (1, 1, tx * ty)] {
                    let sx = iu + dx, sy = iv + dy
                    guard sx >= 0, sy >= 0, sx < n, sy < n, w > 0 else { continue }
                    let o = (sy * n + sx) * 4
                    acc.0 += sprite.rgba[o] * w; acc.1 += sprite.rgba[o + 1] * w
                    acc.2 += sprite.rgba[o + 2] * w; acc.3 += sprite.rgba[o + 3] * w
                }
                guard acc.3 > 1e-3 else { continue }
                let i = (y * W + x) * 3
                for (c, p) in [acc.0, acc.1, acc.2].enumerated() {
                    canvas.px[i + c] = canvas.px[i + c] * (1 - acc.3) + p * fade
                }
                mask[y * W + x] = min(acc.3, 1)
            }
        }
        return mask
    }

    static func photoBackground(_ bg: Image, _ W: Int, _ H: Int, _ rng: inout SeededRNGBox) -> SignCanvas {
        let rgb = bg.toRGB8()
        let aspect = Float(W) / Float(H)
        let fullW = min(Float(rgb.width), Float(rgb.height) * aspect)
        let cw = max(4, Int(fullW * rng.uniform(0.55, 1)))
        let ch = max(4, min(rgb.height, Int(Float(cw) / aspect)))
        let x = rng.int(0, max(0, rgb.width - cw)), y = rng.int(0, max(0, rgb.height - ch))
        let crop = rgb.cropped(x: x, y: y, width: min(cw, rgb.width - x), height: min(ch, rgb.height - y))
        var c = SignCanvas(image: crop.resized(width: W, height: H))
        if rng.chance(0.5) {  // mirror
            for yy in 0..<H { for xx in 0..<(W / 2) { for k in 0..<3 {
                c.px.swapAt((yy * W + xx) * 3 + k, (yy * W + W - 1 - xx) * 3 + k)
            } } }
        }
        return c
    }
}
