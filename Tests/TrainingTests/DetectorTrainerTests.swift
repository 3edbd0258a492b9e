import Checkpoint
import Datasets
import Detection
import Foundation
import ImageIO
import TensorCore
import XCTest
import Zoo
@testable import Training

/// A small configuration of `vigil train-detect` learns: red squares and blue discs on noisy
/// gray, written as a COCO dataset, found again by the trained detector.
final class DetectorTrainerTests: XCTestCase {
    static func writeDataset(to dir: String, images: Int, seed: UInt64) throws {
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        var rng = SeededRNG(seed: seed)
        var imgs: [[String: Any]] = [], anns: [[String: Any]] = []
        let (W, H) = (96, 64)
        for i in 0..<images {
            var px = [UInt8](repeating: 0, count: W * H * 3)
            for p in 0..<(W * H) { let g = UInt8(100 + rng.next() % 60); for c in 0..<3 { px[p * 3 + c] = g } }
            var taken: [(Int, Int, Int)] = []
            for _ in 0..<(1 + Int(rng.next() % 2)) {
                let s = 14 + Int(rng.next() % 12)
                let x0 = Int(rng.next() % UInt64(W - s)), y0 = Int(rng.next() % UInt64(H - s))
                if taken.contains(where: { abs($0.0 - x0) < s + 4 && abs($0.1 - y0) < s + 4 }) { continue }
                taken.append((x0, y0, s))
                let cls = Int(rng.next() % 2)
                for y in y0..<(y0 + s) {
                    for x in x0..<(x0 + s) {
                        let dx = Double(x - x0) - Double(s - 1) / 2, dy = Double(y - y0) - Double(s - 1) / 2
                        if cls == 1 && dx * dx + dy * dy > Double(s * s) / 4 { continue }
                        let color: [UInt8] = cls == 0 ? [210, 30, 30] : [30, 40, 200]
                        for c in 0..<3 { px[(y * W + x) * 3 + c] = color[c] }
                    }
                }
                anns.append(["id": anns.count + 1, "image_id": i + 1, "category_id": cls + 1, "bbox": [x0, y0, s, s]])
            }
            let name = String(format: "%03d.png", i)
            try Data(ImageCodec.encodePNG(Image(width: W, height: H, channels: 3, pixels8: px))).write(to: URL(fileURLWithPath: dir + "/images/" + name))
            imgs.append(["id": i + 1, "file_name": name, "width": W, "height": H])
        }
        let coco: [String: Any] = ["images": imgs, "annotations": anns,
                                   "categories": [["id": 1, "name": "square"], ["id": 2, "name": "disc"]]]
        try JSONSerialization.data(withJSONObject: coco).write(to: URL(fileURLWithPath: dir + "/annotations.json"))
    }

    func testASmallDetectorLearns() throws {
        let dir = NSTemporaryDirectory() + "vigil-detect-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeDataset(to: dir + "/data", images: 24, seed: 4)
        let data = try BoxDataset.open(dir + "/data")
        XCTAssertEqual(data.classes, ["square", "disc"])
        XCTAssertEqual(data.images.count, 24)

        var config = Zoo.entry("mobilenet_v2_detect")!.defaultConfig
        config.numClasses = 2
        config.inputSize = 96
        let model = try Model(zoo: "mobilenet_v2_detect", config: config, labels: data.classes, seed: 1)
        model.card.preprocessing.resizeTo = 96
        var o = TrainOptions()
        o.epochs = 20
        o.batchSize = 8
        o.learningRate = 5e-3
        o.weightDecay = 1e-4
        o.warmupEpochs = 1
        o.clipNorm = 10
        o.seed = 7
        var d = DetectOptions()
        d.inputSize = 96
        (d.cropWidth, d.cropHeight) = (96, 64)
        (d.zoomMin, d.zoomMax) = (0.9, 1.1)
        d.frozenLayers = 0
        let trainer = try DetectorTrainer(model: model, dataset: data, trainIndices: Array(0..<24), validationIndices: [],
                                          options: o, detect: d, folder: dir + "/run", threads: 2)
        trainer.progress = false
        let summary = try trainer.run()
        let losses = summary.history.map(\.trainLoss)
        XCTAssertLessThan(losses.last!, losses.first! * 0.5, "the loss falls: \(losses)")
        for f in ["last.safetensors", "best.safetensors", "checkpoint.safetensors", "metrics.csv", "curves.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run/" + f), f)
        }
        // The saved model finds the objects of the images it learned from.
        let report = try trainer.evaluate(Array(0..<24), context: Context(threads: 2))
        XCTAssertGreaterThan(report.meanAP50 ?? 0, 0.3, "AP@0.5 on the training images, losses \(losses)")
    }

    /// A run stopped after a step and resumed from its checkpoint ends with the same weights,
    /// bit for bit, as one that ran straight through.
    func testResumedRunEqualsUninterrupted() throws {
        let dir = NSTemporaryDirectory() + "vigil-detect-resume-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeDataset(to: dir + "/data", images: 8, seed: 9)
        let data = try BoxDataset.open(dir + "/data")
        func trainer(_ folder: String) throws -> DetectorTrainer {
            var config = Zoo.entry("mobilenet_v2_detect")!.defaultConfig
            config.numClasses = 2
            let model = try Model(zoo: "mobilenet_v2_detect", config: config, labels: data.classes, seed: 2)
            model.card.preprocessing.resizeTo = 96
            var o = TrainOptions()
            o.epochs = 2
            o.batchSize = 4
            o.seed = 3
            o.augment = "driving"
            o.checkpointEverySteps = 1
            var d = DetectOptions()
            d.inputSize = 96
            (d.cropWidth, d.cropHeight) = (64, 64)
            d.frozenLayers = 2
            d.mirrorable = ["disc"]
            let t = try DetectorTrainer(model: model, dataset: data, trainIndices: Array(0..<6), validationIndices: [6, 7],
                                        options: o, detect: d, folder: folder, threads: 2)
            t.progress = false
            return t
        }
        try trainer(dir + "/straight").run()
        let first = try trainer(dir + "/stopped")
        first.maxSteps = 3
        XCTAssertTrue(try first.run().interrupted)
        let resumed = try DetectorTrainer.resume(folder: dir + "/stopped", dataset: data, trainIndices: Array(0..<6), validationIndices: [6, 7], threads: 2)
        XCTAssertEqual(resumed.startingPoint.step, 3)
        resumed.progress = false
        let summary = try resumed.run()
        XCTAssertEqual(summary.history.count, 2)
        let a = try SafeTensorsFile.read(path: dir + "/straight/last.safetensors").tensors
        let b = try SafeTensorsFile.read(path: dir + "/stopped/last.safetensors").tensors
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.name, y.name)
            XCTAssertEqual(x.tensor.data, y.tensor.data, x.name)
        }
    }
}
