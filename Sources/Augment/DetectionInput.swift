import Foundation
import ImageIO

/// One image → a detector's input, the detection counterpart of `ModelInput`: the whole
/// image, its longer side resized to `longerSide` (aspect ratio kept, antialiased like
/// `ModelInput`), normalised with `mean`/`std`, and padded at the right and bottom with
/// zeros (the mean colour) to a multiple of `multiple`, so every stride of the network
/// divides the input. Boxes in the input map back to the image by `scaleX`/`scaleY`.
///
/// ```swift
/// let input = DetectionInput(longerSide: 512)
/// let plan = input.plan(width: 1280, height: 720)   // 512 × 288, scale 2.5
/// ```
public struct DetectionInput: Sendable, Equatable {
    public var longerSide: Int
    public var mean: [Float]
    public var std: [Float]
    public var multiple: Int

    public init(longerSide: Int, mean: [Float] = [], std: [Float] = [], multiple: Int = 16) {
        precondition(longerSide >= multiple && multiple >= 1)
        self.longerSide = longerSide
        self.mean = mean
        self.std = std
        self.multiple = multiple
    }

    /// The layout of one image in the input.
    public struct Plan: Sendable, Equatable {
        /// The resized image's size (top-left of the input).
        public var width: Int
        public var height: Int
        /// The input's size after padding.
        public var paddedWidth: Int
        public var paddedHeight: Int
        /// Image pixels per input pixel, along x and y.
        public var scaleX: Double
        public var scaleY: Double
    }

    public func plan(width: Int, height: Int) -> Plan {
        let s = Double(longerSide) / Double(max(width, height, 1))
        let w = max(1, Int((Double(width) * s).rounded())), h = max(1, Int((Double(height) * s).rounded()))
        func up(_ v: Int) -> Int { (v + multiple - 1) / multiple * multiple }
        return Plan(width: w, height: h, paddedWidth: up(w), paddedHeight: up(h),
                    scaleX: Double(width) / Double(w), scaleY: Double(height) / Double(h))
    }

    /// The `(paddedHeight, paddedWidth, 3)` input of `image` for `plan`, written into `out`.
    public func prepare(_ image: Image, plan p: Plan, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= p.paddedWidth * p.paddedHeight * 3, "output buffer too small")
        let rgb = image.channels == 3 && image.bitDepth == 8 ? image : image.toRGB8()
        if p.width == p.paddedWidth && p.height == p.paddedHeight {
            rgb.resizeFloatHWC(width: p.width, height: p.height, mean: mean, std: std, into: out)
            return
        }
        var resized = [Float](repeating: 0, count: p.width * p.height * 3)
        resized.withUnsafeMutableBufferPointer { rgb.resizeFloatHWC(width: p.width, height: p.height, mean: mean, std: std, into: $0) }
        for i in 0..<(p.paddedWidth * p.paddedHeight * 3) { out[i] = 0 }
        resized.withUnsafeBufferPointer { r in
            for y in 0..<p.height {
                let src = y * p.width * 3, dst = y * p.paddedWidth * 3
                for i in 0..<(p.width * 3) { out[dst + i] = r[src + i] }
            }
        }
    }

    /// Normalises an RGB training crop already at input scale (values in [0, 1], sides
    /// multiples of `multiple`) into `out`, as `prepare` normalises a whole image.
    public func normalise(_ image: FloatImage, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(image.channels == 3 && out.count >= image.data.count, "an RGB crop and room for it")
        let m: [Float] = mean.isEmpty ? [0, 0, 0] : mean, s: [Float] = std.isEmpty ? [1, 1, 1] : std
        image.data.withUnsafeBufferPointer { src in
            for p in 0..<(image.width * image.height) {
                for c in 0..<3 { out[p * 3 + c] = (src[p * 3 + c] - m[c]) / s[c] }
            }
        }
    }

    /// `prepare` into a fresh array, with the plan.
    public func prepared(_ image: Image) -> (data: [Float], plan: Plan) {
        let p = plan(width: image.width, height: image.height)
        var data = [Float](repeating: 0, count: p.paddedWidth * p.paddedHeight * 3)
        data.withUnsafeMutableBufferPointer { prepare(image, plan: p, into: $0) }
        return (data, p)
    }
}
