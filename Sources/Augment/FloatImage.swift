import ImageIO

/// An image as Float samples in [0, 1], interleaved `(H, W, C)`: what augmentations work on.
public struct FloatImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var data: [Float]

    public init(width: Int, height: Int, channels: Int, data: [Float]) {
        precondition(data.count == width * height * channels, "sample count does not match shape")
        self.width = width
        self.height = height
        self.channels = channels
        self.data = data
    }

    public init(width: Int, height: Int, channels: Int, fill: Float = 0) {
        self.init(width: width, height: height, channels: channels, data: [Float](repeating: fill, count: width * height * channels))
    }

    /// From an 8- or 16-bit image (alpha dropped: augmentations see colour or gray only).
    public init(_ image: Image) {
        let src = image.channels == 2 ? image.toGray8() : (image.channels == 4 ? image.toRGB8() : image)
        self.init(width: src.width, height: src.height, channels: src.channels, data: src.toFloat())
    }

    /// 8-bit image, values clamped to [0, 1] and rounded.
    public func toImage() -> Image {
        Image(width: width, height: height, channels: channels, pixels8: data.map { UInt8((min(max($0, 0), 1) * 255).rounded()) })
    }

    @inline(__always)
    public subscript(x: Int, y: Int, c: Int) -> Float {
        get { data[(y * width + x) * channels + c] }
        set { data[(y * width + x) * channels + c] = newValue }
    }

    /// Bilinear sample of every channel at once; the inside case (the common one) skips the
    /// fill logic.
    @inline(__always)
    func sampleAll(_ fx: Float, _ fy: Float, fill: Fill, into out: inout [Float], at o: Int) {
        let x0 = Int(fx.rounded(.down)), y0 = Int(fy.rounded(.down))
        if x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height {
            let ax = fx - Float(x0), ay = fy - Float(y0)
            let w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay
            let p00 = (y0 * width + x0) * channels, p01 = p00 + width * channels
            for c in 0..<channels {
                out[o + c] = w00 * data[p00 + c] + w10 * data[p00 + channels + c] + w01 * data[p01 + c] + w11 * data[p01 + channels + c]
            }
        } else {
            for c in 0..<channels { out[o + c] = sample(fx, fy, c, fill: fill) }
        }
    }

    /// Bilinear sample at real coordinates (pixel centres at integers); outside the image the
    /// fill mode decides.
    @inline(__always)
    func sample(_ fx: Float, _ fy: Float, _ c: Int, fill: Fill) -> Float {
        let x0 = Int(fx.rounded(.down)), y0 = Int(fy.rounded(.down))
        let ax = fx - Float(x0), ay = fy - Float(y0)
        func at(_ x: Int, _ y: Int) -> Float {
            if x >= 0 && x < width && y >= 0 && y < height { return data[(y * width + x) * channels + c] }
            switch fill {
            case .constant(let v): return v
            case .edge: return data[(min(max(y, 0), height - 1) * width + min(max(x, 0), width - 1)) * channels + c]
            case .reflect:
                func r(_ i: Int, _ n: Int) -> Int {
                    if n == 1 { return 0 }
                    let period = 2 * (n - 1)
                    var m = i % period
                    if m < 0 { m += period }
                    return m < n ? m : period - m
                }
                return data[(r(y, height) * width + r(x, width)) * channels + c]
            }
        }
        let top = at(x0, y0) * (1 - ax) + at(x0 + 1, y0) * ax
        let bottom = at(x0, y0 + 1) * (1 - ax) + at(x0 + 1, y0 + 1) * ax
        return top * (1 - ay) + bottom * ay
    }
}

/// What geometric transforms show where the source has no pixels. In YAML: `edge`,
/// `reflect`, or a number (a constant gray in [0, 1]).
public enum Fill: Sendable, Equatable, Codable {
    case constant(Float)
    case edge
    case reflect

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Float.self) { self = .constant(v); return }
        switch try c.decode(String.self) {
        case "edge": self = .edge
        case "reflect": self = .reflect
        case let other:
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "fill must be edge, reflect or a number, not \(other)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .constant(let v): try c.encode(v)
        case .edge: try c.encode("edge")
        case .reflect: try c.encode("reflect")
        }
    }
}
