import Checkpoint
import ImageIO

/// Turns a file into a network input as a model card's preprocessing says:
/// decode (JPEGs at the smallest DCT scale that still covers the resize target), colour
/// mode, resize policy, centre crop, normalisation — written as one `(H, W, C)` slice of
/// an NHWC batch.
public struct Preprocessor: Sendable {
    public let spec: Preprocessing
    public var decodeOptions = DecodeOptions()

    public init(_ spec: Preprocessing) {
        self.spec = spec
        switch spec.resize {
        case "shorter_side": decodeOptions.minimumShorterSide = spec.resizeTo
        default: decodeOptions.targetSize = (spec.inputSize, spec.inputSize)
        }
    }

    public var channels: Int { spec.colorMode == "gray" ? 1 : 3 }
    public var sliceCount: Int { spec.inputSize * spec.inputSize * channels }

    /// Decodes and prepares `bytes` into `out` (`sliceCount` floats).
    public func prepare(_ bytes: [UInt8], into out: UnsafeMutableBufferPointer<Float>) throws {
        let decoded = try ImageCodec.decode(bytes, options: decodeOptions)
        prepare(decoded.image, into: out)
    }

    public func prepare(_ source: Image, into out: UnsafeMutableBufferPointer<Float>) {
        var image = spec.colorMode == "gray" ? source.toGray8() : (source.channels == 3 ? source : source.toRGB8())
        let side = spec.inputSize
        if spec.resize == "shorter_side" {
            // Resize the shorter side to resizeTo, then centre-crop inputSize: done as a crop of
            // the matching source rectangle followed by one resize to inputSize × inputSize.
            let shorter = min(image.width, image.height)
            let cropSide = max(1, min(shorter, Int((Double(shorter) * Double(side) / Double(spec.resizeTo)).rounded())))
            let x = (image.width - cropSide) / 2, y = (image.height - cropSide) / 2
            image = image.cropped(x: x, y: y, width: cropSide, height: cropSide)
        }
        image.resizeFloatHWC(width: side, height: side, mean: spec.mean, std: spec.std, into: out)
    }
}
