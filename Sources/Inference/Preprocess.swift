import Augment
import Checkpoint
import ImageIO

/// A model card's preprocessing as the one "file → network input" (`ModelInput`): decode
/// (JPEGs at a reduced DCT scale), colour mode, torchvision-style resize and centre crop,
/// normalisation — written as one `(H, W, C)` slice of an NHWC batch.
public struct Preprocessor: Sendable {
    public let spec: Preprocessing
    public let input: ModelInput

    public init(_ spec: Preprocessing) {
        self.spec = spec
        self.input = ModelInput(spec)
    }

    public var decodeOptions: DecodeOptions { input.decodeOptions }
    public var channels: Int { input.channels }
    public var sliceCount: Int { input.sliceCount }

    /// Decodes and prepares `bytes` into `out` (`sliceCount` floats).
    public func prepare(_ bytes: [UInt8], into out: UnsafeMutableBufferPointer<Float>) throws {
        try input.prepare(bytes, into: out)
    }

    public func prepare(_ source: Image, into out: UnsafeMutableBufferPointer<Float>) {
        input.prepare(source, into: out)
    }
}

extension ModelInput {
    /// The input a model card describes.
    public init(_ spec: Preprocessing) {
        self.init(size: spec.inputSize, resize: spec.resize == "shorter_side" ? .shorterSide(spec.resizeTo) : .stretch,
                  gray: spec.colorMode == "gray", mean: spec.mean, std: spec.std)
    }
}
