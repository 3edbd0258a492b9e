import Foundation
import ImageIO
import XCTest
@testable import Augment

/// `ModelInput` against torchvision's `Resize(256) + CenterCrop(224)` on PIL images: golden
/// 8-bit crops made once by Fixtures/preprocess/make_golden.py (Pillow 13), for photos of
/// several sizes, a 10×10 palette image, a gray, an RGBA and a JPEG.
final class ModelInputTests: XCTestCase {
    struct Manifest: Decodable {
        struct Entry: Decodable {
            var file: String
            var size: [Int]
            var resized: [Int]
            var crop_left: Int
            var crop_top: Int
            var golden: String
        }
        var resize: Int
        var crop: Int
        var mean: [Float]
        var std: [Float]
        var images: [Entry]
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures/preprocess").standardizedFileURL

    func testMatchesTorchvisionResizeCenterCropWithinTwoLevels() throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("manifest.json"))
        let manifest = try JSONDecoder().decode(Manifest.self, from: data)
        XCTAssertEqual(manifest.images.count, 8)
        let input = ModelInput(size: manifest.crop, resizeTo: manifest.resize, mean: manifest.mean, std: manifest.std)
        for entry in manifest.images {
            let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(entry.file)))
            let plan = ModelInput.shorterSidePlan(width: entry.size[0], height: entry.size[1], resizeTo: manifest.resize, crop: manifest.crop)
            XCTAssertEqual([plan.width, plan.height], entry.resized, entry.file)
            XCTAssertEqual([plan.left, plan.top], [entry.crop_left, entry.crop_top], entry.file)

            let x = try input.prepared(bytes)
            let golden = try ImageCodec.decode([UInt8](Data(contentsOf: Self.folder.appendingPathComponent(entry.golden)))).image
            XCTAssertEqual(golden.width, 224)
            let g = golden.toRGB8()
            guard case .uint8(let gp) = g.samples else { return XCTFail("golden not 8-bit") }
            var worst: Float = 0, sum: Float = 0
            for i in 0..<x.count {
                let c = i % 3
                let v = x[i] * manifest.std[c] + manifest.mean[c]  // back to [0, 1]
                let d = abs(v - Float(gp[i]) / 255)
                worst = max(worst, d)
                sum += d
            }
            XCTAssertLessThanOrEqual(worst * 255, 2, "\(entry.file): max |Δ| \(worst * 255)/255")
            XCTAssertLessThan(sum / Float(x.count) * 255, 0.5, "\(entry.file): mean |Δ|")
        }
    }

    func testPlanRoundsHalvesToEvenAndPadsSmallImages() {
        // (341 − 224) / 2 = 58.5 → 58, as Python's round.
        let p = ModelInput.shorterSidePlan(width: 320, height: 240, resizeTo: 256, crop: 224)
        XCTAssertEqual(p.width, 341)
        XCTAssertEqual(p.left, 58)
        // A crop larger than the resized image is padded with black (normalised zero).
        let input = ModelInput(size: 8, resizeTo: 4, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        let white = Image(width: 4, height: 4, channels: 3, pixels8: [UInt8](repeating: 255, count: 48))
        var x = [Float](repeating: 9, count: input.sliceCount)
        x.withUnsafeMutableBufferPointer { input.prepare(white, into: $0) }
        XCTAssertEqual(x[0], -1, accuracy: 1e-6)  // corner: padding
        XCTAssertEqual(x[(3 * 8 + 3) * 3], 1, accuracy: 1e-6)  // centre: the image
    }
}
