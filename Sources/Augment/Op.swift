import Foundation
import ImageIO
import TensorCore

/// One augmentation step. Each draws its random parameters from the generator it is given,
/// so a chain's output is fixed by that generator's seed.
public enum Op: Sendable, Equatable, Codable {
    // geometry
    case resize(width: Int, height: Int)
    case shorterSideCenterCrop(resize: Int, crop: Int)
    /// Crop a random area fraction in `scale` with aspect ratio in `ratio`, resized to size × size.
    case randomResizedCrop(size: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double>)
    case padRandomCrop(size: Int, padding: Int)
    case horizontalFlip(p: Double)
    case verticalFlip(p: Double)
    case rotate(maxDegrees: Double, fill: Fill, p: Double)
    case rotate90(p: Double)
    case affine(maxDegrees: Double, scale: ClosedRange<Double>, maxTranslate: Double, maxShear: Double, fill: Fill, p: Double)
    case perspective(distortion: Double, fill: Fill, p: Double)
    // photometric
    case brightness(factor: ClosedRange<Double>)
    case contrast(factor: ClosedRange<Double>)
    case saturation(factor: ClosedRange<Double>)
    /// Hue shift in turns (0.5 = half the colour wheel).
    case hue(maxShift: Double)
    case gamma(exponent: ClosedRange<Double>)
    case grayscale(p: Double)
    case colorJitter(brightness: Double, contrast: Double, saturation: Double, hue: Double)
    // degradations
    case gaussianNoise(std: ClosedRange<Double>, p: Double)
    case saltAndPepper(amount: Double, p: Double)
    case gaussianBlur(sigma: ClosedRange<Double>, p: Double)
    case motionBlur(maxLength: Int, p: Double)
    case jpeg(quality: ClosedRange<Int>, p: Double)
    case cutout(count: Int, size: Double, p: Double)
    // driving scenes
    case rain(drops: Int, p: Double)
    case fog(density: ClosedRange<Double>, p: Double)
    case lowLight(p: Double)
    case glare(p: Double)
    case shadow(p: Double)
    // inspection
    case illuminationGradient(strength: Double, p: Double)
    case sensorNoise(p: Double)
    case defocusBlur(maxRadius: Int, p: Double)

    /// For crop-and-resize steps: the source rectangle (nil = whole image) and output size,
    /// drawing the step's random numbers. Nil for every other step. Shared by the float path
    /// and the 8-bit fast path so both draw identically.
    func cropPlan(width iw: Int, height ih: Int, rng: inout SeededRNG) -> ((x: Int, y: Int, w: Int, h: Int)?, Int, Int)? {
        func centre(_ resize: Int, _ crop: Int) -> ((x: Int, y: Int, w: Int, h: Int)?, Int, Int) {
            let shorter = min(iw, ih)
            let side = max(1, min(shorter, Int((Double(shorter) * Double(crop) / Double(resize)).rounded())))
            return ((x: (iw - side) / 2, y: (ih - side) / 2, w: side, h: side), crop, crop)
        }
        switch self {
        case .resize(let w, let h): return (nil, w, h)
        case .shorterSideCenterCrop(let r, let crop): return centre(r, crop)
        case .randomResizedCrop(let size, let scale, let ratio):
            func pick(_ r: ClosedRange<Double>) -> Double { r.lowerBound + (r.upperBound - r.lowerBound) * Double(rng.unit()) }
            let area = Double(iw * ih)
            for _ in 0..<10 {
                let target = area * pick(scale)
                let aspect = exp(pick(log(ratio.lowerBound)...log(ratio.upperBound)))
                let w = Int((target * aspect).squareRoot().rounded()), h = Int((target / aspect).squareRoot().rounded())
                if w >= 1 && h >= 1 && w <= iw && h <= ih {
                    let x = Int(rng.next() % UInt64(iw - w + 1)), y = Int(rng.next() % UInt64(ih - h + 1))
                    return ((x: x, y: y, w: w, h: h), size, size)
                }
            }
            return centre(size, size)  // fallback, as torchvision: a centre crop
        default: return nil
        }
    }

    /// Applies the step to `img` with randomness from `rng`.
    public func apply(_ img: FloatImage, rng: inout SeededRNG) -> FloatImage {
        func chance(_ p: Double) -> Bool { Double(rng.unit()) < p }
        func pick(_ r: ClosedRange<Double>) -> Double { r.lowerBound + (r.upperBound - r.lowerBound) * Double(rng.unit()) }
        switch self {
        case .resize, .shorterSideCenterCrop, .randomResizedCrop:
            let (rect, w, h) = cropPlan(width: img.width, height: img.height, rng: &rng)!
            let cropped = rect.map { Resampling.crop(img, x: $0.x, y: $0.y, width: $0.w, height: $0.h) } ?? img
            return Resampling.resize(cropped, width: w, height: h)
        case .padRandomCrop(let size, let pad):
            var padded = FloatImage(width: img.width + 2 * pad, height: img.height + 2 * pad, channels: img.channels)
            for y in 0..<img.height { for x in 0..<img.width { for c in 0..<img.channels { padded[x + pad, y + pad, c] = img[x, y, c] } } }
            let x = Int(rng.next() % UInt64(max(1, padded.width - size + 1))), y = Int(rng.next() % UInt64(max(1, padded.height - size + 1)))
            return Resampling.crop(padded, x: x, y: y, width: min(size, padded.width), height: min(size, padded.height))
        case .horizontalFlip(let p): return chance(p) ? Geometry.flipHorizontal(img) : img
        case .verticalFlip(let p): return chance(p) ? Geometry.flipVertical(img) : img
        case .rotate(let maxDeg, let fill, let p):
            guard chance(p) else { return img }
            return Geometry.warp(img, forward: Geometry.affine(width: img.width, height: img.height, degrees: pick(-maxDeg...maxDeg)), fill: fill)
        case .rotate90(let p):
            guard chance(p) else { return img }
            return Geometry.rotate90(img, times: 1 + Int(rng.next() % 3))
        case .affine(let maxDeg, let scale, let maxT, let maxShear, let fill, let p):
            guard chance(p) else { return img }
            let m = Geometry.affine(width: img.width, height: img.height, degrees: pick(-maxDeg...maxDeg), scale: pick(scale),
                                    shear: pick(-maxShear...maxShear),
                                    translate: (pick(-maxT...maxT) * Double(img.width), pick(-maxT...maxT) * Double(img.height)))
            return Geometry.warp(img, forward: m, fill: fill)
        case .perspective(let d, let fill, let p):
            guard chance(p) else { return img }
            let w = Double(img.width - 1), h = Double(img.height - 1)
            func jitter(_ s: Double) -> Double { pick(0...d) * s }
            let corners = [(jitter(w / 2), jitter(h / 2)), (w - jitter(w / 2), jitter(h / 2)),
                           (w - jitter(w / 2), h - jitter(h / 2)), (jitter(w / 2), h - jitter(h / 2))]
            return Geometry.warp(img, forward: Geometry.perspective(width: img.width, height: img.height, corners: corners), fill: fill)
        case .brightness(let r): return Photometric.brightness(img, Float(pick(r)))
        case .contrast(let r): return Photometric.contrast(img, Float(pick(r)))
        case .saturation(let r): return Photometric.saturation(img, Float(pick(r)))
        case .hue(let m): return Photometric.hue(img, Float(pick(-m...m)))
        case .gamma(let r): return Photometric.gamma(img, Float(pick(r)))
        case .grayscale(let p): return chance(p) ? Photometric.grayscale(img) : img
        case .colorJitter(let b, let c, let s, let h):
            // Random order, as torchvision's ColorJitter.
            var steps: [Op] = [.brightness(factor: max(0, 1 - b)...(1 + b)), .contrast(factor: max(0, 1 - c)...(1 + c)),
                               .saturation(factor: max(0, 1 - s)...(1 + s)), .hue(maxShift: h)]
            steps.seededShuffle(using: &rng)
            return steps.reduce(img) { $1.apply($0, rng: &rng) }
        case .gaussianNoise(let std, let p):
            guard chance(p) else { return img }
            return Degradation.gaussianNoise(img, std: Float(pick(std)), rng: &rng)
        case .saltAndPepper(let amount, let p):
            guard chance(p) else { return img }
            return Degradation.saltAndPepper(img, amount: amount, rng: &rng)
        case .gaussianBlur(let sigma, let p):
            guard chance(p) else { return img }
            return Filters.gaussianBlur(img, sigma: pick(sigma))
        case .motionBlur(let maxLength, let p):
            guard chance(p), maxLength >= 3 else { return img }
            return Filters.motionBlur(img, length: 3 + Int(rng.next() % UInt64(maxLength - 2)), degrees: pick(-180...180))
        case .jpeg(let q, let p):
            guard chance(p) else { return img }
            return Degradation.jpeg(img, quality: q.lowerBound + Int(rng.next() % UInt64(q.upperBound - q.lowerBound + 1)))
        case .cutout(let count, let size, let p):
            guard chance(p) else { return img }
            return Degradation.cutout(img, count: count, size: size, rng: &rng)
        case .rain(let drops, let p):
            guard chance(p) else { return img }
            return Weather.rain(img, drops: drops, rng: &rng)
        case .fog(let density, let p):
            guard chance(p) else { return img }
            return Weather.fog(img, density: Float(pick(density)))
        case .lowLight(let p):
            guard chance(p) else { return img }
            return Weather.lowLight(img, rng: &rng)
        case .glare(let p):
            guard chance(p) else { return img }
            return Weather.glare(img, rng: &rng)
        case .shadow(let p):
            guard chance(p) else { return img }
            return Weather.shadow(img, rng: &rng)
        case .illuminationGradient(let strength, let p):
            guard chance(p) else { return img }
            return Inspection.illuminationGradient(img, strength: Float(strength), rng: &rng)
        case .sensorNoise(let p):
            guard chance(p) else { return img }
            return Inspection.sensorNoise(img, rng: &rng)
        case .defocusBlur(let maxRadius, let p):
            guard chance(p), maxRadius >= 1 else { return img }
            return Filters.disk(img, radius: 1 + Int(rng.next() % UInt64(maxRadius)))
        }
    }
}

extension Op {
    /// True for the geometric steps (crops, flips, rotations, warps): they move pixels, so
    /// boxes or masks drawn on the image would no longer match. The photometric and
    /// degradation steps keep every pixel where it is.
    public var movesPixels: Bool {
        switch self {
        case .resize, .shorterSideCenterCrop, .randomResizedCrop, .padRandomCrop, .horizontalFlip, .verticalFlip,
             .rotate, .rotate90, .affine, .perspective:
            return true
        default:
            return false
        }
    }
}
