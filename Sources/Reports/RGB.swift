/// An opaque 8-bit sRGB colour, the pixel type of `Canvas`.
public struct RGB: Sendable, Hashable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public init(r: UInt8, g: UInt8, b: UInt8) { self.init(r, g, b) }

    /// `0xRRGGBB`, as colours are usually written down.
    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    public var description: String { "RGB(\(r), \(g), \(b))" }

    public static let black = RGB(0, 0, 0)
    public static let white = RGB(255, 255, 255)
    public static let gray = RGB(128, 128, 128)
    public static let lightGray = RGB(222, 222, 222)
    public static let darkGray = RGB(64, 64, 64)
    public static let red = RGB(hex: 0xD0_3A_2F)
    public static let green = RGB(hex: 0x3C_9A_3A)
    public static let blue = RGB(hex: 0x2B_62_C0)
    public static let orange = RGB(hex: 0xF0_8A_1C)
    public static let purple = RGB(hex: 0x86_4F_B8)
    public static let teal = RGB(hex: 0x1F_A0_A0)
    public static let brown = RGB(hex: 0x8E_5A_3A)
    public static let pink = RGB(hex: 0xDB_5C_A8)
    public static let olive = RGB(hex: 0x9A_A0_2A)

    /// Series colours in the order charts hand them out: saturated, mid-lightness hues
    /// that stay apart from each other and from the white background and gray grid.
    public static let palette: [RGB] = [.blue, .orange, .green, .red, .purple, .teal, .brown, .pink, .olive, .darkGray]

    /// Relative luminance in 0...1 (Rec. 709 weights on the gamma-encoded values, which
    /// is plenty to choose black or white text on top of the colour).
    public var luminance: Double {
        (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255
    }

    /// The colour `t` of the way from `a` to `b`, `t` clamped to 0...1, rounded per channel.
    public static func lerp(_ a: RGB, _ b: RGB, _ t: Double) -> RGB {
        let t = t.isNaN ? 0 : min(1, max(0, t))
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 {
            UInt8((Double(x) + (Double(y) - Double(x)) * t).rounded())
        }
        return RGB(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b))
    }

    /// Stops of the sequential white → dark blue map. More than two stops so the middle
    /// passes through a clear mid blue instead of the grayish mix of a straight blend.
    static let blueStops: [RGB] = [RGB(hex: 0xFF_FF_FF), RGB(hex: 0xC6_DA_EE), RGB(hex: 0x5E_9C_D0), RGB(hex: 0x1E_5A_A6), RGB(hex: 0x08_25_5C)]

    /// A sequential colormap for `t` in 0...1: white at 0, dark blue at 1, lightness
    /// falling steadily in between, so more always reads as darker. NaN maps to 0.
    public static func sequentialBlue(_ t: Double) -> RGB { colormap(blueStops, t) }

    /// Piecewise-linear interpolation through evenly spaced `stops` at `t` in 0...1.
    public static func colormap(_ stops: [RGB], _ t: Double) -> RGB {
        precondition(!stops.isEmpty, "a colormap needs at least one stop")
        guard stops.count > 1 else { return stops[0] }
        let t = t.isNaN ? 0 : min(1, max(0, t))
        let pos = t * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(pos))
        return lerp(stops[i], stops[i + 1], pos - Double(i))
    }
}
