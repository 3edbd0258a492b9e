import Foundation
import XCTest

/// A small configuration of the shipped tile classifier's commands learns: `vigil synth tiles` →
/// `vigil finetune --into mobilenet_v2_s16` (head only, a few tiles) separates defect types far
/// above chance on tiles of other products.
final class TileClassifierTests: XCTestCase {
    func testSmallTileClassifierLearns() throws {
        let cache = ProcessInfo.processInfo.environment["VIGIL_CACHE_DIR"] ?? (NSHomeDirectory() + "/.cache/vigil/models")
        guard FileManager.default.fileExists(atPath: cache + "/mobilenet_v2.safetensors") else {
            throw XCTSkip("SKIPPED: the tile classifier starts from the pretrained mobilenet_v2; run scripts/fetch-models.sh")
        }
        let dir = NSTemporaryDirectory() + "vigil-tiles-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try runVigil(["synth", "tiles", "--out", dir + "/train", "--kinds", "painted_panel", "--per-class", "24", "--tile", "48", "--seed", "1"]).status, 0)
        XCTAssertEqual(try runVigil(["synth", "tiles", "--out", dir + "/test", "--kinds", "painted_panel", "--per-class", "10", "--tile", "48", "--seed", "2"]).status, 0)
        let tune = try runVigil(["finetune", dir + "/train", "--from", "mobilenet_v2", "--into", "mobilenet_v2_s16", "--input-size", "48",
                                 "--freeze", "backbone", "--epochs", "30", "--lr", "0.003", "--val-split", "0", "--out", dir + "/run", "--threads", "2"])
        XCTAssertEqual(tune.status, 0, tune.stderr)
        XCTAssertTrue(tune.stderr.contains("mobilenet_v2_s16"), tune.stderr)
        let eval = try runVigil(["eval", dir + "/test", "--model", dir + "/run/last.safetensors", "--out", dir + "/report"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report/summary.json"))) as! [String: Any]
        let accuracy = summary["accuracy"] as? Double ?? 0
        XCTAssertGreaterThan(accuracy, 0.5, "five labels: chance is 0.2; \(eval.stdout)")
        // The cut model is small: features.0–13 and a 96 → 5 head.
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/run/last.safetensors")[.size] as! Int
        XCTAssertLessThan(size, 3_000_000)
    }
}
