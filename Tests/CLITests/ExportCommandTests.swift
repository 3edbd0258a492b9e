import Foundation
import Layers
import XCTest
import Zoo

/// `vigil export`: a model file and a random zoo architecture become ONNX files; bad requests
/// fail with the documented exit codes and name what is wrong. (The numbers of the graph are
/// checked against ONNX Runtime in ExportTests.)
final class ExportCommandTests: XCTestCase {
    func testExportsModelFilesAndRandomArchitectures() throws {
        let dir = NSTemporaryDirectory() + "vigil-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = Zoo.entry("crop_vgg")!.defaultConfig
        config.numClasses = 3
        try Model(zoo: "crop_vgg", config: config, labels: ["stop", "yield", "other"], seed: 1).save(path: dir + "/m.safetensors")

        let fromFile = try runVigil(["export", dir + "/m.safetensors", "--out", dir + "/m.onnx"])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        XCTAssertTrue(fromFile.stderr.contains("crop_vgg"), fromFile.stderr)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/m.onnx"))
        // Every weight after folding (the BatchNorms' go into the convolutions) is in the file.
        let folded = try Model.load(path: dir + "/m.safetensors")
        folded.network.fuseForInference()
        let values = folded.network.namedParameters().reduce(0) { $0 + $1.parameter.value.count }
        XCTAssertGreaterThan(bytes.count, 4 * values)
        XCTAssertLessThan(bytes.count, 4 * values + 100_000)
        // The card's labels travel in the metadata.
        XCTAssertNotNil(bytes.range(of: Data("yield".utf8)))

        let random = try runVigil(["export", "lenet5", "--random", "--seed", "3", "--out", dir + "/l.onnx"])
        XCTAssertEqual(random.status, 0, random.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/l.onnx"))

        let badFormat = try runVigil(["export", "lenet5", "--random", "--format", "tflite", "--out", dir + "/x"])
        XCTAssertEqual(badFormat.status, 64)
        XCTAssertTrue(badFormat.stderr.contains("tflite"), badFormat.stderr)
        let missing = try runVigil(["export", dir + "/nope.safetensors", "--out", dir + "/x.onnx"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("nope.safetensors"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.onnx"), "nothing half-written")
    }
}
