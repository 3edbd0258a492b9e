import ImageIO

// Drawing results onto photos: boxes with labels and scores, a heat map blended over the
// picture, a caption. Coordinates are pixels of the image, (0, 0) top-left.

extension Canvas {
    /// A canvas holding `image` (any channel count and depth, converted to 8-bit RGB).
    public init(image: Image) {
        let rgb = image.toRGB8()
        self.init(width: rgb.width, height: rgb.height, background: .black)
        if case .uint8(let p) = rgb.samples { setPixels(p) }
    }
}

/// One box to draw: where, what it says, and its colour.
public struct AnnotationBox: Sendable {
    public var x0: Double, y0: Double, x1: Double, y1: Double
    public var text: String
    public var color: RGB

    public init(x0: Double, y0: Double, x1: Double, y1: Double, text: String, color: RGB) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
        self.text = text
        self.color = color
    }
}

public enum Annotator {
    /// The "jet"-like map used for heat maps: dark blue (0) → cyan → yellow → red (1).
    public static let heatStops: [RGB] = [RGB(hex: 0x00_00_80), RGB(hex: 0x00_60_FF), RGB(hex: 0x00_E0_E0),
                                          RGB(hex: 0xF0_F0_20), RGB(hex: 0xFF_60_00), RGB(hex: 0xB0_00_00)]

    /// Text scale and line thickness that read at this image size (about 1/60 of the shorter side).
    static func scale(_ c: Canvas) -> Int { max(1, min(c.width, c.height) / 300) }

    /// Blends a `(mapHeight, mapWidth)` map in [0, 1] over the canvas, bilinearly upsampled,
    /// with opacity `alpha` × value, so that cold areas stay as they were.
    public static func overlay(_ c: inout Canvas, map: [Float], mapWidth mw: Int, mapHeight mh: Int, alpha: Double = 0.5) {
        precondition(map.count == mw * mh && mw > 0 && mh > 0, "heat map size")
        let w = c.width, h = c.height
        guard w > 0 && h > 0 else { return }
        var px = c.pixels
        for y in 0..<h {
            let fy = min(max((Double(y) + 0.5) * Double(mh) / Double(h) - 0.5, 0), Double(mh - 1))
            let y0 = Int(fy), y1 = min(y0 + 1, mh - 1), ty = fy - Double(y0)
            for x in 0..<w {
                let fx = min(max((Double(x) + 0.5) * Double(mw) / Double(w) - 0.5, 0), Double(mw - 1))
                let x0 = Int(fx), x1 = min(x0 + 1, mw - 1), tx = fx - Double(x0)
                let top = Double(map[y0 * mw + x0]) * (1 - tx) + Double(map[y0 * mw + x1]) * tx
                let bottom = Double(map[y1 * mw + x0]) * (1 - tx) + Double(map[y1 * mw + x1]) * tx
                let v = min(1, max(0, top * (1 - ty) + bottom * ty))
                let color = RGB.colormap(heatStops, v)
                let a = alpha * v
                let i = (y * w + x) * 3
                px[i] = UInt8((Double(px[i]) * (1 - a) + Double(color.r) * a).rounded())
                px[i + 1] = UInt8((Double(px[i + 1]) * (1 - a) + Double(color.g) * a).rounded())
                px[i + 2] = UInt8((Double(px[i + 2]) * (1 - a) + Double(color.b) * a).rounded())
            }
        }
        c.setPixels(px)
    }

    /// Draws each box's outline and, above it (inside when at the top edge), its text on a
    /// filled tag in the box's colour.
    public static func draw(_ c: inout Canvas, boxes: [AnnotationBox]) {
        let k = scale(c), t = max(2, k + 1)
        for b in boxes {
            let x = Int(b.x0.rounded()), y = Int(b.y0.rounded())
            let w = max(1, Int((b.x1 - b.x0).rounded())), h = max(1, Int((b.y1 - b.y0).rounded()))
            c.strokeRect(x: x, y: y, width: w, height: h, color: b.color, thickness: t)
            guard !b.text.isEmpty else { continue }
            let tw = BitmapFont.textWidth(b.text, scale: k) + 2 * k + 2, th = BitmapFont.textHeight(scale: k) + 2 * k + 2
            let ty = y - th >= 0 ? y - th : y + t
            c.fillRect(x: x, y: ty, width: tw, height: th, color: b.color)
            c.text(b.text, x: x + k + 1, y: ty + k + 1, color: b.color.luminance > 0.55 ? .black : .white, scale: k)
        }
    }

    /// A caption in the top-left corner on a dark band (whole-image results).
    public static func caption(_ c: inout Canvas, lines: [String]) {
        let k = scale(c)
        let lh = BitmapFont.textHeight(scale: k) + 2 * k + 2
        let w = (lines.map { BitmapFont.textWidth($0, scale: k) }.max() ?? 0) + 2 * k + 4
        c.fillRect(x: 0, y: 0, width: w, height: lh * lines.count + 2, color: .darkGray)
        for (i, l) in lines.enumerated() { c.text(l, x: k + 2, y: i * lh + k + 2, color: .white, scale: k) }
    }

    /// A colour per class index, stable across images.
    public static func color(forClass i: Int) -> RGB {
        let palette: [RGB] = [.red, .blue, .green, .orange, .purple, .teal, .pink, .olive, .brown, RGB(hex: 0xE0_C0_10)]
        return palette[((i % palette.count) + palette.count) % palette.count]
    }
}
