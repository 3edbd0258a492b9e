import Detection
import Foundation
import ImageIO
import XCTest
@testable import Pipelines

/// Stages on hand-made items: tiles classified and merged back into boxes, filters.
final class StageTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vigil-stages-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func plan(_ yaml: String) throws -> Plan {
        try Plan(file: try PipelineFile.parse(yaml, path: dir + "/p.yaml"), environment: environment(dir, workers: 1, planOnly: false))
    }

    func item(_ w: Int, _ h: Int) -> PipelineItem {
        var it = PipelineItem(source: "x.png", file: nil)
        it.image = Image(width: w, height: h, channels: 3, pixels8: (0..<(w * h * 3)).map { UInt8(($0 * 7) % 251) })
        it.width = w
        it.height = h
        return it
    }

    /// tile → classify (each tile's crop) → merge: every tile gets a class and a probability, and
    /// touching tiles of one class come back as one box in image coordinates.
    func testTilesAreClassifiedAndMergedIntoImageBoxes() throws {
        let model = try makeModel(in: dir)
        let p = try plan("""
            version: 1
            stages:
              - decode: {}
              - tile: {size: 48, overlap: 0}
              - classify: {model: \(model)}
              - merge: {}
              - write: {format: jsonl, path: r.jsonl}
            """)
        var items = [item(144, 96)]
        try p.stages[1].process(&items, worker: 0)
        XCTAssertEqual(items[0].regions.count, 6)
        try p.stages[2].process(&items, worker: 0)
        XCTAssertTrue(items[0].regions.allSatisfy { ["stop", "yield", "other"].contains($0.label!) && $0.score > 0.3 && $0.score <= 1 })
        let labels = Set(items[0].regions.map { $0.label! })
        try p.stages[3].process(&items, worker: 0)
        XCTAssertEqual(Set(items[0].regions.map { $0.label! }), labels)
        XCTAssertLessThanOrEqual(items[0].regions.count, 6)
        XCTAssertTrue(items[0].regions.allSatisfy { $0.origin == .merged && $0.box.x0 >= 0 && $0.box.x1 <= 144 && $0.box.y1 <= 96 })
        if labels.count == 1 {
            XCTAssertEqual(items[0].regions.map(\.box), [Box(x0: 0, y0: 0, x1: 144, y1: 96)], "six touching tiles of one class: one box")
        }
    }

    func testFilterKeepsByScoreClassAndSize() throws {
        let model = try makeModel(in: dir)
        let p = try plan("""
            version: 1
            stages:
              - decode: {}
              - propose: {colors: [red]}
              - classify: {model: \(model)}
              - filter: {min_score: 0.5, classes: [stop, yield], exclude: [yield], min_size: 10, max_size: 100}
              - write: {format: csv, path: r.csv}
            """)
        var it = PipelineItem(source: "x", file: nil)
        it.regions = [
            Region(box: Box(x0: 0, y0: 0, x1: 20, y1: 20), origin: .proposal, label: "stop", classIndex: 0, score: 0.9),   // kept
            Region(box: Box(x0: 0, y0: 0, x1: 20, y1: 20), origin: .proposal, label: "stop", classIndex: 0, score: 0.4),   // score
            Region(box: Box(x0: 0, y0: 0, x1: 20, y1: 20), origin: .proposal, label: "yield", classIndex: 1, score: 0.9),  // excluded
            Region(box: Box(x0: 0, y0: 0, x1: 20, y1: 20), origin: .proposal, label: "other", classIndex: 2, score: 0.9),  // not a class asked for
            Region(box: Box(x0: 0, y0: 0, x1: 5, y1: 20), origin: .proposal, label: "stop", classIndex: 0, score: 0.9),    // too thin
            Region(box: Box(x0: 0, y0: 0, x1: 120, y1: 20), origin: .proposal, label: "stop", classIndex: 0, score: 0.9),  // too long
        ]
        var items = [it]
        try p.stages[3].process(&items, worker: 0)
        XCTAssertEqual(items[0].regions.count, 1)
        XCTAssertEqual(items[0].regions[0].score, 0.9)
        XCTAssertEqual(items[0].regions[0].box.width, 20)
    }

    func testNMSStageKeepsTheBestOfOverlappingBoxesPerClass() throws {
        let model = try makeModel(in: dir)
        let p = try plan("version: 1\nstages:\n  - decode: {}\n  - propose: {}\n  - classify: {model: \(model)}\n  - nms: {iou: 0.5}\n  - write: {format: jsonl, path: r.jsonl}\n")
        var it = PipelineItem(source: "x", file: nil)
        it.regions = [
            Region(box: Box(x0: 0, y0: 0, x1: 10, y1: 10), origin: .proposal, label: "stop", classIndex: 0, score: 0.6),
            Region(box: Box(x0: 1, y0: 0, x1: 11, y1: 10), origin: .proposal, label: "stop", classIndex: 0, score: 0.8),
            Region(box: Box(x0: 1, y0: 0, x1: 11, y1: 10), origin: .proposal, label: "yield", classIndex: 1, score: 0.7),
        ]
        var items = [it]
        try p.stages[3].process(&items, worker: 0)
        XCTAssertEqual(items[0].regions.map(\.score), [0.8, 0.7])
    }
}
