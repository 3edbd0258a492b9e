import Foundation
#if canImport(CFreeType)
import CFreeType
#endif

/// An 8-bit coverage bitmap of a rendered string: `height` rows of `width` bytes.
struct SignGlyphBitmap: Sendable {
    var width: Int
    var height: Int
    var coverage: [UInt8]
    /// The tight box of inked pixels (x0, y0 inclusive; x1, y1 exclusive), or nil when blank.
    var ink: (x0: Int, y0: Int, x1: Int, y1: Int)? {
        var x0 = width, y0 = height, x1 = 0, y1 = 0
        for y in 0..<height {
            for x in 0..<width where coverage[y * width + x] > 0 {
                x0 = min(x0, x); x1 = max(x1, x + 1); y0 = min(y0, y); y1 = max(y1, y + 1)
            }
        }
        return x1 > x0 ? (x0, y0, x1, y1) : nil
    }
}

/// Real-font lettering through the CFreeType shim, cached per (text, pixel height).
/// Without FreeType (the module missing, or the font unreadable) `render` answers nil and the
/// sign painters leave the lettering out.
public enum SignFont {
    /// The bold sans-serif face used for sign lettering (Debian `fonts-dejavu-core`).
    public static let defaultFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var entries: [String: SignGlyphBitmap?] = [:]
    }
    private static let cache = Cache()

    /// Whether FreeType is linked in and the default font renders.
    public static var isAvailable: Bool { render("0", pixelHeight: 12) != nil }

    /// The string at `pixelHeight` pixels as a coverage bitmap, or nil on any failure.
    static func render(_ text: String, pixelHeight: Int, fontPath: String = defaultFontPath) -> SignGlyphBitmap? {
        let key = "\(fontPath)\u{1}\(pixelHeight)\u{1}\(text)"
        cache.lock.lock()
        if let hit = cache.entries[key] { cache.lock.unlock(); return hit }
        cache.lock.unlock()
        let made = renderUncached(text, pixelHeight: pixelHeight, fontPath: fontPath)
        cache.lock.lock()
        if cache.entries.count > 512 { cache.entries.removeAll() }
        cache.entries[key] = made
        cache.lock.unlock()
        return made
    }

    /// Public form of `render`: (width, height, coverage bytes) or nil.
    public static func coverage(of text: String, pixelHeight: Int, fontPath: String = defaultFontPath)
        -> (width: Int, height: Int, coverage: [UInt8])? {
        guard let b = render(text, pixelHeight: pixelHeight, fontPath: fontPath) else { return nil }
        return (b.width, b.height, b.coverage)
    }

    private static func renderUncached(_ text: String, pixelHeight: Int, fontPath: String) -> SignGlyphBitmap? {
        #if canImport(CFreeType)
        guard pixelHeight >= 1, pixelHeight <= 4096, !text.isEmpty else { return nil }
        var w: Int32 = 0, h: Int32 = 0, base: Int32 = 0
        let probe = vg_ft_render_text(fontPath, text, Int32(pixelHeight), nil, 0, &w, &h, &base)
        guard probe == Int32(VG_FT_BUFFER_TOO_SMALL), w > 0, h > 0 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(w) * Int(h))
        let rc = out.withUnsafeMutableBufferPointer { buf in
            vg_ft_render_text(fontPath, text, Int32(pixelHeight), buf.baseAddress, buf.count, &w, &h, &base)
        }
        guard rc == Int32(VG_FT_OK) else { return nil }
        return SignGlyphBitmap(width: Int(w), height: Int(h), coverage: out)
        #else
        return nil
        #endif
    }
}
