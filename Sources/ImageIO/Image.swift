/// A decoded raster: `height` rows of `width` pixels, each pixel `channels`
/// interleaved samples of 8 or 16 bits. Rows are packed with no padding, so the
/// sample of channel `c` at `(x, y)` sits at index `(y * width + x) * channels + c`.
///
/// Channel meaning follows the count: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
///
/// ```swift
/// let img = Image(width: 2, height: 1, channels: 3, pixels8: [255, 0, 0, 0, 0, 255])
/// img.toGray8().pixels8   // [76, 29]
/// ```
public struct Image: Sendable, Equatable {
    /// Sample storage: one array for 8-bit images, one for 16-bit images.
    public enum Samples: Sendable, Equatable {
        case uint8([UInt8])
        case uint16([UInt16])
    }

    public let width: Int
    public let height: Int
    public let channels: Int
    public var samples: Samples

    /// 8 or 16.
    public var bitDepth: Int {
        if case .uint16 = samples { return 16 }
        return 8
    }

    /// The largest sample value (255 or 65535).
    public var maxValue: Int { bitDepth == 16 ? 65535 : 255 }

    public var pixelCount: Int { width * height }

    public init(width: Int, height: Int, channels: Int, pixels8: [UInt8]) {
        precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "bad image shape")
        precondition(pixels8.count == width * height * channels, "sample count does not match shape")
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = .uint8(pixels8)
    }

    public init(width: Int, height: Int, channels: Int, pixels16: [UInt16]) {
        precondition(width >= 0 && height >= 0 && (1...4).contains(channels), "bad image shape")
        precondition(pixels16.count == width * height * channels, "sample count does not match shape")
        self.width = width
        self.height = height
        self.channels = channels
        self.samples = .uint16(pixels16)
    }

    /// The 8-bit samples; 16-bit images are scaled with rounding (v × 255 / 65535).
    public var pixels8: [UInt8] {
        switch samples {
        case .uint8(let p): return p
        case .uint16(let p): return p.map { UInt8((UInt32($0) * 255 + 32767) / 65535) }
        }
    }

    /// The 16-bit samples; 8-bit images are widened exactly (v × 257).
    public var pixels16: [UInt16] {
        switch samples {
        case .uint8(let p): return p.map { UInt16($0) * 257 }
        case .uint16(let p): return p
        }
    }

    /// The sample of channel `c` at `(x, y)`, widened to Int.
    public func sample(x: Int, y: Int, channel c: Int) -> Int {
        precondition(x >= 0 && x < width && y >= 0 && y < height && c >= 0 && c < channels)
        let i = (y * width + x) * channels + c
        switch samples {
        case .uint8(let p): return Int(p[i])
        case .uint16(let p): return Int(p[i])
        }
    }

    public var colorSpaceName: String {
        switch channels {
        case 1: return "gray"
        case 2: return "gray+alpha"
        case 3: return "rgb"
        default: return "rgba"
        }
    }
}
