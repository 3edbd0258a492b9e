import Checkpoint
import Datasets
import Foundation
import ImageIO
import TensorCore
import XCTest
import Zoo
@testable import Anomaly
import Training

final class AnomalyTests: XCTestCase {
    /// Greedy coreset: the isolated far points are kept first, and the fast selection (threads,
    /// no projection needed at d ≤ 64) equals the obvious loop.
    func testCoresetKeepsTheFarthestPoints() {
        var rng = SeededRNG(seed: 5)
        let d = 8
        var x: [Float] = []
        for _ in 0..<200 { for _ in 0..<d { x.append(Float(rng.uniform(-1, 1))) } }  // a cluster
        let far: [[Float]] = [[40, 0, 0, 0, 0, 0, 0, 0], [0, -35, 0, 0, 0, 0, 0, 0], [0, 0, 0, 30, 30, 0, 0, 0]]
        for p in far { x += p }
        let n = x.count / d
        let chosen = Coreset.select(x, n: n, d: d, count: 6, seed: 3, threads: 2)
        XCTAssertEqual(chosen.count, 6)
        XCTAssertTrue(Set(chosen).isSuperset(of: [200, 201, 202]), "the three outliers are kept: \(chosen)")
        XCTAssertEqual(chosen, Coreset.selectReference(x, n: n, d: d, count: 6, first: chosen[0]))
        // Covering radius: every point lies within the distance of the last pick.
        let all = Coreset.select(x, n: n, d: d, count: n + 5, seed: 1)
        XCTAssertEqual(Set(all).count, n, "asking for more than n returns each point once")
    }

    func testNearestNeighbourDistancesByMatrixProductEqualTheDirectLoop() {
        var rng = SeededRNG(seed: 9)
        let d = 13
        let memory = (0..<(300 * d)).map { _ in Float(rng.uniform(-2, 2)) }
        let queries = (0..<(517 * d)).map { _ in Float(rng.uniform(-2, 2)) }
        let nn = NearestNeighbours(memory: memory, dim: d)
        let fast = nn.distances(queries, context: Context(threads: 2)), slow = nn.distancesReference(queries)
        XCTAssertEqual(fast.count, 517)
        for (a, b) in zip(fast, slow) { XCTAssertEqual(a, b, accuracy: 1e-3) }
        XCTAssertEqual(nn.distances(Array(memory[0..<(5 * d)]), context: Context(threads: 1)).max()!, 0, accuracy: 2e-3)
    }

    func testThresholdGivesItsFalsePositiveRateOnTheValidationScores() {
        var rng = SeededRNG(seed: 2)
        let scores = (0..<40).map { _ in Float(rng.uniform(0, 1)) }
        for fpr in [0.0, 0.05, 0.1, 0.25] {
            let t = Threshold.atFalsePositiveRate(scores, fpr)
            let above = scores.filter { $0 > t }.count
            XCTAssertEqual(above, Int(fpr * 40), "fpr \(fpr)")
        }
        XCTAssertEqual(Threshold.atFalsePositiveRate([], 0.1), .infinity)
    }

    func testAUROCAndF1AgainstHandComputedValues() {
        // Pairs (anomalous, good): (0.35 vs 0.1 ✓, 0.35 vs 0.4 ✗, 0.8 vs both ✓) → 3/4.
        XCTAssertEqual(AnomalyMetrics.auroc(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true]), 0.75, accuracy: 1e-12)
        XCTAssertEqual(AnomalyMetrics.auroc(scores: [0.5, 0.5], labels: [false, true]), 0.5, accuracy: 1e-12, "ties count half")
        let f = AnomalyMetrics.f1(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true], threshold: 0.3)
        XCTAssertEqual(f.precision, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(f.recall, 1, accuracy: 1e-12)
        let roc = AnomalyMetrics.roc(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true])
        XCTAssertEqual(roc.first!.fpr, 0)
        XCTAssertEqual(roc.last!.tpr, 1)
    }

    /// Striped, noisy 64×64 "parts"; the defect is a dark blob planted on the same part.
    static func part(seed: UInt64, blob: Bool) -> Image {
        var rng = SeededRNG(seed: seed)
        let phase = Int(rng.next() % 6)
        var px = [UInt8](repeating: 0, count: 64 * 64 * 3)
        for y in 0..<64 {
            for x in 0..<64 {
                var v = ((x + phase) / 3) % 2 == 0 ? 170.0 : 120.0
                v += Double(rng.uniform(-12, 12))
                if blob && (x - 40) * (x - 40) + (y - 22) * (y - 22) < 36 { v = 30 }
                for c in 0..<3 { px[(y * 64 + x) * 3 + c] = UInt8(max(0, min(255, v + Double(c) * 10))) }
            }
        }
        return Image(width: 64, height: 64, channels: 3, pixels8: px)
    }

    func testPlantedDefectScoresAboveTheGoodPartItWasPlantedOn() throws {
        var cfg = Zoo.entry("crop_vgg")!.defaultConfig
        cfg.numClasses = 2
        cfg.widthMultiplier = 0.5
        cfg.inputSize = 64
        let backbone = try Model(zoo: "crop_vgg", config: cfg, seed: 4)
        var config = PatchCore.Config()
        config.backbone = "test"
        config.layers = ["stage1", "stage2"]
        config.inputSize = 64
        config.memoryMB = 0.2
        config.blurSigma = 1
        let good = (0..<12).map { Self.part(seed: UInt64($0), blob: false) }
        let val = (100..<110).map { Self.part(seed: UInt64($0), blob: false) }
        let model = try PatchCore.fit(good: good, validation: val, config: config, backbone: backbone, fpr: 0.1, threads: 2)
        XCTAssertEqual(val.filter { model.score($0, context: Context(threads: 1)).score > model.threshold }.count, 1, "10 % of 10")
        let ctx = Context(threads: 1)
        for s in [200, 201, 202] as [UInt64] {
            let ok = model.score(Self.part(seed: s, blob: false), context: ctx)
            let ng = model.score(Self.part(seed: s, blob: true), context: ctx)
            XCTAssertGreaterThan(ng.score, ok.score, "seed \(s)")
            XCTAssertGreaterThan(ng.score, model.threshold, "seed \(s): the planted defect is NG")
            let peak = ng.map.indices.max { ng.map[$0] < ng.map[$1] }!
            let (px, py) = (peak % 64, peak / 64)
            XCTAssertLessThan(abs(px - 40) + abs(py - 22), 14, "the map peaks on the blob: (\(px), \(py))")
        }
        // Save and load: the same scores.
        let path = NSTemporaryDirectory() + "pc-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path: path)
        let back = try PatchCore.load(path: path, file: try SafeTensorsFile.read(path: path)) { _ in backbone }
        XCTAssertEqual(back.threshold, model.threshold)
        let img = Self.part(seed: 300, blob: true)
        XCTAssertEqual(back.score(img, context: ctx).score, model.score(img, context: ctx).score, accuracy: 1e-5)
    }

    func testAutoencoderLearnsToReconstructAndFlagsThePlantedDefect() throws {
        var config = AutoencoderDetector.Config()
        config.inputSize = 32
        config.width = 0.25
        config.epochs = 25
        config.batch = 8
        config.blurSigma = 1
        let good = (0..<24).map { Self.part(seed: UInt64($0), blob: false) }
        let folder = NSTemporaryDirectory() + "vigil-ae-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (det, history) = try AutoencoderTask.fit(good: good, validation: (100..<108).map { Self.part(seed: UInt64($0), blob: false) }, config: config,
                                                     fpr: 0.125, threads: 2, folder: folder)
        let losses = history.compactMap { $0["train_loss"] }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/metrics.csv"))
        XCTAssertLessThan(losses.last!, losses.first! * 0.5, "it learns: \(losses.first!) → \(losses.last!)")
        let ctx = Context(threads: 1)
        var wins = 0
        for s in [200, 201, 202, 203] as [UInt64] where det.score(Self.part(seed: s, blob: true), context: ctx).score > det.score(Self.part(seed: s, blob: false), context: ctx).score { wins += 1 }
        XCTAssertGreaterThanOrEqual(wins, 3)
    }

    func testMVTecLayoutAndPlainFolders() throws {
        let root = NSTemporaryDirectory() + "mvtec-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let png = try ImageCodec.encodePNG(Self.part(seed: 1, blob: false))
        for f in ["train/good/000.png", "train/good/001.png", "test/good/000.png", "test/scratch/000.png", "test/scratch/001.png",
                  "ground_truth/scratch/000_mask.png", "plain/good/a.png", "plain/defect/b.png"] {
            try FileManager.default.createDirectory(atPath: ((root + "/" + f) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(png).write(to: URL(fileURLWithPath: root + "/" + f))
        }
        let d = try AnomalyDataset.open(root)
        XCTAssertTrue(d.isMVTec)
        XCTAssertEqual(d.train.count, 2)
        XCTAssertEqual(d.test.map(\.defect), [nil, "scratch", "scratch"])
        XCTAssertEqual(d.test[1].mask, root + "/ground_truth/scratch/000_mask.png")
        XCTAssertNil(d.test[2].mask, "a missing mask is nil, not a wrong path")
        let plain = try AnomalyDataset.open(root + "/plain")
        XCTAssertFalse(plain.isMVTec)
        XCTAssertEqual(plain.test.map(\.defect), [nil, "defect"])
        XCTAssertThrowsError(try AnomalyDataset.open(root + "/train/good/000.png"))
    }
}
