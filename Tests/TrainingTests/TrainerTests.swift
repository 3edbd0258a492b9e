import Checkpoint
import Datasets
import Augment
import Foundation
import ImageIO
import Layers
import TensorCore
import XCTest
import Zoo
@testable import Training
import Inference

/// Three classes of 16×16 gray patterns with random period, phase and noise: horizontal
/// stripes, vertical stripes, checkerboard. A small CNN separates them in a few epochs.
struct PatternDataset: Dataset {
    let count: Int
    let seed: UInt64
    var classes: [String] { ["checker", "horizontal", "vertical"] }
    func label(_ i: Int) -> Int { i % 3 }
    func name(_ i: Int) -> String { "pattern[\(i)]" }
    func image(_ i: Int) throws -> Image { Image(width: 16, height: 16, channels: 1, pixels8: Self.pixels(label: label(i), seed: seed &+ UInt64(i))) }

    static func pixels(label: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededRNG(seed: seed)
        let period = 2 + Int(rng.next() % 3), px = Int(rng.next() % 4), py = Int(rng.next() % 4)
        var out = [UInt8](repeating: 0, count: 256)
        for y in 0..<16 {
            for x in 0..<16 {
                let h = ((y + py) / period) % 2, v = ((x + px) / period) % 2
                let on = label == 1 ? h == 0 : (label == 2 ? v == 0 : (h ^ v) == 0)
                out[y * 16 + x] = UInt8(max(0, min(255, (on ? 200 : 55) + Int(rng.uniform(-40, 40)))))
            }
        }
        return out
    }
}

final class TrainerTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vigil-train-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func model(seed: UInt64 = 3) throws -> Model {
        var config = Zoo.entry("crop_vgg")!.defaultConfig
        config.numClasses = 3
        config.inputSize = 16
        config.inputChannels = 1
        config.widthMultiplier = 0.25
        let m = try Model(zoo: "crop_vgg", config: config, labels: PatternDataset(count: 1, seed: 0).classes, seed: seed)
        m.card.preprocessing = Preprocessing(inputSize: 16, resize: .stretch, resizeTo: 16, mean: [0.5], std: [0.25], colorMode: .gray)
        return m
    }

    func options(epochs: Int = 3) -> TrainOptions {
        var o = TrainOptions()
        o.epochs = epochs
        o.batchSize = 8
        o.learningRate = 0.01
        o.seed = 11
        return o
    }

    func weights(_ m: Model) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: m.network.namedParameters().map { ($0.name, $0.parameter.value.data) })
    }

    func testLearnsPatternsAndWritesItsFiles() throws {
        let train = PatternDataset(count: 60, seed: 1), val = PatternDataset(count: 30, seed: 500)
        var o = options(epochs: 6)
        o.learningRate = 0.005
        let t = try Trainer(model: try model(), train: train, validation: val, options: o, folder: dir, threads: 1)
        t.progress = false
        let s = try t.run()
        XCTAssertEqual(s.history.count, 6)
        XCTAssertFalse(s.interrupted)
        let last = s.history.last!
        XCTAssertGreaterThan(last.valAccuracy!, 0.8, "3 classes: chance is 0.33; \(s.history)")
        XCTAssertLessThan(last.trainLoss, s.history[0].trainLoss)
        for f in ["last.safetensors", "best.safetensors", "checkpoint.safetensors", "metrics.csv", "curves.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + f), f)
        }
        let csv = try String(contentsOfFile: dir + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first.map(String.init), EpochRecord.csvHeader)
        XCTAssertEqual(csv.count, 7)
        // The best model file is a normal model with the labels and preprocessing.
        let best = try Model.load(path: dir + "/best.safetensors")
        XCTAssertEqual(best.card.labels, train.classes)
        XCTAssertEqual(best.card.preprocessing.colorMode, .gray)
        XCTAssertEqual(best.card.provenance.epochs, s.bestEpoch)
        let png = try ImageCodec.decode(fileAt: dir + "/curves.png").image
        XCTAssertGreaterThan(png.width, 400)
    }

    /// A run stopped mid-epoch (nothing saved at the stop, as after a kill) and resumed from
    /// its last checkpoint ends with exactly the weights, optimizer step and metrics of a run
    /// that was never stopped: dropout, shuffling and the schedule all continue identically.
    func testResumedRunEqualsUninterruptedRun() throws {
        let train = PatternDataset(count: 44, seed: 2), val = PatternDataset(count: 12, seed: 900)
        var o = options(epochs: 3)
        o.optimizer = .adamw
        o.checkpointEverySteps = 4
        o.augment = "inspection"  // flips and noise: the augmentation stream must resume too
        let a = try Trainer(model: try model(), train: train, validation: val, options: o, folder: dir + "/a", threads: 1)
        a.progress = false
        let sa = try a.run()

        let b = try Trainer(model: try model(), train: train, validation: val, options: o, folder: dir + "/b", threads: 1)
        b.progress = false
        b.maxSteps = 10  // 6 steps per epoch: stops inside epoch 2; last checkpoint at step 8
        XCTAssertTrue(try b.run().interrupted)
        let c = try Trainer.resume(folder: dir + "/b", train: train, validation: val, threads: 1)
        c.progress = false
        XCTAssertEqual(c.startingPoint.epoch, 1)
        XCTAssertEqual(c.startingPoint.step, 8)
        XCTAssertEqual(c.startingPoint.position, 16)
        let sc = try c.run()

        XCTAssertTrue(weights(c.model) == weights(a.model), "resumed weights differ from the uninterrupted run")
        XCTAssertEqual(c.optimizer.step, a.optimizer.step)
        XCTAssertEqual(sc.history.map(\.trainLoss), sa.history.map(\.trainLoss))
        XCTAssertEqual(sc.history.map(\.valAccuracy), sa.history.map(\.valAccuracy))
        // And a different seed really gives different weights (the comparison can fail).
        var o2 = o
        o2.seed = 12
        let d = try Trainer(model: try model(), train: train, validation: val, options: o2, folder: dir + "/d", threads: 1)
        d.progress = false
        d.maxSteps = 3
        try d.run()
        let e = try Trainer(model: try model(), train: train, validation: val, options: o, folder: dir + "/e", threads: 1)
        e.progress = false
        e.maxSteps = 3
        try e.run()
        XCTAssertFalse(weights(d.model) == weights(e.model))
    }

    /// Head-only training on cached backbone outputs is the same computation as running the
    /// frozen backbone every step.
    func testFeatureCacheMatchesFullForward() throws {
        let train = PatternDataset(count: 30, seed: 4), val = PatternDataset(count: 9, seed: 77)
        var o = options(epochs: 2)
        o.trainableFrom = "fc"
        let cached = try Trainer(model: try model(), train: train, validation: val, options: o, folder: dir + "/cached", threads: 1)
        cached.progress = false
        let s1 = try cached.run()
        XCTAssertNotNil(s1.featureSeconds, "augment none + frozen backbone should use the cache")
        let full = try Trainer(model: try model(), train: train, validation: val, options: o, folder: dir + "/full", threads: 1)
        full.progress = false
        full.useFeatureCache = false
        let s2 = try full.run()
        XCTAssertNil(s2.featureSeconds)
        let w1 = weights(cached.model), w2 = weights(full.model)
        for (k, v) in w1 {
            let ref = w2[k]!
            let diff = zip(v, ref).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(diff, 1e-5, k)
        }
        // Only the head moved.
        let start = weights(try model())
        XCTAssertEqual(w1["stage1.0.0.weight"], start["stage1.0.0.weight"])
        XCTAssertEqual(w1["stage1.0.1.running_mean"], start["stage1.0.1.running_mean"], "frozen BatchNorm keeps its statistics")
        XCTAssertNotEqual(w1["fc.weight"], start["fc.weight"])
    }

    func testFrozenSplitDescendsIntoSequentials() throws {
        let m = try model()
        for (name, p) in m.network.namedParameters() where !p.isBuffer { p.trainable = !name.hasPrefix("stage1.") && !name.hasPrefix("stage2.0.") }
        let split = FrozenSplit(m.network)
        XCTAssertEqual(split.frozen.layers.map(\.name), ["stage1", "0"])
        XCTAssertEqual(split.trained.layers.map(\.name), ["0", "1", "2", "pool", "stage3", "pool", "dropout", "fc"], "stage2.1 unrolled, then the rest")
        var rng = SeededRNG(seed: 99)
        let x = Tensor.uniform([2, 16, 16, 1], -1, 1, rng: &rng)
        let whole = m.network.forward(x, context: Context(threads: 1), training: false)
        let parts = split.trained.forward(split.frozen.forward(x, context: Context(threads: 1), training: false), context: Context(threads: 1), training: false)
        XCTAssertEqual(whole.data, parts.data)
        // Head only: the Dropout before the head stays in the trained part, so it still drops.
        for (name, p) in m.network.namedParameters() where !p.isBuffer { p.trainable = name.hasPrefix("fc.") }
        XCTAssertEqual(FrozenSplit(m.network).trained.layers.map(\.name), ["dropout", "fc"])
    }

    func testEarlyStoppingAndBadOptions() throws {
        let train = PatternDataset(count: 24, seed: 5)
        var o = options(epochs: 20)
        o.learningRate = 1e-7  // nothing improves after the first epoch
        o.patience = 2
        o.monitor = .trainAccuracy
        let t = try Trainer(model: try model(), train: train, validation: nil, options: o, folder: dir, threads: 1)
        t.progress = false
        let s = try t.run()
        XCTAssertTrue(s.stoppedEarly)
        XCTAssertLessThan(s.history.count, 20)
        // An unknown optimizer in saved settings is refused with the valid names, never a fallback.
        let json = String(decoding: try JSONEncoder().encode(options()), as: UTF8.self).replacingOccurrences(of: "\"adamw\"", with: "\"rmsprop\"")
        XCTAssertThrowsError(try JSONDecoder().decode(TrainOptions.self, from: Data(json.utf8))) {
            XCTAssertTrue("\($0)".contains("rmsprop") && "\($0)".contains("sgd, adam, adamw"), "\($0)")
        }
        var unknownLayer = options()
        unknownLayer.trainableFrom = "stage9"
        let u = try Trainer(model: try model(), train: train, validation: nil, options: unknownLayer, folder: dir + "/u", threads: 1)
        XCTAssertThrowsError(try u.run()) { XCTAssertTrue("\($0)".contains("stage9")) }
    }
}


/// Training's evaluation chain and `classify` turn a file into the same tensor, bit for bit.
final class EvaluationInputTests: XCTestCase {
    func testTrainingEvaluationEqualsClassifyInput() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fixtures/preprocess").standardizedFileURL.path
        let dir = NSTemporaryDirectory() + "vigil-evalinput-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = [("a", "landscape_451x300.png"), ("a", "palette_10x10.png"), ("b", "photo_320x240.jpg"), ("b", "gray_31x23.png")]
        for (cls, f) in files {
            try FileManager.default.createDirectory(atPath: "\(dir)/data/\(cls)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(fixtures)/\(f)", toPath: "\(dir)/data/\(cls)/\(f)")
        }
        let data = try ImageFolderDataset(root: "\(dir)/data")
        var config = Zoo.entry("crop_vgg")!.defaultConfig
        config.numClasses = 2
        config.inputSize = 32
        config.widthMultiplier = 0.25
        let m = try Model(zoo: "crop_vgg", config: config, labels: data.classes, seed: 1)
        m.card.preprocessing = Preprocessing(inputSize: 32, resize: .shorterSide, resizeTo: 40, mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.25])
        var o = TrainOptions()
        o.augment = "driving"  // the training chain is random; evaluation must not be
        let trainer = try Trainer(model: m, train: data, validation: nil, options: o, folder: dir + "/run", threads: 2)
        let loader = trainer.loader(data, chain: try trainer.chains().eval, shuffle: false)
        let pre = ModelInput(m.card.preprocessing)
        var seen = 0
        try loader.forEachBatch(epoch: 0) { batch in
            for (row, i) in batch.indices.enumerated() {
                let bytes = try data.fileBytes(i)!
                var expected = [Float](repeating: 0, count: pre.sliceCount)
                try expected.withUnsafeMutableBufferPointer { try pre.prepare(bytes, into: $0) }
                let got = Array(batch.images.data[(row * pre.sliceCount)..<((row + 1) * pre.sliceCount)])
                XCTAssertEqual(got, expected, data.name(i))
                seen += 1
            }
        }
        XCTAssertEqual(seen, files.count)
    }
}
