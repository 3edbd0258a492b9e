import XCTest
import Augment
import Checkpoint
import ImageIO
import Layers
import Inference
import TensorCore
@testable import Zoo

/// Vigil's pretrained ImageNet models against PyTorch: golden logits computed once by
/// Fixtures/parity/make_golden.py (torchvision's MobileNetV2; a plain-PyTorch
/// EfficientNet-Lite0 with TF SAME padding) on the very tensor Vigil's preprocessing
/// produces. Needs the imported weights and sample photos (scripts/fetch-models.sh); says
/// clearly when it is skipped.
final class ParityTests: XCTestCase {
    struct Golden: Decodable {
        struct Item: Decodable { var input_sum: Double; var input_abs_sum: Double; var logits: [Float]; var top5: [Int] }
        var images: [String: Item]
    }

    func testMobileNetV2MatchesPyTorchLogits() throws { try check("mobilenet_v2") }

    func testEfficientNetLite0MatchesPyTorchLogits() throws { try check("efficientnet_lite0") }

    func check(_ arch: String) throws {
        let store = ModelStore(folder: ModelStore.defaultFolder())
        let samples = (store.folder as NSString).deletingLastPathComponent + "/samples"
        guard store.hasPretrained(arch), FileManager.default.fileExists(atPath: samples + "/chelsea.png") else {
            throw XCTSkip("SKIPPED: parity needs the pretrained \(arch) and sample photos; run scripts/fetch-models.sh (cache: \(store.folder))")
        }
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().appendingPathComponent("../../Fixtures/parity/\(arch).json")))
        for fused in [false, true] {
            let model = try store.load(arch)
            if fused { model.network.fuseForInference() }
            let pre = ModelInput(model.card.preprocessing)
            let ctx = Context(threads: 2)
            for (photo, expected) in golden.images.sorted(by: { $0.key < $1.key }) {
                var x = Tensor([1, 224, 224, 3])
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: samples + "/" + photo)))
                try x.data.withUnsafeMutableBufferPointer { try pre.prepare(bytes, into: $0) }
                let sum = x.data.reduce(0.0) { $0 + Double($1) }, abs = x.data.reduce(0.0) { $0 + Double(Swift.abs($1)) }
                XCTAssertEqual(sum, expected.input_sum, accuracy: 0.5, "\(photo): preprocessing changed; regenerate the golden file")
                XCTAssertEqual(abs, expected.input_abs_sum, accuracy: 0.5, "\(photo): preprocessing changed; regenerate the golden file")
                let logits = model.network.forward(x, context: ctx, training: false).data
                let worst = zip(logits, expected.logits).map { Swift.abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(worst, 1e-3, "\(photo) (fused: \(fused)): max |Δlogit|")
                print("parity \(arch) \(photo) fused=\(fused): max |Δlogit| = \(worst)")
                let top5 = Array(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5))
                XCTAssertEqual(top5, expected.top5, "\(photo) (fused: \(fused))")
            }
        }
    }
}
