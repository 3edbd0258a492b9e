// Proposal boxes are in pixels of the input image; internal masks/labels are row-major (y·w + x) at the working (downscaled) size.

import ImageIO

/// A box of colour in HSV space. Hue is in degrees [0, 360) and wraps when `hueMin > hueMax`
/// (340…20 is red on both sides of 0°); saturation and value are in [0, 1], both ends inclusive.
public struct HSVRange: Sendable, Equatable, Codable {
    public var hueMin: Double
    public var hueMax: Double
    public var saturation: ClosedRange<Double>
    public var value: ClosedRange<Double>

    public init(hueMin: Double, hueMax: Double, saturation: ClosedRange<Double>, value: ClosedRange<Double>) {
        self.hueMin = hueMin; self.hueMax = hueMax; self.saturation = saturation; self.value = value
    }

    /// Sign red: 340°…20° (wrapping), clearly saturated, not too dark.
    public static let red = HSVRange(hueMin: 340, hueMax: 20, saturation: 0.45...1, value: 0.25...1)
    /// Sign blue: 195°…250°.
    public static let blue = HSVRange(hueMin: 195, hueMax: 250, saturation: 0.45...1, value: 0.2...1)

    /// Whether hue `h` (degrees), saturation `s` and value `v` fall inside the range.
    public func contains(h: Double, s: Double, v: Double) -> Bool {
        guard saturation.contains(s), value.contains(v) else { return false }
        return hueMin <= hueMax ? (h >= hueMin && h <= hueMax) : (h >= hueMin || h <= hueMax)
    }
}

/// Region proposals by colour and shape: pixels inside any `HSVRange` are masked, the mask is
/// closed with a 3×3 square, and connected blobs (8-connectivity) that pass the size, aspect and
/// fill tests become boxes. Cheap enough to run on every video frame before a classifier.
public enum ColorProposals {
    /// What counts as a proposal. Sizes are in full-resolution pixels of the input image.
    public struct Options: Sendable, Equatable {
        /// Colours to look for; a pixel inside any of them is foreground.
        public var ranges: [HSVRange]
        /// Smallest blob, in pixels (estimated at full resolution when downscaled).
        public var minArea: Int
        /// Largest blob box, as a fraction of the image area.
        public var maxAreaFraction: Double
        /// Allowed box width / height.
        public var aspect: ClosedRange<Double>
        /// Smallest blob pixels / box area (a thin diagonal line fills little of its box).
        public var minFill: Double
        /// Each box grows by this fraction of its width (height) on the left and right (top and bottom), clipped to the image.
        public var padding: Double
        /// At most this many proposals, best first.
        public var maxProposals: Int
        /// Work on a copy whose longer side is at most this many pixels (nil: full resolution).
        public var downscale: Int?

        public init(ranges: [HSVRange] = [.red], minArea: Int = 64, maxAreaFraction: Double = 0.5,
                    aspect: ClosedRange<Double> = 0.5...2.0, minFill: Double = 0.3, padding: Double = 0.1,
                    maxProposals: Int = 50, downscale: Int? = 640) {
            self.ranges = ranges; self.minArea = minArea; self.maxAreaFraction = maxAreaFraction
            self.aspect = aspect; self.minFill = minFill; self.padding = padding
            self.maxProposals = maxProposals; self.downscale = downscale
        }

        /// Throws an `OptionsError` naming the first field out of range.
        public func validate() throws {
            func check(_ ok: Bool, _ field: String, _ reason: String) throws {
                if !ok { throw OptionsError(field: field, reason: reason) }
            }
            for (i, r) in ranges.enumerated() {
                try check((0..<360).contains(r.hueMin) && (0..<360).contains(r.hueMax), "ranges[\(i)].hue", "must be in [0, 360)")
                try check(r.saturation.lowerBound >= 0 && r.saturation.upperBound <= 1, "ranges[\(i)].saturation", "must be in [0, 1]")
                try check(r.value.lowerBound >= 0 && r.value.upperBound <= 1, "ranges[\(i)].value", "must be in [0, 1]")
            }
            try check(minArea >= 0, "minArea", "must be ≥ 0")
            try check(maxAreaFraction > 0 && maxAreaFraction <= 1, "maxAreaFraction", "must be in (0, 1]")
            try check(aspect.lowerBound > 0, "aspect", "must be positive")
            try check(minFill >= 0 && minFill <= 1, "minFill", "must be in [0, 1]")
            try check(padding >= 0, "padding", "must be ≥ 0")
            try check(maxProposals >= 0, "maxProposals", "must be ≥ 0")
            try check(downscale.map { $0 >= 8 } ?? true, "downscale", "must be ≥ 8")
        }
    }

    /// A field of `Options` out of range.
    public struct OptionsError: Error, Equatable, CustomStringConvertible {
        public var field: String
        public var reason: String
        public var description: String { "colour proposals: \(field) \(reason)" }
    }

    /// One candidate region.
    public struct Proposal: Sendable, Equatable {
        /// Padded, clipped box in input-image pixels.
        public var box: Box
        /// Blob pixels after closing (at full resolution; estimated when downscaled).
        public var pixelCount: Int
        /// Blob pixels / unpadded box area, in (0, 1].
        public var fill: Double
        /// fill × mean saturation of the blob, in [0, 1]; proposals are sorted by it.
        public var score: Double

        /// The proposal as a detection of the given class.
        public func detection(classIndex: Int, label: String) -> Detection {
            Detection(box: box, classIndex: classIndex, label: label, score: Float(score))
        }
    }

    /// Finds blobs of the requested colours in `image` (any channel count or bit depth),
    /// best first. An empty image, or one with nothing in range, gives no proposals.
    public static func propose(_ image: Image, options o: Options = Options()) -> [Proposal] {
        let fullW = image.width, fullH = image.height
        guard fullW > 0, fullH > 0, !o.ranges.isEmpty, o.maxProposals > 0 else { return [] }
        var work = image.toRGB8()
        if let limit = o.downscale, limit > 0, max(fullW, fullH) > limit {
            let s = Double(limit) / Double(max(fullW, fullH))
            work = work.resized(width: max(1, Int((Double(fullW) * s).rounded())),
                                height: max(1, Int((Double(fullH) * s).rounded())))
        }
        let w = work.width, h = work.height, n = w * h
        let sx = Double(fullW) / Double(w), sy = Double(fullH) / Double(h)

        var mask = [UInt8](repeating: 0, count: n)
        var sat = [UInt8](repeating: 0, count: n)
        let ranges = o.ranges.map(FloatRange.init)
        work.pixels8.withUnsafeBufferPointer { px in
            ranges.withUnsafeBufferPointer { rg in
                mask.withUnsafeMutableBufferPointer { m in
                    sat.withUnsafeMutableBufferPointer { s in hsvMask(px, rg, m, s) }
                }
            }
        }
        var tmp = [UInt8](repeating: 0, count: n)
        mask.withUnsafeMutableBufferPointer { m in
            tmp.withUnsafeMutableBufferPointer { t in
                // Closing = dilate then erode; each 3×3 square is a 1×3 pass then a 3×1 pass.
                for dilate in [true, false] {
                    morph(m, t, w, h, dilate: dilate, vertical: false)
                    morph(t, m, w, h, dilate: dilate, vertical: true)
                }
            }
        }
        let blobs = mask.withUnsafeBufferPointer { m in sat.withUnsafeBufferPointer { s in label(m, s, w, h) } }

        var out: [Proposal] = []
        let imageArea = Double(fullW) * Double(fullH)
        for b in blobs {
            let bw = Double(b.maxX - b.minX + 1), bh = Double(b.maxY - b.minY + 1)
            let box = Box(x0: Double(b.minX) * sx, y0: Double(b.minY) * sy,
                          x1: Double(b.maxX + 1) * sx, y1: Double(b.maxY + 1) * sy)
            let pixels = Double(b.count) * sx * sy
            let fill = Double(b.count) / (bw * bh)
            guard pixels >= Double(o.minArea), box.area <= o.maxAreaFraction * imageArea,
                  o.aspect.contains(box.width / box.height), fill >= o.minFill else { continue }
            let meanSat = Double(b.satSum) / (Double(b.count) * 255)
            let padded = box.padded(dx: box.width * o.padding, dy: box.height * o.padding)
                .clipped(width: Double(fullW), height: Double(fullH))
            out.append(Proposal(box: padded, pixelCount: Int(pixels.rounded()), fill: fill,
                                score: min(1, max(0, fill * meanSat))))
        }
        // Stable: equal scores keep raster order of the blobs' first pixels.
        let order = out.indices.sorted { out[$0].score != out[$1].score ? out[$0].score > out[$1].score : $0 < $1 }
        return order.prefix(o.maxProposals).map { out[$0] }
    }

    /// An HSVRange in the units of the mask loop.
    struct FloatRange {
        var hLo, hHi, sLo, sHi, vLo, vHi: Float
        var wraps: Bool
        init(_ r: HSVRange) {
            hLo = Float(r.hueMin); hHi = Float(r.hueMax); wraps = r.hueMin > r.hueMax
            sLo = Float(r.saturation.lowerBound); sHi = Float(r.saturation.upperBound)
            vLo = Float(r.value.lowerBound); vHi = Float(r.value.upperBound)
        }
    }

    /// mask[i] = 1 where pixel i (RGB8) is in any range; sat[i] = saturation × 255.
    /// Hue is only computed for pixels that pass some range's saturation and value tests.
    static func hsvMask(_ px: UnsafeBufferPointer<UInt8>, _ ranges: UnsafeBufferPointer<FloatRange>,
                        _ mask: UnsafeMutableBufferPointer<UInt8>, _ sat: UnsafeMutableBufferPointer<UInt8>) {
        // Reciprocals of 0…255 (1/0 read as 0) replace the two divisions per pixel.
        let recip = (0..<256).map { $0 == 0 ? Float(0) : 1 / Float($0) }
        recip.withUnsafeBufferPointer { inv in
            for i in 0..<mask.count {
                let r = Int32(px[3 * i]), g = Int32(px[3 * i + 1]), b = Int32(px[3 * i + 2])
                let mx = max(r, g, b), d = mx - min(r, g, b)
                let v = Float(mx) * (1 / 255)
                let s = Float(d) * inv[Int(mx)]
                sat[i] = UInt8(s * 255 + 0.5)
                var hue: Float = -1
                var hit: UInt8 = 0
                for rg in ranges where s >= rg.sLo && s <= rg.sHi && v >= rg.vLo && v <= rg.vHi {
                    if hue < 0 {
                        let k = 60 * inv[Int(d)]   // d == 0 (gray) gives hue 0
                        if mx == r { hue = Float(g - b) * k; if hue < 0 { hue += 360 } }
                        else if mx == g { hue = Float(b - r) * k + 120 }
                        else { hue = Float(r - g) * k + 240 }
                    }
                    if rg.wraps ? (hue >= rg.hLo || hue <= rg.hHi) : (hue >= rg.hLo && hue <= rg.hHi) { hit = 1; break }
                }
                mask[i] = hit
            }
        }
    }

    /// One 1-D pass of a 3-wide max (dilate) or min (erode) over a 0/1 mask, along rows or
    /// columns; both walk memory row by row. Outside the image counts as background for dilation
    /// and as foreground for erosion, so closing never eats blobs at the border.
    static func morph(_ src: UnsafeMutableBufferPointer<UInt8>, _ dst: UnsafeMutableBufferPointer<UInt8>,
                      _ w: Int, _ h: Int, dilate: Bool, vertical: Bool) {
        let s = src.baseAddress!, d = dst.baseAddress!
        // Three inputs per output; a missing neighbour is replaced by the centre, which leaves
        // both | and & unchanged. Branches are hoisted so the inner loops vectorise.
        @inline(__always) func run(_ op: (UInt8, UInt8) -> UInt8) {
            if vertical {
                for y in 0..<h {
                    let c = s + y * w, o = d + y * w
                    let up = y > 0 ? c - w : c, down = y + 1 < h ? c + w : c
                    for x in 0..<w { o[x] = op(op(up[x], c[x]), down[x]) }
                }
            } else {
                for y in 0..<h {
                    let c = s + y * w, o = d + y * w
                    if w == 1 { o[0] = c[0]; continue }
                    o[0] = op(c[0], c[1])
                    for x in 1..<(w - 1) { o[x] = op(op(c[x - 1], c[x]), c[x + 1]) }
                    o[w - 1] = op(c[w - 2], c[w - 1])
                }
            }
        }
        if dilate { run(|) } else { run(&) }
    }

    /// A connected blob at working resolution: inclusive pixel bounds, pixel count, saturation sum.
    struct Blob { var minX, minY, maxX, maxY: Int32; var count: Int32; var satSum: Int }

    /// 8-connected components of `mask` by two-pass scanline labelling with union-find (no recursion).
    static func label(_ mask: UnsafeBufferPointer<UInt8>, _ sat: UnsafeBufferPointer<UInt8>, _ w: Int, _ h: Int) -> [Blob] {
        // New labels start only at pixels with no labelled W/NW/N/NE neighbour; no two such pixels
        // are 8-adjacent, so there are at most ⌈w/2⌉·⌈h/2⌉ of them.
        let maxLabels = ((w + 1) / 2) * ((h + 1) / 2) + 1
        var labels = [Int32](repeating: 0, count: w * h)
        var parent = [Int32](repeating: 0, count: maxLabels)
        var next: Int32 = 1
        labels.withUnsafeMutableBufferPointer { lab in
            parent.withUnsafeMutableBufferPointer { par in
                func find(_ x: Int32) -> Int32 {
                    var x = x
                    while par[Int(x)] != x { par[Int(x)] = par[Int(par[Int(x)])]; x = par[Int(x)] }
                    return x
                }
                func unite(_ a: Int32, _ b: Int32) {
                    let ra = find(a), rb = find(b)
                    // Roots always point to the smaller label, so parent[l] ≤ l (used when flattening).
                    if ra < rb { par[Int(rb)] = ra } else if rb < ra { par[Int(ra)] = rb }
                }
                for y in 0..<h {
                    let row = y * w
                    for x in 0..<w where mask[row + x] != 0 {
                        var l: Int32 = 0
                        if y > 0, lab[row - w + x] != 0 {
                            l = lab[row - w + x]  // N touches W, NW and NE, so they are already joined to it
                        } else {
                            if x > 0 { l = lab[row + x - 1] }
                            if x > 0, y > 0, lab[row - w + x - 1] != 0 {
                                let nw = lab[row - w + x - 1]
                                if l == 0 { l = nw } else if l != nw { unite(l, nw) }
                            }
                            if x + 1 < w, y > 0, lab[row - w + x + 1] != 0 {
                                let ne = lab[row - w + x + 1]
                                if l == 0 { l = ne } else if l != ne { unite(l, ne) }
                            }
                        }
                        if l == 0 { l = next; par[Int(next)] = next; next += 1 }
                        lab[row + x] = l
                    }
                }
            }
        }
        // Flatten (parent[l] ≤ l, so one increasing sweep finds every root) and number the roots 0, 1, ….
        var compact = [Int32](repeating: 0, count: Int(next))
        var blobs: [Blob] = []
        for l in 1..<Int(next) {
            let root = parent[Int(parent[l])]
            parent[l] = root
            if Int(root) == l {
                compact[l] = Int32(blobs.count)
                blobs.append(Blob(minX: .max, minY: .max, maxX: -1, maxY: -1, count: 0, satSum: 0))
            } else {
                compact[l] = compact[Int(root)]
            }
        }
        labels.withUnsafeBufferPointer { lab in
            compact.withUnsafeBufferPointer { cmp in
                blobs.withUnsafeMutableBufferPointer { bl in
                    for y in 0..<h {
                        for x in 0..<w where lab[y * w + x] != 0 {
                            let c = Int(cmp[Int(lab[y * w + x])])
                            let xi = Int32(x), yi = Int32(y)
                            if xi < bl[c].minX { bl[c].minX = xi }
                            if xi > bl[c].maxX { bl[c].maxX = xi }
                            if yi < bl[c].minY { bl[c].minY = yi }
                            if yi > bl[c].maxY { bl[c].maxY = yi }
                            bl[c].count += 1
                            bl[c].satSum += Int(sat[y * w + x])
                        }
                    }
                }
            }
        }
        return blobs
    }
}

/// Boxes around the connected regions of a binary mask (anomaly maps above their threshold).
public enum MaskRegions {
    /// The 8-connected components of `mask` (non-zero = on, `width × height`, row-major) with at
    /// least `minArea` pixels: box (exclusive far edges) and pixel count, largest first.
    public static func boxes(_ mask: [UInt8], width: Int, height: Int, minArea: Int = 1) -> [(box: Box, pixels: Int)] {
        precondition(mask.count == width * height, "mask size")
        guard width > 0 && height > 0 else { return [] }
        let blobs = mask.withUnsafeBufferPointer { ColorProposals.label($0, $0, width, height) }
        return blobs.filter { Int($0.count) >= minArea }
            .map { (Box(x0: Double($0.minX), y0: Double($0.minY), x1: Double($0.maxX + 1), y1: Double($0.maxY + 1)), Int($0.count)) }
            .sorted { $0.pixels > $1.pixels }
    }
}
