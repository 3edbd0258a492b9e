import ImageIO

/// An 8-bit RGB drawing surface for charts: rectangles, lines and bitmap-font text.
///
/// Coordinates are pixels with (0, 0) at the top-left and y growing downwards. Every
/// drawing call clips to the canvas, so callers may pass coordinates anywhere in `Int`
/// (including far off-canvas) without checks; such calls draw what falls inside, or
/// nothing, and never trap.
///
/// ```swift
/// var c = Canvas(width: 64, height: 32)
/// c.line(from: (x: 2, y: 30), to: (x: 60, y: 2), color: .blue, thickness: 2)
/// c.text("ok", x: 4, y: 4, color: .black)
/// let png = try c.pngData()
/// ```
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// Interleaved RGB samples, row-major with no padding: pixel (x, y) starts at
    /// `(y * width + x) * 3`, the layout `Image` expects.
    public private(set) var pixels: [UInt8]

    /// A `width` × `height` canvas filled with `background`. Negative sizes count as 0.
    public init(width: Int, height: Int, background: RGB = .white) {
        self.width = max(0, width)
        self.height = max(0, height)
        let n = self.width * self.height
        var px = [UInt8](repeating: 0, count: n * 3)
        for i in 0..<n {
            px[3 * i] = background.r
            px[3 * i + 1] = background.g
            px[3 * i + 2] = background.b
        }
        pixels = px
    }

    /// Replaces every pixel (interleaved RGB, `width × height × 3` samples).
    public mutating func setPixels(_ p: [UInt8]) {
        precondition(p.count == width * height * 3, "pixel count")
        pixels = p
    }

    /// The colour at (x, y), or nil outside the canvas.
    public func pixel(x: Int, y: Int) -> RGB? {
        guard x >= 0, x < width, y >= 0, y < height else { return nil }
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Sets one pixel; outside the canvas does nothing.
    public mutating func setPixel(x: Int, y: Int, color: RGB) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.r
        pixels[i + 1] = color.g
        pixels[i + 2] = color.b
    }

    /// Fills the `width` × `height` rectangle whose top-left corner is (x, y), clipped.
    public mutating func fillRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB) {
        guard let xs = Canvas.clip(start: x, length: w, limit: width),
              let ys = Canvas.clip(start: y, length: h, limit: height) else { return }
        let stride = width * 3
        pixels.withUnsafeMutableBufferPointer { buf in
            for row in ys {
                var i = row * stride + xs.lowerBound * 3
                for _ in xs {
                    buf[i] = color.r
                    buf[i + 1] = color.g
                    buf[i + 2] = color.b
                    i += 3
                }
            }
        }
    }

    /// Outlines the rectangle `fillRect` would fill, `thickness` pixels wide, drawn
    /// inwards so the outline never pokes outside the rectangle.
    public mutating func strokeRect(x: Int, y: Int, width w: Int, height h: Int, color: RGB, thickness: Int = 1) {
        guard w > 0, h > 0 else { return }
        let t = max(1, min(thickness, w, h))
        let right = Canvas.satAdd(x, w - t), bottom = Canvas.satAdd(y, h - t)
        fillRect(x: x, y: y, width: w, height: t, color: color)
        fillRect(x: x, y: bottom, width: w, height: t, color: color)
        fillRect(x: x, y: y, width: t, height: h, color: color)
        fillRect(x: right, y: y, width: t, height: h, color: color)
    }

    /// A straight line including both endpoints (Bresenham), `thickness` pixels wide
    /// (each step stamps a `thickness`-sided square centred on the ideal pixel).
    ///
    /// The segment is first clipped to the canvas, widened by the thickness, in floating
    /// point: that bounds the work by the canvas size, however far away the endpoints
    /// are, and keeps integer arithmetic on huge coordinates from overflowing.
    public mutating func line(from p0: (x: Int, y: Int), to p1: (x: Int, y: Int), color: RGB, thickness: Int = 1) {
        let t = max(1, thickness)
        guard width > 0, height > 0,
              let (a, b) = Canvas.clipSegment(p0, p1, minX: -Double(t), minY: -Double(t),
                                              maxX: Double(width + t), maxY: Double(height + t)) else { return }
        var x = a.x, y = a.y
        let dx = abs(b.x - x), dy = -abs(b.y - y)
        let sx = x < b.x ? 1 : -1, sy = y < b.y ? 1 : -1
        var err = dx + dy
        let back = (t - 1) / 2
        while true {
            if t == 1 { setPixel(x: x, y: y, color: color) } else { fillRect(x: x - back, y: y - back, width: t, height: t, color: color) }
            if x == b.x && y == b.y { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Draws `s` left to right with its bounding box's top-left corner at (x, y). Each
    /// font pixel becomes a `scale` × `scale` block; the box is
    /// `BitmapFont.textWidth(s, scale:)` × `BitmapFont.textHeight(scale:)`.
    public mutating func text(_ s: String, x: Int, y: Int, color: RGB, scale: Int = 1) {
        let k = max(1, scale)
        var penX = x
        for c in s {
            drawGlyph(c, scale: k, color: color) { gx, gy in (Canvas.satAdd(penX, gx * k), Canvas.satAdd(y, gy * k)) }
            penX = Canvas.satAdd(penX, BitmapFont.advance * k)
        }
    }

    /// Draws `s` rotated 90° counter-clockwise, reading from bottom to top (the usual
    /// y-axis label), with the rotated bounding box's top-left corner at (x, y). The box
    /// is `BitmapFont.textHeight(scale:)` wide and `BitmapFont.textWidth(s, scale:)`
    /// tall; the first character sits at its bottom and the glyph tops face left.
    public mutating func verticalText(_ s: String, x: Int, y: Int, color: RGB, scale: Int = 1) {
        let k = max(1, scale)
        // Unrotated, glyph pixel (gx, gy) of character i lies at (pen + gx·k, gy·k);
        // rotating counter-clockwise sends "right" to "up" and "down" to "right".
        let bottom = Canvas.satAdd(y, BitmapFont.textWidth(s, scale: k))
        var pen = 0
        for c in s {
            let p = pen
            drawGlyph(c, scale: k, color: color) { gx, gy in
                (Canvas.satAdd(x, gy * k), Canvas.satAdd(bottom, -(p + gx * k) - k))
            }
            pen += BitmapFont.advance * k
        }
    }

    /// The canvas as an RGB8 `Image`.
    public var image: Image { Image(width: width, height: height, channels: 3, pixels8: pixels) }

    /// The canvas encoded as PNG.
    public func pngData() throws -> [UInt8] { try ImageCodec.encodePNG(image) }

    // MARK: - Helpers

    /// Fills a `k`-sided block for every set pixel of `c`'s glyph, at the top-left
    /// corner `place(column, row)` returns.
    private mutating func drawGlyph(_ c: Character, scale k: Int, color: RGB, place: (Int, Int) -> (Int, Int)) {
        let rows: ArraySlice<UInt8>
        if let start = BitmapFont.tableOffset(for: c) {
            rows = BitmapFont.table[start..<start + BitmapFont.glyphHeight]
        } else {
            rows = BitmapFont.fallback[...]
        }
        for (gy, bits) in rows.enumerated() where bits != 0 {
            for gx in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(gx)) != 0 {
                let (px, py) = place(gx, gy)
                fillRect(x: px, y: py, width: k, height: k, color: color)
            }
        }
    }

    /// The part of `start ..< start + length` inside `0 ..< limit`, nil when empty,
    /// computed without overflowing for any `Int` inputs.
    static func clip(start: Int, length: Int, limit: Int) -> Range<Int>? {
        guard length > 0, start < limit else { return nil }
        let lo = max(0, start)
        let hi = min(limit, satAdd(start, length))
        return lo < hi ? lo..<hi : nil
    }

    /// `a + b`, saturating at the ends of `Int` instead of trapping.
    static func satAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int.max : Int.min) : sum
    }

    /// Liang–Barsky clipping of the segment p0→p1 to the box, with the clipped ends
    /// rounded back to pixels; nil when the segment misses the box. An endpoint already
    /// inside the box comes back unchanged, so on-canvas lines hit their exact ends.
    static func clipSegment(_ p0: (x: Int, y: Int), _ p1: (x: Int, y: Int),
                            minX: Double, minY: Double, maxX: Double, maxY: Double) -> ((x: Int, y: Int), (x: Int, y: Int))? {
        let x0 = Double(p0.x), y0 = Double(p0.y)
        let dx = Double(p1.x) - x0, dy = Double(p1.y) - y0
        var t0 = 0.0, t1 = 1.0
        // Each (p, q) pair is one box edge: the segment is inside that edge where p·t ≤ q.
        for (p, q) in [(-dx, x0 - minX), (dx, maxX - x0), (-dy, y0 - minY), (dy, maxY - y0)] {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let r = q / p
                if p < 0 { t0 = max(t0, r) } else { t1 = min(t1, r) }
                if t0 > t1 { return nil }
            }
        }
        func at(_ t: Double) -> (x: Int, y: Int) {
            let x = min(maxX, max(minX, (x0 + t * dx).rounded()))
            let y = min(maxY, max(minY, (y0 + t * dy).rounded()))
            return (Int(x), Int(y))
        }
        return (t0 == 0 ? p0 : at(t0), t1 == 1 ? p1 : at(t1))
    }
}
