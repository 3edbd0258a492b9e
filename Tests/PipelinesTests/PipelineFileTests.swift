import Foundation
import Inference
import XCTest
import Zoo
@testable import Pipelines

/// A small random-weight classifier saved to a temporary folder (crop_vgg, 48 px, 3 classes).
func makeModel(in dir: String, name: String = "model.safetensors") throws -> String {
    let path = dir + "/" + name
    var config = Zoo.entry("crop_vgg")!.defaultConfig
    config.numClasses = 3
    config.widthMultiplier = 0.25
    try Model(zoo: "crop_vgg", config: config, labels: ["stop", "yield", "other"], seed: 1).save(path: path)
    return path
}

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func environment(_ dir: String, workers: Int = 1, planOnly: Bool = true) -> StageEnvironment {
    StageEnvironment(store: ModelStore(folder: ModelStore.defaultFolder()), outputDirectory: dir + "/out", baseDirectories: [dir, ""],
                     workers: workers, resume: false, planOnly: planOnly)
}

final class PipelineFileTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vigil-pipeline-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Every broken file under Fixtures/broken fails with the message its first line expects:
    /// the file, the line and the key.
    func testBrokenFilesFailWithFileLineAndKey() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/broken").path
        let model = try makeModel(in: dir)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 15)
        for name in names {
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8).replacingOccurrences(of: "$MODEL", with: model)
            let firstLine = String(text.split(separator: "\n")[0])
            XCTAssertTrue(firstLine.hasPrefix("# expect: "), name)
            let expected = String(firstLine.dropFirst("# expect: ".count))
            let path = dir + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                let file = try PipelineFile.load(path: path)
                _ = try Plan(file: file, environment: environment(dir))
                XCTFail("\(name) passed the check")
            } catch let e as PipelineError {
                XCTAssertEqual(e.file, path, name)
                XCTAssertTrue(e.description.hasPrefix(path), "\(name): \(e)")
                XCTAssertTrue(e.description.contains(expected), "\(name): expected …\(expected)…, got \(e)")
            }
        }
    }

    func testShippedPipelinesPassTheCheckAndBuiltinsMatchTheirFiles() throws {
        let folder = repoRoot + "/pipelines"
        for (name, text) in BuiltinPipelines.all {
            XCTAssertEqual(try String(contentsOfFile: "\(folder)/\(name).yaml", encoding: .utf8), text, "\(name): built-in text differs from pipelines/\(name).yaml")
        }
        let hasWeights = ModelStore(folder: ModelStore.defaultFolder()).hasPretrained("mobilenet_v2")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 4)
        for f in files {
            let file = try PipelineFile.load(path: folder + "/" + f)
            let usesZoo = file.stages.contains { ["classify", "features", "explain", "anomaly"].contains($0.kind) }
            if usesZoo && !hasWeights { continue }  // the pretrained weights come from scripts/fetch-models.sh
            var env = environment(dir)
            env.baseDirectories = [folder, ""]  // as vigil pipeline resolves paths: the file's folder first
            XCTAssertNoThrow(try Plan(file: file, environment: env), f)
        }
    }

    func testSetOverridesAParameterAndRejectsUnknownStages() throws {
        var file = try PipelineFile.parse("version: 1\nstages:\n  - decode: {}\n  - propose: {colors: [red]}\n  - nms: {iou: 0.5, per_class: false}\n  - write: {format: jsonl, path: r.jsonl}\n", path: "p.yaml")
        try file.set("nms.iou=0.3")
        try file.set("propose.min_area=500")
        let plan = try Plan(file: file, environment: environment(dir))
        XCTAssertEqual((plan.stages[2] as! NMSStage).iou, 0.3)
        XCTAssertEqual((plan.stages[1] as! ProposeStage).options.minArea, 500)
        XCTAssertThrowsError(try file.set("classify.top_k=3")) { XCTAssertTrue("\($0)".contains("no stage classify"), "\($0)") }
        XCTAssertThrowsError(try file.set("nms")) { XCTAssertTrue("\($0)".contains("STAGE.KEY=VALUE"), "\($0)") }
        try file.set("nms.iou=7")
        XCTAssertThrowsError(try Plan(file: file, environment: environment(dir))) { XCTAssertTrue("\($0)".contains("stages[2].nms.iou: must be in"), "\($0)") }
    }

    /// The dry run's FLOPs are the model's profile (what `vigil inspect` prints).
    func testDryRunShowsShapesAndTheModelsFLOPs() throws {
        let model = try makeModel(in: dir)
        let file = try PipelineFile.parse("version: 1\nstages:\n  - decode: {}\n  - preprocess: {model: \(model)}\n  - classify: {model: \(model), top_k: 2}\n  - write: {format: csv, path: c.csv}\n", path: dir + "/p.yaml")
        let plan = try Plan(file: file, environment: environment(dir))
        let text = plan.describe(batch: 4)
        let flops = Profile.of(try Model.load(path: model)).flops
        XCTAssertTrue(text.contains(String(format: "%.3f GFLOPs per image", flops / 1e9)), text)
        XCTAssertTrue(text.contains("input (1, 48, 48, 3)"), text)
        XCTAssertTrue(text.contains("top-2 classes"), text)
        XCTAssertTrue(text.contains("estimated peak memory"), text)
    }

    func testTilesCoverTheImageWithoutHangingOver() {
        let tiles = TileStage.tiles(width: 300, height: 200, size: 128, stride: 96)
        // x origins 0, 96, 172 (moved in to end at the edge); y origins 0, 72.
        XCTAssertEqual(tiles.count, 6)
        XCTAssertEqual(Set(tiles.map(\.x0)), [0, 96, 172])
        XCTAssertEqual(Set(tiles.map(\.y0)), [0, 72])
        XCTAssertTrue(tiles.allSatisfy { $0.x1 <= 300 && $0.y1 <= 200 && $0.width == 128 && $0.height == 128 })
        XCTAssertEqual(TileStage.tiles(width: 50, height: 40, size: 128, stride: 64).count, 1, "a small image is one tile")
    }

    /// A killed run's partial records: complete items are kept, the last item (maybe cut between
    /// its rows) and a torn line are dropped, and the kept keys are reported as done.
    func testRecordSinkResumeKeepsCompleteItems() throws {
        let out = dir + "/r.csv"
        let header = RecordSink.csvColumns.joined(separator: ",")
        let partial = header + "\na.png,,,ok,,10,10,stop,0,0.9,0,0,5,5,proposal,,,\nb.png,,,error,bad,0,0,,,,,,,,,,,\n"
            + "c.png,,,ok,,10,10,stop,0,0.8,0,0,5,5,proposal,,,\nc.png,,,ok,,10,10,yiel"
        try partial.write(toFile: out + ".partial", atomically: true, encoding: .utf8)
        let sink = try RecordSink(format: "csv", output: out, resume: true)
        XCTAssertEqual(sink.done, ["a.png", "b.png"])
        XCTAssertEqual(sink.previousFailures, 1)
        var item = PipelineItem(source: "c.png", file: nil)
        item.width = 10
        item.height = 10
        try sink.write(item)
        try sink.finish()
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        XCTAssertEqual(String(lines[0]), header)
        XCTAssertTrue(lines[3].hasPrefix("c.png,,,ok,,10,10,,"))
        XCTAssertEqual(RecordSink.csvColumns.count, CSVLine.split(String(lines[3])).count)
    }
}
