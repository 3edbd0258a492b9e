import Checkpoint
import Foundation
import ImageIO
import TensorCore
import XCTest
import Zoo

/// train → eval → classify → features on a small generated image set, and a killed-and-resumed
/// `vigil train` that ends with the weights of an uninterrupted one.
final class TrainCommandTests: XCTestCase {
    var dir: String!
    let classes = ["checker", "horizontal", "vertical"]

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vigil-traincli-\(UUID().uuidString)"
        // 20×20 RGB PNGs: stripes one way, the other way, or a checkerboard, in random
        // colours, periods and phases with noise. train/ 24 per class, test/ 8 per class.
        var rng = SeededRNG(seed: 42)
        for (part, perClass) in [("train", 24), ("test", 8)] {
            for (label, cls) in classes.enumerated() {
                let folder = "\(dir!)/data/\(part)/\(cls)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for n in 0..<perClass {
                    let period = 2 + Int(rng.next() % 3), px = Int(rng.next() % 4), py = Int(rng.next() % 4)
                    let fg = (0..<3).map { _ in 150 + Int(rng.next() % 100) }, bg = (0..<3).map { _ in Int(rng.next() % 90) }
                    var pixels = [UInt8](repeating: 0, count: 20 * 20 * 3)
                    for y in 0..<20 {
                        for x in 0..<20 {
                            let h = ((y + py) / period) % 2, v = ((x + px) / period) % 2
                            let on = label == 1 ? h == 0 : (label == 2 ? v == 0 : (h ^ v) == 0)
                            for c in 0..<3 {
                                pixels[(y * 20 + x) * 3 + c] = UInt8(max(0, min(255, (on ? fg[c] : bg[c]) + Int(rng.uniform(-25, 25)))))
                            }
                        }
                    }
                    let png = try ImageCodec.encodePNG(Image(width: 20, height: 20, channels: 3, pixels8: pixels))
                    try Data(png).write(to: URL(fileURLWithPath: "\(folder)/\(n).png"))
                }
            }
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    var trainArgs: [String] {
        ["train", dir + "/data", "--arch", "crop_vgg", "--width", "0.25", "--input-size", "16", "--epochs", "6", "--batch", "8",
         "--lr", "0.005", "--val-split", "0.25", "--threads", "1", "--seed", "3"]
    }

    func weights(_ path: String) throws -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: try Model.load(path: path).network.namedParameters().map { ($0.name, $0.parameter.value.data) })
    }

    func testTrainEvalClassifyFeatures() throws {
        let out = dir + "/run"
        let t = try runVigil(trainArgs + ["--out", out, "--log-format", "jsonl"])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("epoch   6/6"), t.stdout)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        XCTAssertEqual(summary["train_images"] as? Int, 54)
        XCTAssertEqual(summary["validation_images"] as? Int, 18)
        XCTAssertGreaterThan(summary["test_accuracy"] as! Double, 0.75, "chance is 1/3: \(t.stdout)")
        let log = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.count, 6)
        XCTAssertNotNil((try JSONSerialization.jsonObject(with: Data(log[5].utf8)) as? [String: Any])?["val_accuracy"])
        XCTAssertGreaterThan(try ImageCodec.decode(fileAt: out + "/curves.png").image.width, 400)

        // eval: the model file alone is enough (labels, preprocessing).
        let model = out + "/best.safetensors"
        let e = try runVigil(["eval", dir + "/data/test", "--model", model, "--out", dir + "/report", "--top-k", "2", "--threads", "1"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report/summary.json"))) as! [String: Any]
        XCTAssertEqual(report["images"] as? Int, 24)
        XCTAssertEqual(report["accuracy"] as! Double, summary["test_accuracy"] as! Double, accuracy: 0.05,
                       "eval's file decoding path agrees with training's test score")
        let heat = try ImageCodec.decode(fileAt: dir + "/report/confusion.png").image
        XCTAssertGreaterThan(heat.width, 100)

        // classify: one row per file, mostly right.
        let c = try runVigil(["classify", dir + "/data/test", "--model", model, "--format", "csv", "--top-k", "1", "--threads", "1"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let rows = c.stdout.split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.count, 24)
        let right = rows.filter { row in classes.contains { row.hasPrefix($0 + "/") && row.contains(",\($0),") } }.count
        XCTAssertGreaterThan(Double(right) / 24, 0.75, c.stdout)

        // features: (24, 32) float32 rows, one manifest row each.
        let f = try runVigil(["features", dir + "/data/test", "--model", model, "-o", dir + "/f.npy", "--threads", "1"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertEqual(try loadNpy(dir + "/f.npy").0, [24, 32], "crop_vgg × 0.25 pools 32 channels")
        XCTAssertEqual(try String(contentsOfFile: dir + "/f.npy.csv", encoding: .utf8).split(separator: "\n").count, 25)
    }

    func testKilledRunResumesToTheSameWeights() throws {
        let whole = try runVigil(trainArgs + ["--out", dir + "/whole", "--augment", "inspection"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let cut = try runVigil(trainArgs + ["--out", dir + "/cut", "--augment", "inspection", "--checkpoint-every", "3", "--max-steps", "17"])
        XCTAssertEqual(cut.status, 0, cut.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/cut/summary.json"))
        let again = try runVigil(trainArgs + ["--out", dir + "/cut", "--augment", "inspection"])
        XCTAssertEqual(again.status, 2, "a second run into a used folder must say --resume")
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)
        let resumed = try runVigil(["train", dir + "/data", "--out", dir + "/cut", "--resume", "--threads", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming"), resumed.stderr)
        XCTAssertTrue(try weights(dir + "/cut/last.safetensors") == weights(dir + "/whole/last.safetensors"), "resumed weights differ")
        XCTAssertTrue(try weights(dir + "/cut/best.safetensors") == weights(dir + "/whole/best.safetensors"), "resumed best model differs")
        let metrics = { (p: String) in try String(contentsOfFile: p, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").prefix(6).joined(separator: ",") } }
        XCTAssertEqual(try metrics(dir + "/cut/metrics.csv"), try metrics(dir + "/whole/metrics.csv"), "same losses and accuracies per epoch")
    }

    /// An IDX folder (the Fashion-MNIST layout) through train and eval: eval scores the t10k
    /// part through the same loader path, so its accuracy equals the training summary's.
    func testIDXFolderTrainThenEval() throws {
        let idx = dir + "/idx"
        try FileManager.default.createDirectory(atPath: idx, withIntermediateDirectories: true)
        var rng = SeededRNG(seed: 9)
        func write(_ prefix: String, count: Int) throws {
            func bigEndian(_ n: Int) -> [UInt8] { [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] }
            var images: [UInt8] = [0, 0, 8, 3] + bigEndian(count) + bigEndian(16) + bigEndian(16)
            var labels: [UInt8] = [0, 0, 8, 1] + bigEndian(count)
            for n in 0..<count {
                let label = n % 3
                let period = 2 + Int(rng.next() % 3), phase = Int(rng.next() % 4)
                for y in 0..<16 {
                    for x in 0..<16 {
                        let h = ((y + phase) / period) % 2, v = ((x + phase) / period) % 2
                        let on = label == 1 ? h == 0 : (label == 2 ? v == 0 : (h ^ v) == 0)
                        images.append(UInt8(max(0, min(255, (on ? 200 : 50) + Int(rng.uniform(-30, 30))))))
                    }
                }
                labels.append(UInt8(label))
            }
            try Data(images).write(to: URL(fileURLWithPath: "\(idx)/\(prefix)-images-idx3-ubyte"))
            try Data(labels).write(to: URL(fileURLWithPath: "\(idx)/\(prefix)-labels-idx1-ubyte"))
        }
        try write("train", count: 60)
        try write("t10k", count: 24)
        try "checker\nrows\ncolumns\n".write(toFile: idx + "/classes.txt", atomically: true, encoding: .utf8)
        let t = try runVigil(["train", idx, "--arch", "crop_vgg", "--width", "0.25", "--input-size", "16", "--epochs", "5", "--batch", "8",
                              "--lr", "0.005", "--val-split", "0", "--threads", "1", "--out", dir + "/idxrun"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/idxrun/summary.json"))) as! [String: Any]
        XCTAssertEqual(summary["test_images"] as? Int, 24)
        let m = try Model.load(path: dir + "/idxrun/best.safetensors")
        XCTAssertEqual(m.card.labels, ["checker", "rows", "columns"])
        XCTAssertEqual(m.card.preprocessing.colorMode, .gray)
        let e = try runVigil(["eval", idx, "--model", dir + "/idxrun/best.safetensors", "--out", dir + "/idxeval", "--threads", "1"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/idxeval/summary.json"))) as! [String: Any]
        XCTAssertEqual(report["images"] as? Int, 24)
        XCTAssertEqual(report["accuracy"] as! Double, summary["test_accuracy"] as! Double, accuracy: 1e-9)
        XCTAssertGreaterThan(report["accuracy"] as! Double, 0.6, e.stdout)
        XCTAssertEqual(try runVigil(["eval", idx, "--model", dir + "/idxrun/best.safetensors", "--split", "val"]).status, 2, "no val part")
    }

    func testFinetuneHeadOnlyFromACheckpoint() throws {
        // A "pretrained" network: the one trained above stands in for an ImageNet model.
        let base = dir + "/base"
        XCTAssertEqual(try runVigil(trainArgs + ["--out", base, "--epochs", "2"]).status, 0)
        // Two of the classes, relabelled: the head must be replaced (2 outputs, new names).
        let data2 = dir + "/two"
        try FileManager.default.createDirectory(atPath: data2, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/data/train/horizontal", toPath: data2 + "/rows")
        try FileManager.default.copyItem(atPath: dir + "/data/train/vertical", toPath: data2 + "/columns")
        let r = try runVigil(["finetune", data2, "--from", base + "/last.safetensors", "--freeze", "backbone", "--epochs", "8",
                              "--lr", "0.02", "--batch", "8", "--out", dir + "/ft", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("computed once"), r.stderr)
        let ft = try Model.load(path: dir + "/ft/best.safetensors")
        XCTAssertEqual(ft.card.labels, ["columns", "rows"])
        XCTAssertEqual(ft.card.config.numClasses, 2)
        XCTAssertEqual(ft.card.preprocessing.inputSize, 16)
        let before = try weights(base + "/last.safetensors"), after = try weights(dir + "/ft/best.safetensors")
        XCTAssertEqual(after["stage1.0.0.weight"], before["stage1.0.0.weight"], "backbone frozen")
        XCTAssertEqual(after["stage3.1.1.running_var"], before["stage3.1.1.running_var"], "frozen BatchNorm statistics unchanged")
        XCTAssertEqual(after["fc.weight"]?.count, 2 * 32)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/ft/summary.json"))) as! [String: Any]
        XCTAssertGreaterThan(summary["best"] as! Double, 0.8, r.stdout)
        XCTAssertEqual(try runVigil(["finetune", data2, "--from", base + "/last.safetensors", "--unfreeze-from", "stage9", "--out", dir + "/bad",
                                     "--threads", "1"]).status, 2)

        // Partial: stage3 onwards trains, stages 1–2 (weights and BatchNorm statistics) do not.
        let p = try runVigil(["finetune", data2, "--from", base + "/last.safetensors", "--unfreeze-from", "stage3", "--epochs", "2",
                              "--batch", "8", "--out", dir + "/partial", "--threads", "1"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let partial = try weights(dir + "/partial/last.safetensors")
        XCTAssertEqual(partial["stage2.1.0.weight"], before["stage2.1.0.weight"])
        XCTAssertEqual(partial["stage2.1.1.running_mean"], before["stage2.1.1.running_mean"])
        XCTAssertNotEqual(partial["stage3.0.0.weight"], before["stage3.0.0.weight"])

        // Full, with the backbone's learning rate scaled to 0: backbone weights stay, its
        // BatchNorm statistics (training mode) move, the head learns.
        let f = try runVigil(["finetune", data2, "--from", base + "/last.safetensors", "--backbone-lr-scale", "0", "--epochs", "1",
                              "--batch", "8", "--out", dir + "/full", "--threads", "1"])
        XCTAssertEqual(f.status, 0, f.stderr)
        let full = try weights(dir + "/full/last.safetensors")
        XCTAssertEqual(full["stage1.0.0.weight"], before["stage1.0.0.weight"])
        XCTAssertNotEqual(full["stage1.0.1.running_mean"], before["stage1.0.1.running_mean"])
        XCTAssertNotEqual(full["fc.bias"], ft.network.namedParameters().first { $0.name == "fc.bias" }?.parameter.value.data)
    }
}

/// `vigil finetune --from file.pth` on the real torchvision MobileNetV2 weights (set
/// VIGIL_TORCH_WEIGHTS_DIR; scripts/test.sh does): the backbone comes from the .pth through the
/// restricted unpickler, the head is new, the output carries labels and ImageNet preprocessing.
final class FinetuneFromPthTests: XCTestCase {
    func testHeadOnlyFromTorchvisionPth() throws {
        guard let folder = ProcessInfo.processInfo.environment["VIGIL_TORCH_WEIGHTS_DIR"], !folder.isEmpty,
              FileManager.default.fileExists(atPath: folder + "/mobilenet_v2-b0353104.pth") else {
            throw XCTSkip("set VIGIL_TORCH_WEIGHTS_DIR to a folder holding mobilenet_v2-b0353104.pth")
        }
        let dir = NSTemporaryDirectory() + "vigil-ftpth-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (cls, files) in [("portrait", ["rgb_baseline_444.jpg", "orientation_1.jpg"]), ("mono", ["gray.jpg", "cmyk_plain.jpg"])] {
            try FileManager.default.createDirectory(atPath: "\(dir)/data/\(cls)", withIntermediateDirectories: true)
            for f in files { try FileManager.default.copyItem(atPath: fixturesFolder + "/jpeg/" + f, toPath: "\(dir)/data/\(cls)/\(f)") }
        }
        let r = try runVigil(["finetune", dir + "/data", "--from", folder + "/mobilenet_v2-b0353104.pth", "--arch", "mobilenet_v2",
                              "--freeze", "backbone", "--epochs", "2", "--batch", "4", "--val-split", "0", "--out", dir + "/out"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let m = try Model.load(path: dir + "/out/last.safetensors")
        XCTAssertEqual(m.card.labels, ["mono", "portrait"])
        XCTAssertEqual(m.card.config.numClasses, 2)
        XCTAssertEqual(m.card.preprocessing.inputSize, 224)
        XCTAssertEqual(m.card.preprocessing.mean, [0.485, 0.456, 0.406])
        // The first convolution is torchvision's, moved to channels-last: out channel 0,
        // tap (0, 0), input channel 0 equals the .pth's weight[0, 0, 0, 0].
        let state = try TorchFile.load(path: folder + "/mobilenet_v2-b0353104.pth")
        let torchFirst = state.first { $0.name == "features.0.0.weight" }!.tensor.data[0]
        let ours = m.network.namedParameters().first { $0.name == "features.0.0.weight" }!.parameter.value
        XCTAssertEqual(ours.shape.dims, [32, 3, 3, 3])
        XCTAssertEqual(ours.data[0], torchFirst)
    }
}
