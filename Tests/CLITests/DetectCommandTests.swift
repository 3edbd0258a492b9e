import Checkpoint
import Foundation
import XCTest
import Zoo

/// `vigil synth signs` → `vigil train-detect` (stopped and resumed) → `vigil detect` → `vigil eval
/// --task detect`, small: files, records, exit codes; and `--predictions` scoring records
/// against known answers.
final class DetectCommandTests: XCTestCase {
    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func testTrainDetectEvaluate() throws {
        let dir = NSTemporaryDirectory() + "vigil-detect-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let synth = try runVigil(["synth", "signs", "--out", dir + "/scenes", "--scenes", "6", "--size", "128x96", "--seed", "4"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        // A random MobileNetV2 classifier stands in for the ImageNet one (no download in this test).
        var c = Zoo.entry("mobilenet_v2")!.defaultConfig
        c.numClasses = 2
        try Model(zoo: "mobilenet_v2", config: c, labels: ["a", "b"], seed: 1).save(path: dir + "/base.safetensors")
        let train = ["train-detect", dir + "/scenes", "--out", dir + "/run", "--from", dir + "/base.safetensors", "--epochs", "1",
                     "--batch", "2", "--crop", "128x96", "--input-size", "128", "--freeze", "2", "--val-split", "0.34", "--threads", "2"]
        // A broken image is reported and left out; training goes on.
        let victim = dir + "/scenes/images/000003.jpg"
        let original = try Data(contentsOf: URL(fileURLWithPath: victim))
        try Data(original.prefix(200)).write(to: URL(fileURLWithPath: victim))
        defer { try? original.write(to: URL(fileURLWithPath: victim)) }
        let first = try runVigil(train + ["--max-steps", "1", "--checkpoint-every", "1"])
        XCTAssertEqual(first.status, 0, first.stderr + first.stdout)
        XCTAssertTrue(first.stderr.contains("resume with --resume"), first.stderr)
        let resumed = try runVigil(train + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming at epoch 1, image 2, step 1"), resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("val AP@0.5"), resumed.stdout)
        XCTAssertTrue((first.stderr + resumed.stderr).contains("left out: ") && (first.stderr + resumed.stderr).contains("000003.jpg"),
                      first.stderr + resumed.stderr)
        try original.write(to: URL(fileURLWithPath: victim))
        for f in ["best.safetensors", "last.safetensors", "checkpoint.safetensors", "metrics.csv", "curves.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/run/" + f), f)
        }
        let model = dir + "/run/best.safetensors"

        // Detect: a record per image (and an error record for a broken file), annotated images.
        try FileManager.default.copyItem(atPath: fixturesFolder + "/bad/png_bad_crc.png", toPath: dir + "/scenes/images/zz_broken.png")
        let detect = try runVigil(["detect", dir + "/scenes/images", "--model", model, "--threshold", "0", "--out", dir + "/found"])
        XCTAssertEqual(detect.status, 1, "one file is broken: \(detect.stderr)")
        let records = try String(contentsOfFile: dir + "/found/detections.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(records.count, 7)
        XCTAssertEqual(records.last?["status"] as? String, "error")
        let regions = records[0]["regions"] as! [[String: Any]]
        XCTAssertFalse(regions.isEmpty, "threshold 0 keeps the peaks")
        XCTAssertEqual((regions[0]["box"] as? [Double])?.count, 4)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/found/000000.jpg"))
        try FileManager.default.removeItem(atPath: dir + "/scenes/images/zz_broken.png")

        // Evaluate the model: AP per class, PR curves, errors.
        let eval = try runVigil(["eval", "--task", "detect", dir + "/scenes", "--model", model, "--out", dir + "/report"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("AP@0.5"), eval.stdout)
        for f in ["summary.json", "per_class.csv", "pr.png"] { XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/report/" + f), f) }

        // Records that are the ground truth itself score AP 1; with half the boxes, recall caps AP.
        let coco = try json(dir + "/scenes/annotations.json")
        let images = coco["images"] as! [[String: Any]], anns = coco["annotations"] as! [[String: Any]]
        let names = Dictionary(uniqueKeysWithValues: (coco["categories"] as! [[String: Any]]).map { ($0["id"] as! Int, $0["name"] as! String) })
        func truthRecords(keep: (Int) -> Bool) throws -> String {
            var lines: [String] = []
            var k = 0
            for im in images {
                var regions: [[String: Any]] = []
                for a in anns where a["image_id"] as! Int == im["id"] as! Int {
                    defer { k += 1 }
                    guard keep(k) else { continue }
                    let b = a["bbox"] as! [Double]
                    regions.append(["label": names[a["category_id"] as! Int]!, "score": 0.9, "box": [b[0], b[1], b[0] + b[2], b[1] + b[3]]])
                }
                let name = (im["file_name"] as! String).split(separator: "/").last!
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: ["path": String(name), "regions": regions]), as: UTF8.self))
            }
            return lines.joined(separator: "\n") + "\n"
        }
        try truthRecords(keep: { _ in true }).write(toFile: dir + "/perfect.jsonl", atomically: true, encoding: .utf8)
        let perfect = try runVigil(["eval", "--task", "detect", dir + "/scenes", "--predictions", dir + "/perfect.jsonl", "--out", dir + "/p"])
        XCTAssertEqual(perfect.status, 0, perfect.stderr)
        XCTAssertEqual(try json(dir + "/p/summary.json")["meanAP50"] as? Double, 1)
        let agnostic = try runVigil(["eval", "--task", "detect", dir + "/scenes", "--predictions", dir + "/perfect.jsonl", "--class-agnostic", "--out", dir + "/a"])
        XCTAssertEqual(agnostic.status, 0, agnostic.stderr)
        XCTAssertEqual(try json(dir + "/a/summary.json")["meanAP"] as? Double, 1)

        // Bad input: not a box dataset; a detector is not trained by vigil train.
        XCTAssertEqual(try runVigil(["train-detect", dir + "/run", "--out", dir + "/x"]).status, 2)
        XCTAssertEqual(try runVigil(["train", dir + "/scenes", "--arch", "mobilenet_v2_detect", "--out", dir + "/x"]).status, 64)
        XCTAssertEqual(try runVigil(["detect", dir + "/scenes/images", "--model", dir + "/base.safetensors", "--out", dir + "/y"]).status, 2)
    }
}
