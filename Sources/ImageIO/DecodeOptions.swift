/// How to decode. The defaults suit a person looking at the picture; batch
/// classification sets `targetSize` so JPEGs decode at a reduced DCT scale.
public struct DecodeOptions: Sendable, Equatable {
    /// Refuse images with more pixels than this before allocating (0 = no limit).
    /// The default, 268 megapixels, is 16384 × 16384.
    public var maxPixels: UInt64 = 16384 * 16384
    /// Scale 16-bit PNGs down to 8 bits. Off by default: 16-bit stays 16-bit.
    public var force8Bit = false
    /// Apply the EXIF orientation of a JPEG so the image is upright (default on).
    public var applyOrientation = true
    /// Accept a JPEG whose data ends early, returning the decoded part with a warning.
    public var lenient = false
    /// Decode JPEGs at the smallest DCT scale (1/8, 1/4, 1/2 or 1) whose output is
    /// still at least this large in both dimensions (after orientation). Nil: full size.
    public var targetSize: (width: Int, height: Int)? = nil
    /// Alternatively: the smallest DCT scale whose shorter side is still at least this
    /// (for shorter-side resize policies). Ignored when `targetSize` is set.
    public var minimumShorterSide: Int? = nil
    /// Use libjpeg's fast integer IDCT and plain upsampling (slightly less accurate).
    public var fastDCT = false

    public init() {}

    public static func == (a: DecodeOptions, b: DecodeOptions) -> Bool {
        a.maxPixels == b.maxPixels && a.force8Bit == b.force8Bit
            && a.applyOrientation == b.applyOrientation && a.lenient == b.lenient
            && a.targetSize?.width == b.targetSize?.width && a.targetSize?.height == b.targetSize?.height
            && a.fastDCT == b.fastDCT && a.minimumShorterSide == b.minimumShorterSide
    }
}

/// What the file said about itself, beside the pixels.
public struct ImageInfo: Sendable, Equatable {
    public var format: ImageFormat
    /// Size as stored in the file (before DCT scaling and orientation).
    public var width: Int
    public var height: Int
    /// Channels as stored: 1–4 (a palette counts as 3, or 4 with tRNS).
    public var channels: Int
    /// Bits per sample as stored (PNG: 1, 2, 4, 8, 16; JPEG: 8).
    public var bitDepth: Int
    /// As stored: gray, gray+alpha, rgb, rgba, palette, ycbcr, cmyk, ycck.
    public var colorSpace: String
    /// EXIF orientation 1–8 when present.
    public var orientation: Int?
    /// Adam7 (PNG) or progressive (JPEG).
    public var interlaced: Bool
}

/// A decoded image with its file facts and any warnings the codec raised.
public struct DecodedImage: Sendable {
    public var image: Image
    public var info: ImageInfo
    public var warnings: [String]
}
