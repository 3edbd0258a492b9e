import Foundation
import XCTest

/// `vigil synth surfaces` → `vigil anomaly fit` → `vigil anomaly score` → `vigil eval --task
/// anomaly`, small: files, records, verdicts and exit codes.
final class AnomalyCommandTests: XCTestCase {
    func testSynthFitScoreAndEvaluate() throws {
        let dir = NSTemporaryDirectory() + "vigil-anomaly-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let synth = try runVigil(["synth", "surfaces", "--out", dir + "/data", "--kinds", "painted_panel", "--train", "12", "--test-good", "4",
                                  "--test-per-defect", "2", "--size", "64", "--seed", "3"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        let cat = dir + "/data/painted_panel"
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cat + "/train/good").count, 12)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cat + "/ground_truth/scratch").sorted(), ["000_mask.png", "001_mask.png"])

        // The autoencoder needs no pretrained weights; a few epochs on 64 px parts.
        let fit = try runVigil(["anomaly", "fit", cat, "--method", "autoencoder", "--epochs", "3", "--input-size", "32", "--out", dir + "/ae.safetensors",
                                "--fpr", "0.34", "--threads", "2"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertTrue(fit.stderr.contains("threshold"), fit.stderr)
        try FileManager.default.copyItem(atPath: fixturesFolder + "/bad/png_bad_crc.png", toPath: cat + "/test/good/zz_broken.png")
        let score = try runVigil(["anomaly", "score", cat + "/test", "--model", dir + "/ae.safetensors", "--out", dir + "/scored"])
        XCTAssertEqual(score.status, 1, "one file is broken: \(score.stderr)")
        let records = try String(contentsOfFile: dir + "/scored/records.jsonl", encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(records.count, 5 + 12)
        for r in records where r["status"] as? String == "ok" {
            XCTAssertTrue(["OK", "NG"].contains(r["verdict"] as? String ?? ""), "\(r)")
            XCTAssertNotNil(r["anomaly_score"] as? Double)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/scored/scratch/000.jpg"))
        XCTAssertEqual(records.first { ($0["path"] as? String)?.hasSuffix("zz_broken.png") == true }?["status"] as? String, "error")
        try FileManager.default.removeItem(atPath: cat + "/test/good/zz_broken.png")

        let eval = try runVigil(["eval", "--task", "anomaly", cat, "--model", dir + "/ae.safetensors", "--out", dir + "/report"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("image AUROC"), eval.stdout)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report/summary.json"))) as! [String: Any]
        XCTAssertEqual(summary["images"] as? Int, 16)
        XCTAssertEqual((summary["perDefect"] as! [Any]).count, 6)
        XCTAssertNotNil(summary["pixelAUROC"] as? Double, "the masks give a pixel AUROC")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/report/roc.png"))
        // Not an anomaly model, and a bad method: clear errors.
        let wrong = try runVigil(["anomaly", "score", cat + "/test", "--model", cat + "/train/good/000.png"])
        XCTAssertEqual(wrong.status, 2, wrong.stderr)
        XCTAssertEqual(try runVigil(["anomaly", "fit", cat, "--method", "magic", "--out", dir + "/x.safetensors"]).status, 64)
    }

    /// A small PatchCore fit (the shipped models' command on fewer, smaller images) separates
    /// defective generated parts from good ones.
    func testSmallPatchCoreFitLearnsWhatGoodLooksLike() throws {
        let cache = ProcessInfo.processInfo.environment["VIGIL_CACHE_DIR"] ?? (NSHomeDirectory() + "/.cache/vigil/models")
        guard FileManager.default.fileExists(atPath: cache + "/mobilenet_v2.safetensors") else {
            throw XCTSkip("SKIPPED: PatchCore needs the pretrained mobilenet_v2; run scripts/fetch-models.sh")
        }
        let dir = NSTemporaryDirectory() + "vigil-patchcore-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try runVigil(["synth", "surfaces", "--out", dir, "--kinds", "painted_panel", "--train", "20", "--test-good", "6",
                                     "--test-per-defect", "2", "--size", "128", "--seed", "1"]).status, 0)
        let fit = try runVigil(["anomaly", "fit", dir + "/painted_panel", "--memory-mb", "0.25", "--input-size", "160", "--out", dir + "/pc.safetensors"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let eval = try runVigil(["eval", "--task", "anomaly", dir + "/painted_panel", "--model", dir + "/pc.safetensors", "--out", dir + "/report"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/report/summary.json"))) as! [String: Any]
        XCTAssertGreaterThan(summary["imageAUROC"] as! Double, 0.8, eval.stdout)
        XCTAssertGreaterThan(summary["pixelAUROC"] as! Double, 0.8, eval.stdout)
    }
}
