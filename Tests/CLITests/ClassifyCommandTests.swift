import Foundation
import XCTest
import Zoo

/// `vigil classify` end to end with a small checkpoint made by the test itself (`vigil import`
/// is covered by the parity test's setup): error rows, exit codes, stable order, resume.
final class ClassifyCommandTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vigil-classify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/images/sub", withIntermediateDirectories: true)
        let jpeg = fixturesFolder + "/jpeg"
        for (i, name) in ["rgb_baseline_444.jpg", "gray.jpg", "orientation_6.jpg", "cmyk_adobe_inverted.jpg", "rgb_640x480.jpg"].enumerated() {
            try FileManager.default.copyItem(atPath: jpeg + "/" + name, toPath: dir + "/images/\(i < 3 ? "" : "sub/")\(name)")
        }
        try FileManager.default.copyItem(atPath: fixturesFolder + "/png/rgb16.png", toPath: dir + "/images/rgb16.png")
        try FileManager.default.copyItem(atPath: fixturesFolder + "/bad/png_bad_crc.png", toPath: dir + "/images/broken.png")
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: dir + "/images/sub/notes.txt"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// A small random-weight model with a card: crop_vgg, 3 classes.
    func makeModel() throws -> String {
        let path = dir + "/model.safetensors"
        var config = Zoo.entry("crop_vgg")!.defaultConfig
        config.numClasses = 3
        try Model(zoo: "crop_vgg", config: config, labels: ["stop", "yield", "other"], seed: 1).save(path: path)
        return path
    }

    func rows(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func testErrorRowsExitCodeAndOrder() throws {
        let model = try makeModel()
        let out = dir + "/out.jsonl"
        let r = try runVigil(["classify", dir + "/images", "--model", model, "--output", out, "--top-k", "2", "--batch", "3"])
        XCTAssertEqual(r.status, 1, "a file failed, so the exit status says so: \(r.stderr)")
        let got = rows(try String(contentsOfFile: out, encoding: .utf8))
        XCTAssertEqual(got.map { $0["path"] as! String },
                       ["broken.png", "gray.jpg", "orientation_6.jpg", "rgb16.png", "rgb_baseline_444.jpg",
                        "sub/cmyk_adobe_inverted.jpg", "sub/notes.txt", "sub/rgb_640x480.jpg"])
        XCTAssertEqual(got.map { $0["status"] as! String }, ["error", "ok", "ok", "ok", "ok", "ok", "error", "ok"])
        XCTAssertTrue((got[0]["error"] as! String).contains("CRC"))
        XCTAssertTrue((got[6]["error"] as! String).contains("not an image"))
        for row in got where row["status"] as! String == "ok" {
            let top = row["top"] as! [[String: Any]]
            XCTAssertEqual(top.count, 2)
            XCTAssertTrue(["stop", "yield", "other"].contains(top[0]["label"] as! String))
            XCTAssertGreaterThanOrEqual(top[0]["score"] as! Double, top[1]["score"] as! Double)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
    }

    func testResumeSkipsWrittenRowsAndDropsATornLine() throws {
        let model = try makeModel()
        let out = dir + "/out.csv"
        let full = try runVigil(["classify", dir + "/images", "--model", model, "--output", out])
        XCTAssertEqual(full.status, 1)
        let complete = try String(contentsOfFile: out, encoding: .utf8)
        let lines = complete.split(separator: "\n", omittingEmptySubsequences: false)
        // Simulate a run killed mid-row: header + 3 rows + half of the 4th, no final file.
        let torn = lines[0...3].joined(separator: "\n") + "\n" + lines[4].prefix(7)
        try FileManager.default.removeItem(atPath: out)
        try Data(torn.utf8).write(to: URL(fileURLWithPath: out + ".partial"))
        let resumed = try runVigil(["classify", dir + "/images", "--model", model, "--output", out, "--resume"])
        XCTAssertEqual(resumed.status, 1, "the earlier error row still counts")
        XCTAssertTrue(resumed.stderr.contains("3 of 8 files already done"), resumed.stderr)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), complete, "same rows, same order, nothing torn")
    }
}

/// `vigil augment`: copies, contact sheet, reproducibility.
final class AugmentCommandTests: XCTestCase {
    func testWritesCopiesAndASheetReproducibly() throws {
        let out1 = NSTemporaryDirectory() + "vigil-aug-\(UUID().uuidString)", out2 = out1 + "-again"
        defer { try? FileManager.default.removeItem(atPath: out1); try? FileManager.default.removeItem(atPath: out2) }
        let src = fixturesFolder + "/png"
        for out in [out1, out2] {
            let r = try runVigil(["augment", src, "--preset", "inspection", "--n", "2", "--out", out, "--seed", "9"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let inputs = try FileManager.default.contentsOfDirectory(atPath: src).count
        let written = try FileManager.default.contentsOfDirectory(atPath: out1).filter { $0.hasSuffix(".png") }
        XCTAssertEqual(written.count, 2 * inputs + 1, "two copies per image and the contact sheet")
        for name in written {
            XCTAssertEqual(FileManager.default.contents(atPath: out1 + "/" + name), FileManager.default.contents(atPath: out2 + "/" + name), name)
        }
        let sheet = try runVigil(["scan", out1 + "/contact-sheet.png", "--format", "jsonl"])
        XCTAssertTrue(sheet.stdout.contains("\"status\":\"ok\""), sheet.stdout)
        XCTAssertEqual(try runVigil(["augment", src, "--preset", "snow", "--out", out1]).status, 64)
    }
}

/// `vigil features`: .npy layout, manifest, layers, pooling, L2.
final class FeaturesCommandTests: XCTestCase {
    func testFeaturesNpyAndManifest() throws {
        let dir = NSTemporaryDirectory() + "vigil-features-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var config = Zoo.entry("crop_vgg")!.defaultConfig
        config.numClasses = 3
        let modelPath = dir + "/m.safetensors"
        try Model(zoo: "crop_vgg", config: config, labels: ["a", "b", "c"], seed: 2).save(path: modelPath)
        let images = fixturesFolder + "/jpeg"
        let count = try FileManager.default.contentsOfDirectory(atPath: images).count
        let r = try runVigil(["features", images, fixturesFolder + "/bad/notes.txt", "--model", modelPath, "-o", dir + "/f.npy", "--l2"])
        XCTAssertEqual(r.status, 1, "notes.txt failed: \(r.stderr)")
        let (shape, values) = try loadNpy(dir + "/f.npy")
        XCTAssertEqual(shape, [count, 128], "pooled penultimate layer of crop_vgg has 128 channels")
        for i in 0..<count {
            let norm = (0..<128).reduce(Float(0)) { $0 + values[i * 128 + $1] * values[i * 128 + $1] }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-4)
        }
        let manifest = try String(contentsOfFile: dir + "/f.npy.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(manifest.count, count + 2)
        XCTAssertTrue(manifest.last!.hasPrefix(",notes.txt,error,"))
        XCTAssertTrue(manifest[1].hasPrefix("0,cmyk_adobe_inverted.jpg,ok"))
        // Another layer, flattened: stage1 halves 48 → 24 with 32 channels.
        let r2 = try runVigil(["features", images + "/gray.jpg", "--model", modelPath, "--layer", "stage1", "--pool", "none", "-o", dir + "/g.npy"])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertEqual(try loadNpy(dir + "/g.npy").0, [1, 24 * 24 * 32])
        XCTAssertEqual(try runVigil(["features", images, "--model", modelPath, "--layer", "nope", "-o", dir + "/x.npy"]).status, 64)
    }
}

/// `vigil eval` on a tiny labelled folder: report files and a consistent summary.
final class EvalCommandTests: XCTestCase {
    func testEvalWritesSummaryAndConfusion() throws {
        let dir = NSTemporaryDirectory() + "vigil-eval-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (cls, files) in [("stop", ["rgb_baseline_444.jpg", "gray.jpg"]), ("yield", ["orientation_1.jpg", "rgb_progressive.jpg", "cmyk_plain.jpg"])] {
            try FileManager.default.createDirectory(atPath: "\(dir)/data/\(cls)", withIntermediateDirectories: true)
            for f in files { try FileManager.default.copyItem(atPath: fixturesFolder + "/jpeg/" + f, toPath: "\(dir)/data/\(cls)/\(f)") }
        }
        var config = Zoo.entry("crop_vgg")!.defaultConfig
        config.numClasses = 3
        try Model(zoo: "crop_vgg", config: config, labels: ["stop", "yield", "other"], seed: 5).save(path: dir + "/m.safetensors")
        let r = try runVigil(["eval", dir + "/data", "--model", dir + "/m.safetensors", "--out", dir + "/report", "--top-k", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report/summary.json"))) as! [String: Any]
        XCTAssertEqual(summary["images"] as? Int, 5)
        let confusion = try String(contentsOfFile: dir + "/report/confusion.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(confusion[0], "truth,stop,yield,other")
        let counts = confusion.dropFirst().map { $0.split(separator: ",").dropFirst().compactMap { Int($0) } }
        XCTAssertEqual(counts.map { $0.reduce(0, +) }, [2, 3], "every image is counted once, in its true row")
        let diagonal = Double(counts[0][0] + counts[1][1]) / 5
        XCTAssertEqual(summary["accuracy"] as! Double, diagonal, accuracy: 1e-9)
        XCTAssertEqual(try runVigil(["eval", dir + "/data", "--model", dir + "/m.safetensors", "--cache", dir]).status, 0)
        try FileManager.default.createDirectory(atPath: "\(dir)/data/unknown", withIntermediateDirectories: true)
        XCTAssertEqual(try runVigil(["eval", dir + "/data", "--model", dir + "/m.safetensors"]).status, 2, "a class the model does not know")
    }
}

/// (shape, values) of a float32 .npy written by Vigil.
func loadNpy(_ path: String) throws -> ([Int], [Float]) {
    let d = try Data(contentsOf: URL(fileURLWithPath: path))
    XCTAssertEqual(Array(d.prefix(6)), [0x93] + Array("NUMPY".utf8))
    let headerLength = Int(d[8]) | Int(d[9]) << 8
    XCTAssertEqual((10 + headerLength) % 64, 0, "data 64-byte aligned")
    let header = String(decoding: d[10..<(10 + headerLength)], as: UTF8.self)
    XCTAssertTrue(header.contains("'descr': '<f4'"), header)
    let dims = header.split(separator: "(")[1].split(separator: ")")[0].split(separator: ",")
        .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let values = d[(10 + headerLength)...].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    return (dims, values)
}
