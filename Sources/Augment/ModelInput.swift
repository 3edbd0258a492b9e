import ImageIO

/// The one definition of "file → network input", used by training's evaluation chain, `eval`,
/// `classify`, `features`, `preprocess` and every pipeline.
///
/// For the shorter-side policy it is torchvision's `Resize(resizeTo)` + `CenterCrop(size)` on a
/// PIL image, computed in floats: the shorter side becomes `resizeTo` and the longer
/// `int(resizeTo · long / short)`; the resample is PIL's antialiased bilinear (a triangle filter
/// widened by the scale when shrinking); the crop starts at `round((resized − size) / 2)` with
/// halves to even, as Python's `round`; a resized image smaller than the crop is padded with
/// zeros (black) as `CenterCrop` pads. Then `(v / max − mean) / std` per channel, written as one
/// `(size, size, C)` slice of an NHWC batch. "stretch" resizes straight to `size × size`.
///
/// JPEGs decode at the smallest DCT scale whose shorter side still covers twice the resize
/// target, so the antialiasing filter, not the DCT, decides the pixels that reach the network.
///
/// ```swift
/// let input = ModelInput(size: 224, resizeTo: 256, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
/// var x = [Float](repeating: 0, count: input.sliceCount)
/// try x.withUnsafeMutableBufferPointer { try input.prepare(bytes, into: $0) }
/// ```
public struct ModelInput: Sendable, Equatable {
    public enum Resize: Sendable, Equatable {
        /// Shorter side to this many pixels, then a centre crop of `size`.
        case shorterSide(Int)
        /// Straight to `size × size`, ignoring the aspect ratio.
        case stretch
    }

    /// The square side fed to the network.
    public var size: Int
    public var resize: Resize
    public var gray: Bool
    /// Per-channel mean and std of values in [0, 1] (empty: none).
    public var mean: [Float]
    public var std: [Float]

    public init(size: Int, resize: Resize, gray: Bool = false, mean: [Float] = [], std: [Float] = []) {
        precondition(size > 0, "input size must be positive")
        self.size = size
        self.resize = resize
        self.gray = gray
        self.mean = mean
        self.std = std
    }

    public init(size: Int, resizeTo: Int, gray: Bool = false, mean: [Float] = [], std: [Float] = []) {
        self.init(size: size, resize: .shorterSide(resizeTo), gray: gray, mean: mean, std: std)
    }

    public var channels: Int { gray ? 1 : 3 }
    /// Floats in one prepared image.
    public var sliceCount: Int { size * size * channels }

    /// How files are decoded for this input: JPEGs at a reduced DCT scale that keeps at least
    /// twice the pixels the resize needs along the shorter side.
    public var decodeOptions: DecodeOptions {
        var o = DecodeOptions()
        switch resize {
        case .shorterSide(let r): o.minimumShorterSide = 2 * r
        case .stretch: o.targetSize = (2 * size, 2 * size)
        }
        return o
    }

    /// Decodes `bytes` and prepares them into `out` (`sliceCount` floats).
    public func prepare(_ bytes: [UInt8], into out: UnsafeMutableBufferPointer<Float>) throws {
        prepare(try ImageCodec.decode(bytes, options: decodeOptions).image, into: out)
    }

    /// The prepared input of `bytes` as a new array.
    public func prepared(_ bytes: [UInt8]) throws -> [Float] {
        var x = [Float](repeating: 0, count: sliceCount)
        try x.withUnsafeMutableBufferPointer { try prepare(bytes, into: $0) }
        return x
    }

    /// torchvision's `Resize(resizeTo)` output size and `CenterCrop(crop)` window origin for a
    /// `width × height` image. The origin is negative where the crop is larger than the image
    /// (the part outside is padding).
    public static func shorterSidePlan(width: Int, height: Int, resizeTo: Int, crop: Int)
        -> (width: Int, height: Int, left: Int, top: Int) {
        let (rw, rh): (Int, Int)
        if width <= height {
            rw = resizeTo
            rh = max(1, Int(Double(resizeTo) * Double(height) / Double(width)))
        } else {
            rh = resizeTo
            rw = max(1, Int(Double(resizeTo) * Double(width) / Double(height)))
        }
        func origin(_ n: Int) -> Int { Int((Double(n - crop) / 2).rounded(.toNearestOrEven)) }
        return (rw, rh, origin(rw), origin(rh))
    }

    /// Prepares a decoded image into `out` (`sliceCount` floats).
    public func prepare(_ source: Image, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= sliceCount, "output buffer too small")
        let image = gray ? (source.channels == 1 && source.bitDepth == 8 ? source : source.toGray8())
            : (source.channels == 3 ? source : source.toRGB8())
        switch resize {
        case .stretch:
            image.resizeFloatHWC(width: size, height: size, mean: mean, std: std, into: out)
        case .shorterSide(let r):
            let plan = Self.shorterSidePlan(width: image.width, height: image.height, resizeTo: r, crop: size)
            if plan.left >= 0 && plan.top >= 0 {
                image.resizeCropFloatHWC(resizedWidth: plan.width, resizedHeight: plan.height, left: plan.left, top: plan.top,
                                         width: size, height: size, mean: mean, std: std, into: out)
                return
            }
            // The crop is larger than the resized image: black padding around it, as CenterCrop pads.
            let ch = channels
            var full = [Float](repeating: 0, count: plan.width * plan.height * ch)
            full.withUnsafeMutableBufferPointer {
                image.resizeFloatHWC(width: plan.width, height: plan.height, mean: mean, std: std, into: $0)
            }
            for c in 0..<ch {
                let pad = -(mean.isEmpty ? 0 : mean[c]) / (std.isEmpty ? 1 : std[c])
                for p in 0..<(size * size) { out[p * ch + c] = pad }
            }
            for y in 0..<size {
                let sy = y + plan.top
                guard sy >= 0 && sy < plan.height else { continue }
                for x in 0..<size {
                    let sx = x + plan.left
                    guard sx >= 0 && sx < plan.width else { continue }
                    for c in 0..<ch { out[(y * size + x) * ch + c] = full[(sy * plan.width + sx) * ch + c] }
                }
            }
        }
    }
}
