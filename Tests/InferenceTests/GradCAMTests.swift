import Augment
import Foundation
import ImageIO
import TensorCore
import XCTest
import Zoo
@testable import Inference

/// Grad-CAM against an occlusion check on real photos (ImageNet MobileNetV2): covering the
/// region the map marks lowers the class's logit more than covering the region it marks least.
final class GradCAMTests: XCTestCase {
    func testOcclusionOfTheMarkedRegionHurtsMore() throws {
        let store = ModelStore(folder: ModelStore.defaultFolder())
        let samples = (store.folder as NSString).deletingLastPathComponent + "/samples"
        guard store.hasPretrained("mobilenet_v2"), FileManager.default.fileExists(atPath: samples + "/chelsea.png") else {
            throw XCTSkip("SKIPPED: needs the pretrained mobilenet_v2 and sample photos; run scripts/fetch-models.sh")
        }
        let model = try store.load("mobilenet_v2")
        let cam = try GradCAM(model: model)
        XCTAssertEqual(cam.layer, "features.18.2", "the output of the last convolutional block")
        let input = ModelInput(model.card.preprocessing)
        let ctx = Context(threads: 2)
        var wins = 0, photos = 0
        for photo in ["chelsea.png", "coffee.png", "motorcycle_left.png", "astronaut.png", "rocket.jpg"] {
            guard let data = FileManager.default.contents(atPath: samples + "/" + photo) else { continue }
            photos += 1
            var x = Tensor([1, input.size, input.size, 3])
            try x.data.withUnsafeMutableBufferPointer { try input.prepare([UInt8](data), into: $0) }
            let r = cam.explain(x, classIndex: nil, context: ctx)
            XCTAssertEqual(r.map.count, 7 * 7)
            XCTAssertEqual(r.map.max()!, 1, accuracy: 1e-6)
            // A 96×96 gray (zero after normalisation) patch over the hottest and the coldest 3×3 cells.
            func occludedLogit(around cell: Int) -> Float {
                var y = x
                let cx = (cell % 7) * 32 + 16, cy = (cell / 7) * 32 + 16
                for py in max(0, cy - 48)..<min(224, cy + 48) {
                    for px in max(0, cx - 48)..<min(224, cx + 48) { for c in 0..<3 { y.data[(py * 224 + px) * 3 + c] = 0 } }
                }
                return model.network.forward(y, context: ctx, training: false).data[r.classIndex]
            }
            let base = model.network.forward(x, context: ctx, training: false).data[r.classIndex]
            let hot = r.map.indices.max { r.map[$0] < r.map[$1] }!, cold = r.map.indices.min { r.map[$0] < r.map[$1] }!
            let dropHot = base - occludedLogit(around: hot), dropCold = base - occludedLogit(around: cold)
            if dropHot > dropCold { wins += 1 }
            print("grad-cam \(photo): \(r.label) \(r.probability); logit drop covering the marked region \(dropHot), the unmarked \(dropCold)")
        }
        XCTAssertEqual(photos, 5)
        XCTAssertGreaterThanOrEqual(wins, 4, "covering what Grad-CAM marks must hurt the class more on (nearly) every photo")
    }

    /// The map spread over the whole image: zero outside the centre crop the network saw.
    func testImageMapIsZeroOutsideTheCrop() {
        let r = GradCAM.Result(classIndex: 0, label: "a", probability: 1, map: [Float](repeating: 1, count: 4), width: 2, height: 2)
        let input = ModelInput(size: 224, resizeTo: 256)
        let m = GradCAM.imageMap(r, input: input, width: 400, height: 200, cells: 40)
        XCTAssertEqual(m.width, 40)
        XCTAssertEqual(m.height, 20)
        // 400×200 → 512×256, crop 224 at x = 144: the image's x from 112.5 to 287.5 → cells 11…28.
        XCTAssertEqual(m.map[10 * 40 + 5], 0)
        XCTAssertEqual(m.map[10 * 40 + 20], 1)
        XCTAssertEqual(m.map[10 * 40 + 35], 0)
    }
}
