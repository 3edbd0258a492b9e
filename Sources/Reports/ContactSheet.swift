import Augment
import ImageIO

/// A grid of thumbnails on a dark background, each scaled to fit its cell: how a person
/// checks at a glance what an augmentation chain does.
public enum ContactSheet {
    public static func render(rows: [[FloatImage]], cell: (width: Int, height: Int) = (192, 144), gap: Int = 4) -> Image {
        let cols = rows.map(\.count).max() ?? 0
        let w = max(1, cols * (cell.width + gap) + gap), h = max(1, rows.count * (cell.height + gap) + gap)
        var px = [UInt8](repeating: 40, count: w * h * 3)
        for (r, row) in rows.enumerated() {
            for (c, img) in row.enumerated() {
                let rgb = img.channels == 3 ? img.toImage() : img.toImage().toRGB8()
                let scale = min(Double(cell.width) / Double(rgb.width), Double(cell.height) / Double(rgb.height))
                let tw = max(1, Int(Double(rgb.width) * scale)), th = max(1, Int(Double(rgb.height) * scale))
                let thumb = rgb.resized(width: tw, height: th).pixels8
                let x0 = gap + c * (cell.width + gap) + (cell.width - tw) / 2, y0 = gap + r * (cell.height + gap) + (cell.height - th) / 2
                for y in 0..<th { for x in 0..<tw { for k in 0..<3 { px[((y0 + y) * w + x0 + x) * 3 + k] = thumb[(y * tw + x) * 3 + k] } } }
            }
        }
        return Image(width: w, height: h, channels: 3, pixels8: px)
    }
}
