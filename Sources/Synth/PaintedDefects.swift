import Foundation
import ImageIO

// Painting defects onto photographs. The photo becomes the albedo of a flat surface (relief 0);
// the generator's painters draw their geometry and tone into it, the relief they add (grooves,
// craters, dents) is shaded against a light direction drawn from the seed, and the resulting
// change is then rescaled so that its contrast is a multiple of the local texture's standard
// deviation: a defect on coarse gravel needs a larger swing to be seen than one on a flat wall,
// and a fixed swing would be cartoonish on the one or invisible on the other.

extension SurfaceSynth {
    /// `image` (any 8- or 16-bit gray or RGB(A) image) with `defect` painted in, and its mask.
    ///
    /// The result is 8-bit RGB of the input's size; the mask is 1-channel 8-bit, 255 where the
    /// painter changed the image by at least the generator's threshold, grown by one pixel, 0
    /// elsewhere. Pixels outside the defect's reach keep their input values exactly. Defect
    /// sizes follow `renderDefective` relative to the image width (a 256-px image gets what a
    /// 256-px render gets). The change's contrast is set from a robust standard deviation (from
    /// the median absolute deviation) of the luminance around the defect:
    /// its strong part swings 1.2–2.6× that (0.6× for dents), at least 0.1–0.16 of full scale so flat
    /// images still show it, at most 0.4. On a gray
    /// input (or an RGB one whose channels are all equal) the change is gray too: stains shift
    /// brightness, not hue. `missingPrint` smooths the texture of an irregular patch away
    /// towards its local mean colour, keeping the fine grain (sensor noise) of the photo.
    ///
    /// ```swift
    /// let photo = try ImageCodec.decode(fileAt: "brick.png").image
    /// let (bad, mask) = SurfaceSynth.paint(.crack, on: photo, seed: 7)
    /// ```
    public static func paint(_ defect: DefectKind, on image: Image, seed: UInt64) -> (image: Image, mask: Image) {
        let src = image.to8Bit().toRGB8()
        let w = src.width, h = src.height, n = w * h
        precondition(w >= 16 && h >= 16, "SurfaceSynth.paint needs an image of at least 16×16 pixels")
        let px = src.pixels8
        var L = SurfaceLayers(width: w, height: h, shading: 0.5)
        var gray = true
        for i in 0..<n {
            let r = px[3 * i], g = px[3 * i + 1], b = px[3 * i + 2]
            if r != g || g != b { gray = false }
            L.r[i] = Float(r) / 255; L.g[i] = Float(g) / 255; L.b[i] = Float(b) / 255
        }
        let orig = L
        let kindIndex = UInt64(DefectKind.allCases.firstIndex(of: defect)!)
        var rng = SeededRNGBox(seed: mixSeed(seed, kindIndex, 0x9A17_ED))
        let strength = rng.uniform(1.2, 2.6)
        let la = rng.uniform(0, 2 * .pi)
        let change: [Float]
        if defect == .missingPrint {
            change = photoSmoothedPatch(&L, &rng)
        } else {
            change = defect.paint(on: &L, rng: &rng)
        }

        // Total change: painted albedo plus the shading of the painted relief, minus the photo.
        // The shading acts on the local mean brightness, not on each pixel: a dent darkens and
        // lightens the texture as a whole instead of amplifying its highlights.
        let lx = cos(la), ly = sin(la)
        let br = max(2, Int(0.03 * Float(w)))
        let mr = boxBlur(L.r, width: w, height: h, radius: br), mg = boxBlur(L.g, width: w, height: h, radius: br)
        let mb = boxBlur(L.b, width: w, height: h, radius: br)
        var dr = [Float](repeating: 0, count: n), dg = dr, db = dr
        var x0 = w, x1 = -1, y0 = h, y1 = -1
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let hx = (L.relief[y * w + min(x + 1, w - 1)] - L.relief[y * w + max(x - 1, 0)]) * 0.5
                let hy = (L.relief[min(y + 1, h - 1) * w + x] - L.relief[max(y - 1, 0) * w + x]) * 0.5
                let shade = min(max(1 + L.shading * (hx * lx + hy * ly), 0.25), 1.9)
                dr[i] = L.r[i] + (shade - 1) * mr[i] - orig.r[i]
                dg[i] = L.g[i] + (shade - 1) * mg[i] - orig.g[i]
                db[i] = L.b[i] + (shade - 1) * mb[i] - orig.b[i]
                if change[i] > 0 || dr[i] != 0 || dg[i] != 0 || db[i] != 0 {
                    x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
                }
            }
        }
        if gray {
            for i in 0..<n {
                let d = 0.299 * dr[i] + 0.587 * dg[i] + 0.114 * db[i]
                dr[i] = d; dg[i] = d; db[i] = d
            }
        }

        // Contrast: the painted change's luminance swing in the defect's core, set to a multiple
        // of the robust luminance std of the texture around it.
        var gain: Float = 1
        if x1 >= x0, defect != .missingPrint {
            let m = Int(0.08 * Float(w)) + 2
            let bx0 = max(0, x0 - m), bx1 = min(w - 1, x1 + m), by0 = max(0, y0 - m), by1 = min(h - 1, y1 + m)
            var lums: [Float] = [], swings: [Float] = []
            for y in by0...by1 {
                for x in bx0...bx1 {
                    let i = y * w + x
                    lums.append(0.299 * orig.r[i] + 0.587 * orig.g[i] + 0.114 * orig.b[i])
                    if change[i] >= 0.5 { swings.append(abs(0.299 * dr[i] + 0.587 * dg[i] + 0.114 * db[i])) }
                }
            }
            // A robust std (1.4826 × median absolute deviation), so sparse bright or dark
            // structure such as mortar lines between bricks does not count as texture noise.
            func median(_ v: [Float]) -> Float { let t = v.sorted(); return t[t.count / 2] }
            let med = median(lums)
            let sigma = 1.4826 * median(lums.map { abs($0 - med) })
            // The swing near the defect's strongest part (its 85th percentile): a dent's shading
            // is zero at its centre and a pit's rim is weaker than its floor.
            swings.sort()
            let measured = swings.isEmpty ? 0 : swings[min(swings.count - 1, Int(0.85 * Float(swings.count)))]
            // A dent is seen only through shading, which is gentler than a change of colour.
            let k: Float = defect == .dent ? 0.6 : 1
            let target = k * min(max(strength * sigma, 0.06 + 0.04 * strength), 0.4)
            if measured > 1e-4 { gain = min(max(target / measured, 0.25), 5) }
        }

        // The gain acts on the change as a fraction t of the headroom towards white (or black):
        // t' = 1 − (1 − t)^gain, about gain·t for small changes, but never past the ends of the
        // range, so an amplified stain compresses the texture towards white or black instead of
        // clipping it into flat patches.
        var out = [UInt8](repeating: 0, count: 3 * n)
        for i in 0..<n {
            let d = [dr[i], dg[i], db[i]], o = [orig.r[i], orig.g[i], orig.b[i]]
            for c in 0..<3 where d[c] != 0 {
                let room = d[c] > 0 ? 1 - o[c] : o[c]
                var dv: Float = 0
                if room > 1e-6 {
                    let t = min(abs(d[c]) / room, 1)
                    dv = (d[c] > 0 ? 1 : -1) * room * (1 - pow(1 - t, gain))
                }
                let v = Int(px[3 * i + c]) + Int((dv * 255).rounded())
                out[3 * i + c] = UInt8(min(max(v, 0), 255))
            }
            for c in 0..<3 where d[c] == 0 { out[3 * i + c] = px[3 * i + c] }
        }
        return (Image(width: w, height: h, channels: 3, pixels8: out), maskImage(change, width: w, height: h))
    }

    /// `missingPrint` on a photo: an irregular patch where the texture is smoothed away towards
    /// its local mean colour (slightly lighter or darker), keeping half of the photo's fine grain
    /// so the patch is not unnaturally clean.
    static func photoSmoothedPatch(_ L: inout SurfaceLayers, _ rng: inout SeededRNGBox) -> [Float] {
        let S = Float(L.width), w = L.width, h = L.height
        let (cx, cy) = Defects.centre(L, &rng)
        let blob = Blob(cx: cx, cy: cy, radius: rng.uniform(0.07, 0.15) * S, soft: rng.uniform(0.08, 0.2), roughness: 0.1, rng: &rng)
        var wt = [Float](repeating: 0, count: L.count)
        blob.fill(&wt, width: w, height: h)
        let r = max(3, Int(0.06 * S))
        let st = rng.uniform(0.8, 1)
        let tone = 1 + (rng.chance(0.5) ? 1 : -1) * rng.uniform(0.04, 0.12)
        var planes = [L.r, L.g, L.b]
        for c in 0..<3 {
            let mean = boxBlur(planes[c], width: w, height: h, radius: r)
            let fine = boxBlur(planes[c], width: w, height: h, radius: 1)
            for i in 0..<L.count where wt[i] > 0 {
                let target = mean[i] * tone + 0.5 * (planes[c][i] - fine[i])
                planes[c][i] += wt[i] * st * (target - planes[c][i])
            }
        }
        L.r = planes[0]; L.g = planes[1]; L.b = planes[2]
        return wt
    }
}
