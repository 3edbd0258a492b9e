import XCTest
import Foundation
import ImageIO
import TensorCore
@testable import Augment

final class AugmentTests: XCTestCase {
    func random(_ w: Int, _ h: Int, _ c: Int = 3, seed: UInt64 = 1) -> FloatImage {
        var rng = SeededRNG(seed: seed)
        return FloatImage(width: w, height: h, channels: c, data: (0..<(w * h * c)).map { _ in rng.unit() })
    }

    /// An image that is 0 everywhere except 1 at (x, y).
    func dot(_ w: Int, _ h: Int, at x: Int, _ y: Int) -> FloatImage {
        var img = FloatImage(width: w, height: h, channels: 1)
        img[x, y, 0] = 1
        return img
    }

    func brightest(_ img: FloatImage) -> (Int, Int) {
        let i = img.data.indices.max { img.data[$0] < img.data[$1] }!
        return (i / img.channels % img.width, i / img.channels / img.width)
    }

    func testFlipsAndRightAnglesMoveAKnownPixel() {
        let img = dot(7, 5, at: 1, 0)
        XCTAssertEqual(brightest(Geometry.flipHorizontal(img)).0, 5)
        XCTAssertTrue(brightest(Geometry.flipVertical(img)) == (1, 4))
        let r = Geometry.rotate90(img, times: 1)  // 90° counter-clockwise: top row → left column, bottom-up
        XCTAssertEqual(r.width, 5)
        XCTAssertEqual(r.height, 7)
        XCTAssertTrue(brightest(r) == (0, 5), "\(brightest(r))")
        XCTAssertEqual(Geometry.rotate90(Geometry.rotate90(img, times: 2), times: 2), img)
        XCTAssertEqual(Geometry.rotate90(img, times: 4), img)
    }

    func testWarpsAgreeWithExactTransforms() {
        let img = random(9, 9, 1)
        // 90° through the general warp equals the exact rotation (square image, centre pivot).
        let warped = Geometry.warp(img, forward: Geometry.affine(width: 9, height: 9, degrees: 90), fill: .constant(0))
        let exact = Geometry.rotate90(img, times: 1)
        for i in 0..<img.data.count { XCTAssertEqual(warped.data[i], exact.data[i], accuracy: 1e-4) }
        // A translation by (2, 1) moves the dot by (2, 1).
        let moved = Geometry.warp(dot(8, 8, at: 3, 3), forward: Geometry.affine(width: 8, height: 8, degrees: 0, translate: (2, 1)), fill: .constant(0))
        XCTAssertTrue(brightest(moved) == (5, 4))
        // A perspective that keeps the corners is the identity.
        let id = Geometry.perspective(width: 9, height: 9, corners: [(0, 0), (8, 0), (8, 8), (0, 8)])
        XCTAssertEqual(Geometry.warp(img, forward: id, fill: .edge).data.map { ($0 * 1e4).rounded() }, img.data.map { ($0 * 1e4).rounded() })
        // The homography maps each corner where it was asked to.
        let corners = [(1.0, 2.0), (7.5, 0.5), (8.0, 7.0), (0.5, 8.0)]
        let m = Geometry.perspective(width: 9, height: 9, corners: corners)
        for (i, (sx, sy)) in [(0.0, 0.0), (8.0, 0.0), (8.0, 8.0), (0.0, 8.0)].enumerated() {
            let w = m[6] * sx + m[7] * sy + m[8]
            XCTAssertEqual((m[0] * sx + m[1] * sy + m[2]) / w, corners[i].0, accuracy: 1e-9)
            XCTAssertEqual((m[3] * sx + m[4] * sy + m[5]) / w, corners[i].1, accuracy: 1e-9)
        }
    }

    func testPhotometricAgainstHandComputedValues() {
        let px = FloatImage(width: 1, height: 1, channels: 3, data: [1, 0, 0])
        XCTAssertEqual(Photometric.brightness(px, 0.5).data, [0.5, 0, 0])
        XCTAssertEqual(Photometric.grayscale(px).data[0], 0.299, accuracy: 1e-6)
        let green = Photometric.hue(px, 1.0 / 3)
        XCTAssertEqual(green.data[0], 0, accuracy: 1e-5)
        XCTAssertEqual(green.data[1], 1, accuracy: 1e-5)
        XCTAssertEqual(Photometric.gamma(FloatImage(width: 1, height: 1, channels: 1, data: [0.25]), 0.5).data[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(Photometric.saturation(px, 0).data, [0.299, 0.299, 0.299].map { Float($0) })
    }

    func testBlursKeepAConstantImageAndSpreadADot() {
        let flat = FloatImage(width: 12, height: 10, channels: 3, fill: 0.4)
        for out in [Filters.gaussianBlur(flat, sigma: 1.5), Filters.motionBlur(flat, length: 7, degrees: 30), Filters.disk(flat, radius: 2)] {
            for v in out.data { XCTAssertEqual(v, 0.4, accuracy: 1e-5) }
        }
        let blurred = Filters.gaussianBlur(dot(11, 11, at: 5, 5), sigma: 1)
        XCTAssertTrue(brightest(blurred) == (5, 5))
        XCTAssertEqual(blurred.data.reduce(0, +), 1, accuracy: 1e-4, "blur preserves mass")
    }

    func testEveryOpKeepsValuesInRangeAndIsDeterministic() {
        let ops: [Op] = [.resize(width: 10, height: 6), .shorterSideCenterCrop(resize: 20, crop: 16),
                         .randomResizedCrop(size: 12, scale: 0.3...1, ratio: 0.75...1.33), .padRandomCrop(size: 20, padding: 3),
                         .horizontalFlip(p: 1), .verticalFlip(p: 1), .rotate(maxDegrees: 30, fill: .reflect, p: 1), .rotate90(p: 1),
                         .affine(maxDegrees: 10, scale: 0.8...1.2, maxTranslate: 0.1, maxShear: 5, fill: .constant(0.5), p: 1),
                         .perspective(distortion: 0.3, fill: .edge, p: 1), .brightness(factor: 0.5...1.5), .contrast(factor: 0.5...1.5),
                         .saturation(factor: 0...2), .hue(maxShift: 0.5), .gamma(exponent: 0.5...2), .grayscale(p: 1),
                         .colorJitter(brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1),
                         .gaussianNoise(std: 0.1...0.2, p: 1), .saltAndPepper(amount: 0.1, p: 1), .gaussianBlur(sigma: 0.5...2, p: 1),
                         .motionBlur(maxLength: 7, p: 1), .jpeg(quality: 20...60, p: 1), .cutout(count: 2, size: 0.3, p: 1),
                         .rain(drops: 30, p: 1), .fog(density: 0.3...0.7, p: 1), .lowLight(p: 1), .glare(p: 1), .shadow(p: 1),
                         .illuminationGradient(strength: 0.5, p: 1), .sensorNoise(p: 1), .defocusBlur(maxRadius: 2, p: 1)]
        let img = random(24, 20)
        for op in ops {
            var a = SeededRNG(seed: 5), b = SeededRNG(seed: 5)
            let x = op.apply(img, rng: &a), y = op.apply(img, rng: &b)
            XCTAssertEqual(x, y, "\(op) is not deterministic")
            XCTAssertTrue(x.data.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(op) leaves [0, 1]")
            XCTAssertEqual(x.data.count, x.width * x.height * x.channels)
        }
    }

    func testPresetsAreReproduciblePerSampleAndEpoch() {
        let image = random(32, 24).toImage()
        for name in ["driving", "inspection"] {
            let chain = AugmentChain.preset(name)!
            let a = chain.apply(image, seed: 7, sample: 3, epoch: 1)
            XCTAssertEqual(a, chain.apply(image, seed: 7, sample: 3, epoch: 1), name)
            // Across samples and epochs the draws differ.
            let others = [chain.apply(image, seed: 7, sample: 4, epoch: 1), chain.apply(image, seed: 7, sample: 3, epoch: 2),
                          chain.apply(image, seed: 8, sample: 3, epoch: 1)]
            XCTAssertTrue(others.contains { $0 != a }, name)
        }
        XCTAssertFalse(AugmentChain.driving.ops.contains { if case .horizontalFlip = $0 { return true }; return false },
                       "no flips for road scenes")
        XCTAssertNil(AugmentChain.preset("snow"))
    }

    func testLeadingCropRunsOn8BitImagesWithTheSameDraws() {
        let image = random(40, 30).toImage()
        let chain = AugmentChain([.randomResizedCrop(size: 16, scale: 0.2...1, ratio: 0.75...1.33), .brightness(factor: 0.5...1.5)])
        for sample in 0..<5 {
            var a = AugmentChain.generator(seed: 1, sample: sample, epoch: 0), b = a
            let fast = chain.apply(image, rng: &a), slow = chain.apply(FloatImage(image), rng: &b)
            XCTAssertEqual(a, b, "same random draws")
            XCTAssertEqual(fast.width, 16)
            for (x, y) in zip(fast.data, slow.data) { XCTAssertEqual(x, y, accuracy: 1.5 / 255) }
        }
    }

    func testCropAwareJPEGDecodeMatchesTheFullDecode() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fixtures/jpeg/rgb_640x480.jpg").path
        let bytes = [UInt8](FileManager.default.contents(atPath: path)!)
        let full = try ImageCodec.decode(bytes).image
        let chain = AugmentChain([.randomResizedCrop(size: 48, scale: 0.05...0.3, ratio: 0.75...1.33), .gamma(exponent: 0.8...1.2)])
        for sample in 0..<6 {
            var a = AugmentChain.generator(seed: 3, sample: sample, epoch: 0), b = a
            let scaled = try chain.apply(encoded: bytes, rng: &a), reference = chain.apply(full, rng: &b)
            XCTAssertEqual(a, b, "same draws")
            XCTAssertEqual(scaled.width, 48)
            let mean = zip(scaled.data, reference.data).reduce(0) { $0 + abs($1.0 - $1.1) } / Float(scaled.data.count)
            XCTAssertLessThan(mean, 0.02, "sample \(sample): the DCT-scaled crop looks like the full-size one")
        }
    }

    func testYAMLChains() throws {
        let chain = try ChainFile.parse("""
        preset: inspection
        ops:
          - randomResizedCrop: {size: 64, scale: [0.5, 1.0], ratio: [0.75, 1.333]}
          - rotate: {maxDegrees: 10, fill: edge, p: 0.5}
          - brightness: {factor: [0.9, 1.1]}
          - affine: {maxDegrees: 5, scale: [0.9, 1.1], maxTranslate: 0.1, maxShear: 2, fill: 0.5, p: 1}
        """)
        XCTAssertEqual(chain.ops.count, AugmentChain.inspection.ops.count + 4)
        XCTAssertEqual(chain.ops.last, .affine(maxDegrees: 5, scale: 0.9...1.1, maxTranslate: 0.1, maxShear: 2, fill: .constant(0.5), p: 1))
        XCTAssertEqual(chain.ops[AugmentChain.inspection.ops.count], .randomResizedCrop(size: 64, scale: 0.5...1, ratio: 0.75...1.333))
        func error(_ yaml: String) -> String {
            do { _ = try ChainFile.parse(yaml, path: "chain.yaml"); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(error("ops:\n  - rotate: {maxDegrees: 10, fill: edge, p: 0.5, angel: 3}").contains("ops[0]: unknown key \"rotate.angel\""))
        XCTAssertTrue(error("preset: snow").contains("unknown preset \"snow\""))
        XCTAssertTrue(error("pressets: driving").contains("unknown key \"pressets\""))
        XCTAssertTrue(error("ops:\n  - rotate: {maxDegrees: ten, fill: edge, p: 0.5}").hasPrefix("chain.yaml: ops[0]"), error("ops:\n  - rotate: {maxDegrees: ten, fill: edge, p: 0.5}"))
        XCTAssertTrue(error("ops:\n  - rotate: {maxDegrees: 1, fill: sideways, p: 0.5}").contains("fill must be"))
        XCTAssertEqual(try ChainFile.parse("preset: driving"), AugmentChain.driving)
        // Every augmentation chain shipped under pipelines/augment/ stays valid.
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../pipelines/augment").path
        let shipped = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
        XCTAssertFalse(shipped.isEmpty)
        for name in shipped { XCTAssertFalse(try ChainFile.load(path: folder + "/" + name).ops.isEmpty, name) }
        let driving224 = try ChainFile.load(path: folder + "/driving-224.yaml")
        XCTAssertEqual(driving224.ops.first, .randomResizedCrop(size: 224, scale: 0.25...1, ratio: 0.75...1.333))
    }
}
