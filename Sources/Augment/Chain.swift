import ImageIO
import TensorCore

/// A sequence of augmentation steps with reproducible randomness: the generator for a
/// sample is derived from (seed, sample index, epoch) alone, so the same seed gives the same
/// augmented sample whatever thread or order it is processed in.
public struct AugmentChain: Sendable, Equatable, Codable {
    public var ops: [Op]

    public init(_ ops: [Op]) { self.ops = ops }

    /// The generator for one sample in one epoch.
    public static func generator(seed: UInt64, sample: Int, epoch: Int) -> SeededRNG {
        // SplitMix-style mixing of the three keys into one seed.
        var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(truncatingIfNeeded: sample &+ 1)
        z ^= UInt64(truncatingIfNeeded: epoch) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 31)) &* 0x94D0_49BB_1331_11EB
        return SeededRNG(seed: z ^ (z >> 29))
    }

    public func apply(_ image: FloatImage, rng: inout SeededRNG) -> FloatImage {
        ops.reduce(image) { $1.apply($0, rng: &rng) }
    }

    public func apply(_ image: Image, seed: UInt64, sample: Int, epoch: Int) -> FloatImage {
        var rng = Self.generator(seed: seed, sample: sample, epoch: epoch)
        return apply(image, rng: &rng)
    }

    /// Applies the chain to a decoded image. A leading crop/resize step runs on the 8- or
    /// 16-bit image itself, so a large photo is cut down before it is ever converted to float.
    public func apply(_ image: Image, rng: inout SeededRNG) -> FloatImage {
        guard let first = ops.first, let (rect, w, h) = first.cropPlan(width: image.width, height: image.height, rng: &rng) else {
            return apply(FloatImage(image), rng: &rng)
        }
        let cropped = rect.map { image.cropped(x: $0.x, y: $0.y, width: $0.w, height: $0.h) } ?? image
        let small = cropped.width == w && cropped.height == h ? cropped : cropped.resized(width: w, height: h)
        return AugmentChain(Array(ops.dropFirst())).apply(FloatImage(small), rng: &rng)
    }

    /// Applies the chain to an encoded file. When the chain starts with a crop and the file is
    /// a JPEG, the crop is drawn from the header's size first and the file is decoded at the
    /// smallest DCT scale (1/8 – 1/2) whose pixels still cover the crop's output size, so a
    /// small crop of a large photo never pays for a full-size decode. Same draws as
    /// `apply(_:rng:)` on the decoded image.
    public func apply(encoded bytes: [UInt8], rng: inout SeededRNG) throws -> FloatImage {
        guard let first = ops.first, let size = try ImageCodec.jpegSize(bytes) else {
            return apply(try ImageCodec.decode(bytes).image, rng: &rng)
        }
        guard let (rect, w, h) = first.cropPlan(width: size.width, height: size.height, rng: &rng) else {
            return apply(try ImageCodec.decode(bytes).image, rng: &rng)
        }
        let r = rect ?? (x: 0, y: 0, w: size.width, h: size.height)
        var d = 1
        for cand in [8, 4, 2] where r.w / cand >= w && r.h / cand >= h { d = cand; break }
        var options = DecodeOptions()
        options.targetSize = ((size.width + d - 1) / d, (size.height + d - 1) / d)
        let image = try ImageCodec.decode(bytes, options: options).image
        // The crop in the scaled image's pixels.
        let sx = Double(image.width) / Double(size.width), sy = Double(image.height) / Double(size.height)
        let x = min(Int(Double(r.x) * sx), image.width - 1), y = min(Int(Double(r.y) * sy), image.height - 1)
        let cw = max(1, min(Int((Double(r.w) * sx).rounded()), image.width - x))
        let ch = max(1, min(Int((Double(r.h) * sy).rounded()), image.height - y))
        let cropped = image.cropped(x: x, y: y, width: cw, height: ch)
        let small = cropped.width == w && cropped.height == h ? cropped : cropped.resized(width: w, height: h)
        return AugmentChain(Array(ops.dropFirst())).apply(FloatImage(small), rng: &rng)
    }

    /// Named presets.
    public static func preset(_ name: String) -> AugmentChain? {
        switch name {
        case "driving": return driving
        case "inspection": return inspection
        case "none": return AugmentChain([])
        default: return nil
        }
    }

    public static let presetNames = ["driving", "inspection", "none"]

    /// Road scenes: weather, light and motion, mild geometry. No flips: a mirrored sign can
    /// change its meaning (keep left / keep right).
    public static let driving = AugmentChain([
        .affine(maxDegrees: 5, scale: 0.9...1.1, maxTranslate: 0.05, maxShear: 3, fill: .edge, p: 0.5),
        .colorJitter(brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.02),
        .rain(drops: 120, p: 0.2),
        .fog(density: 0.2...0.6, p: 0.2),
        .lowLight(p: 0.15),
        .glare(p: 0.1),
        .shadow(p: 0.2),
        .motionBlur(maxLength: 9, p: 0.2),
        .gaussianNoise(std: 0.005...0.03, p: 0.3),
        .jpeg(quality: 40...90, p: 0.2),
    ])

    /// Parts and surfaces: any orientation, uneven lighting, sensor noise, focus.
    public static let inspection = AugmentChain([
        .rotate90(p: 0.75),
        .horizontalFlip(p: 0.5),
        .verticalFlip(p: 0.5),
        .illuminationGradient(strength: 0.3, p: 0.5),
        .brightness(factor: 0.8...1.2),
        .contrast(factor: 0.8...1.2),
        .sensorNoise(p: 0.5),
        .defocusBlur(maxRadius: 2, p: 0.2),
    ])
}
