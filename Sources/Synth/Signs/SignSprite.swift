import Foundation
import ImageIO

/// A sign face rendered at a pixel size: `size × size` premultiplied RGBA floats in [0, 1],
/// anti-aliased by supersampling. Outside the sign's outline alpha is 0.
public struct SignSprite: Sendable, Equatable {
    public let size: Int
    /// Premultiplied RGBA, row-major, 4 floats a pixel.
    public var rgba: [Float]

    /// The sign `cls` drawn `size` pixels across (clamped to 4…2048).
    public init(_ cls: SignClass, size: Int) {
        let s = min(max(size, 4), 2048)
        self.size = s
        self.rgba = SignPainter.render(SignPainter.layers(for: cls, size: s), size: s)
    }

    init(layers: [SignLayer], size: Int) {
        let s = min(max(size, 4), 2048)
        self.size = s
        self.rgba = SignPainter.render(layers, size: s)
    }

    /// The sprite as an 8-bit RGBA `Image` (straight, not premultiplied, alpha).
    public var image: Image {
        var out = [UInt8](repeating: 0, count: size * size * 4)
        for i in 0..<(size * size) {
            let a = rgba[i * 4 + 3]
            out[i * 4 + 3] = UInt8(min(max(a * 255 + 0.5, 0), 255))
            guard a > 1e-4 else { continue }
            for c in 0..<3 { out[i * 4 + c] = UInt8(min(max(rgba[i * 4 + c] / a * 255 + 0.5, 0), 255)) }
        }
        return Image(width: size, height: size, channels: 4, pixels8: out)
    }
}

/// Sign colours (sRGB, 0…1), close to the RAL shades the conventions call for.
enum SignPalette {
    static let red: (Float, Float, Float) = (0.80, 0.07, 0.10)
    static let white: (Float, Float, Float) = (0.96, 0.96, 0.95)
    static let blue: (Float, Float, Float) = (0.02, 0.32, 0.66)
    static let yellow: (Float, Float, Float) = (0.99, 0.78, 0.02)
    static let black: (Float, Float, Float) = (0.05, 0.05, 0.06)
    static let grey: (Float, Float, Float) = (0.55, 0.56, 0.58)
}

/// An outline in sign coordinates: u, v in [-1, 1], v pointing down, centre (0, 0).
enum SignShape {
    case disc(cx: Float, cy: Float, r: Float)
    /// A convex polygon, either winding.
    case polygon([(Float, Float)])
    case roundedRect(halfW: Float, halfH: Float, radius: Float)
    case rect(x0: Float, y0: Float, x1: Float, y1: Float)
    case capsule(ax: Float, ay: Float, bx: Float, by: Float, r: Float)

    /// A regular n-gon of circumradius `r` with one vertex at angle `start` (radians, v down).
    static func regular(_ n: Int, r: Float, cx: Float = 0, cy: Float = 0, start: Float) -> SignShape {
        .polygon((0..<n).map { k in
            let a = start + Float(k) * 2 * .pi / Float(n)
            return (cx + r * cosf(a), cy + r * sinf(a))
        })
    }

    @inline(__always) func contains(_ u: Float, _ v: Float) -> Bool {
        switch self {
        case let .disc(cx, cy, r):
            let dx = u - cx, dy = v - cy
            return dx * dx + dy * dy <= r * r
        case let .polygon(p):
            var pos = false, neg = false
            for i in 0..<p.count {
                let a = p[i], b = p[(i + 1) % p.count]
                let c = (b.0 - a.0) * (v - a.1) - (b.1 - a.1) * (u - a.0)
                if c > 0 { pos = true } else if c < 0 { neg = true }
                if pos && neg { return false }
            }
            return true
        case let .roundedRect(hw, hh, r):
            let qx = abs(u) - (hw - r), qy = abs(v) - (hh - r)
            if qx <= 0 || qy <= 0 { return abs(u) <= hw && abs(v) <= hh }
            return qx * qx + qy * qy <= r * r
        case let .rect(x0, y0, x1, y1):
            return u >= x0 && u <= x1 && v >= y0 && v <= y1
        case let .capsule(ax, ay, bx, by, r):
            let dx = bx - ax, dy = by - ay
            let len2 = dx * dx + dy * dy
            var t = len2 > 0 ? ((u - ax) * dx + (v - ay) * dy) / len2 : 0
            t = min(max(t, 0), 1)
            let ex = u - (ax + t * dx), ey = v - (ay + t * dy)
            return ex * ex + ey * ey <= r * r
        }
    }
}

/// One painted layer: a filled outline, or lettering fitted into a box.
enum SignLayer {
    case fill(SignShape, (Float, Float, Float))
    /// `text` centred at (cx, cy), ink `height` tall, squeezed to at most `maxWidth`.
    case text(String, cx: Float, cy: Float, height: Float, maxWidth: Float, (Float, Float, Float))
}

enum SignPainter {
    static func layers(for cls: SignClass, size: Int) -> [SignLayer] {
        let P = SignPalette.self
        let octStart: Float = .pi / 8
        func speed(_ t: String) -> [SignLayer] {
            [.fill(.disc(cx: 0, cy: 0, r: 1), P.white),
             .fill(.disc(cx: 0, cy: 0, r: 0.97), P.red),
             .fill(.disc(cx: 0, cy: 0, r: 0.76), P.white),
             .text(t, cx: 0, cy: 0, height: 0.78, maxWidth: 1.2, P.black)]
        }
        switch cls {
        case .stop:
            return [.fill(.regular(8, r: 1.04, start: octStart), P.white),
                    .fill(.regular(8, r: 0.93, start: octStart), P.red),
                    .text("STOP", cx: 0, cy: 0, height: 0.5, maxWidth: 1.46, P.white)]
        case .yield:
            // An inverted equilateral triangle, centred in the square.
            let R: Float = 1.15, cy: Float = -0.29
            return [.fill(.regular(3, r: R, cy: cy, start: .pi / 2), P.white),
                    .fill(.regular(3, r: R * 0.93, cy: cy, start: .pi / 2), P.red),
                    .fill(.regular(3, r: R * 0.56, cy: cy, start: .pi / 2), P.white)]
        case .noEntry:
            return [.fill(.disc(cx: 0, cy: 0, r: 1), P.white),
                    .fill(.disc(cx: 0, cy: 0, r: 0.96), P.red),
                    .fill(.rect(x0: -0.66, y0: -0.17, x1: 0.66, y1: 0.17), P.white)]
        case .speed30: return speed("30")
        case .speed50: return speed("50")
        case .speed70: return speed("70")
        case .priorityRoad:
            func diamond(_ r: Float) -> SignShape {
                let z: Float = 0
                return .polygon([(z, -r), (r, z), (z, r), (-r, z)])
            }
            return [.fill(diamond(1.0), P.black),
                    .fill(diamond(0.96), P.white),
                    .fill(diamond(0.72), P.black),
                    .fill(diamond(0.69), P.yellow)]
        case .pedestrianCrossing:
            let b = P.black
            var l: [SignLayer] = [
                .fill(.roundedRect(halfW: 1, halfH: 1, radius: 0.14), P.white),
                .fill(.roundedRect(halfW: 0.94, halfH: 0.94, radius: 0.1), P.blue),
                .fill(.regular(3, r: 0.80, cy: 0.14, start: -.pi / 2), P.white),
                // The walking figure.
                .fill(.disc(cx: 0.03, cy: -0.26, r: 0.075), b),
                .fill(.capsule(ax: 0.02, ay: -0.15, bx: -0.03, by: 0.10, r: 0.055), b),
                .fill(.capsule(ax: -0.03, ay: 0.10, bx: -0.17, by: 0.33, r: 0.045), b),
                .fill(.capsule(ax: -0.03, ay: 0.10, bx: 0.07, by: 0.22, r: 0.045), b),
                .fill(.capsule(ax: 0.07, ay: 0.22, bx: 0.14, by: 0.34, r: 0.042), b),
                .fill(.capsule(ax: 0.01, ay: -0.10, bx: -0.14, by: 0.04, r: 0.035), b),
                .fill(.capsule(ax: 0.01, ay: -0.10, bx: 0.15, by: 0.0, r: 0.035), b),
            ]
            // Zebra stripes under the feet.
            for k in 0..<5 {
                let x0 = -0.44 + Float(k) * 0.18
                l.append(.fill(.rect(x0: x0, y0: 0.40, x1: x0 + 0.1, y1: 0.47), b))
            }
            return l
        case .noParking:
            let d: Float = 0.78 * 0.7071
            return [.fill(.disc(cx: 0, cy: 0, r: 1), P.red),
                    .fill(.disc(cx: 0, cy: 0, r: 0.78), P.blue),
                    .fill(.capsule(ax: -d, ay: -d, bx: d, by: d, r: 0.11), P.red)]
        }
    }

    /// Rasterises `layers` into premultiplied RGBA with n × n supersampling.
    static func render(_ layers: [SignLayer], size s: Int) -> [Float] {
        let n = s < 48 ? 4 : 3
        // Lettering: render each string once at the sprite's resolution and map its ink box.
        struct Text { var bmp: SignGlyphBitmap; var ink: (x0: Int, y0: Int, x1: Int, y1: Int)
                      var u0: Float; var v0: Float; var u1: Float; var v1: Float; var col: (Float, Float, Float) }
        var texts: [Int: Text] = [:]
        for (i, layer) in layers.enumerated() {
            guard case let .text(str, cx, cy, h, maxW, col) = layer else { continue }
            let inkPx = max(4, h * 0.5 * Float(s))
            // Cap height is about 0.73 of the pixel size for DejaVu Sans Bold; render a little larger.
            let px = Int((inkPx / 0.70).rounded(.up)) + 1
            guard let bmp = SignFont.render(str, pixelHeight: px), let ink = bmp.ink else { continue }
            let aspect = Float(ink.x1 - ink.x0) / Float(ink.y1 - ink.y0)
            var hh = h, ww = h * aspect
            if ww > maxW { ww = maxW; hh = h }  // squeeze horizontally, keep the height
            texts[i] = Text(bmp: bmp, ink: ink, u0: cx - ww / 2, v0: cy - hh / 2, u1: cx + ww / 2, v1: cy + hh / 2, col: col)
        }
        var out = [Float](repeating: 0, count: s * s * 4)
        let scale = 2 / Float(s)
        for py in 0..<s {
            for px in 0..<s {
                var acc: (Float, Float, Float, Float) = (0, 0, 0, 0)
                for sy in 0..<n {
                    let v = (Float(py) + (Float(sy) + 0.5) / Float(n)) * scale - 1
                    for sx in 0..<n {
                        let u = (Float(px) + (Float(sx) + 0.5) / Float(n)) * scale - 1
                        var r: Float = 0, g: Float = 0, b: Float = 0, a: Float = 0
                        for (i, layer) in layers.enumerated() {
                            var cov: Float = 0
                            var col: (Float, Float, Float) = (0, 0, 0)
                            switch layer {
                            case let .fill(shape, c):
                                if shape.contains(u, v) { cov = 1; col = c }
                            case .text:
                                guard let t = texts[i], u >= t.u0, u <= t.u1, v >= t.v0, v <= t.v1 else { break }
                                let bx = Float(t.ink.x0) + (u - t.u0) / (t.u1 - t.u0) * Float(t.ink.x1 - t.ink.x0) - 0.5
                                let by = Float(t.ink.y0) + (v - t.v0) / (t.v1 - t.v0) * Float(t.ink.y1 - t.ink.y0) - 0.5
                                cov = bilinear(t.bmp, bx, by)
                                col = t.col
                            }
                            if cov > 0 {
                                r = r * (1 - cov) + col.0 * cov
                                g = g * (1 - cov) + col.1 * cov
                                b = b * (1 - cov) + col.2 * cov
                                a = a * (1 - cov) + cov
                            }
                        }
                        acc.0 += r; acc.1 += g; acc.2 += b; acc.3 += a
                    }
                }
                let k = 1 / Float(n * n)
                let o = (py * s + px) * 4
                out[o] = acc.0 * k; out[o + 1] = acc.1 * k; out[o + 2] = acc.2 * k; out[o + 3] = acc.3 * k
            }
        }
        return out
    }

    @inline(__always) static func bilinear(_ b: SignGlyphBitmap, _ x: Float, _ y: Float) -> Float {
        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        let fx = x - Float(x0), fy = y - Float(y0)
        @inline(__always) func at(_ xx: Int, _ yy: Int) -> Float {
            guard xx >= 0, yy >= 0, xx < b.width, yy < b.height else { return 0 }
            return Float(b.coverage[yy * b.width + xx]) / 255
        }
        let top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx
        let bot = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
        return top * (1 - fy) + bot * fy
    }
}
