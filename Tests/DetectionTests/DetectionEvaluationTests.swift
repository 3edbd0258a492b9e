// Known-answer tests for DetectionEvaluation: matching, 101-point AP, COCO AP, curves and error listings.
// Every expected number is worked by hand in the comment beside it.

import Foundation
import XCTest
@testable import Detection

final class DetectionEvaluationTests: XCTestCase {
    private func det(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ score: Float, cls: Int = 0) -> Detection {
        Detection(box: Box(x0: x0, y0: y0, x1: x1, y1: y1), classIndex: cls, label: "c\(cls)", score: score)
    }

    private func gt(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, cls: Int = 0) -> GroundTruthBox {
        GroundTruthBox(x0: x0, y0: y0, x1: x1, y1: y1, classIndex: cls)
    }

    /// AP of 2 objects ranked hit, miss, hit: interpolated precision is 1 at recall levels
    /// 0…0.50 (51 levels) and 2/3 at 0.51…1 (50 levels).
    private let hitMissHit = (51.0 + 50.0 * 2.0 / 3.0) / 101.0

    func testPerfectPredictionsScoreOne() throws {
        var e = DetectionEvaluation(classNames: ["car", "sign"])
        e.add(image: "a", predictions: [det(0, 0, 10, 10, 0.9), det(20, 20, 40, 40, 0.6, cls: 1)],
              truth: [gt(0, 0, 10, 10), gt(20, 20, 40, 40, cls: 1)])
        e.add(image: "b", predictions: [det(5, 5, 50, 50, 0.7)], truth: [gt(5, 5, 50, 50)])
        XCTAssertEqual(e.averagePrecisions(iou: 0.5), [1, 1])
        XCTAssertEqual(e.averagePrecisions(iou: 0.95), [1, 1])
        XCTAssertEqual(e.meanAveragePrecision(), 1)
        XCTAssertEqual(e.cocoMeanAveragePrecision(), 1)
        XCTAssertEqual(e.falsePositives(), [])
        XCTAssertEqual(e.misses(scoreThreshold: 0.5), [])
        // Lowest score that still keeps every hit: 0.7 for "car".
        XCTAssertEqual(e.bestF1(classIndex: 0), .init(scoreThreshold: 0.7, precision: 1, recall: 1, f1: 1,
                                                      truePositives: 2, falsePositives: 0, falseNegatives: 0))
        XCTAssertEqual(e.groundTruthCounts, [2, 1])
        XCTAssertEqual(e.imageCount, 2)
    }

    func testFalsePositiveRankedAboveTruePositive() {
        // One object, a false alarm (0.9) above the hit (0.8): precision after each is 0 and
        // 1/2 at recall 0 and 1; made monotone from the right both become 1/2, so every
        // recall level samples 1/2 and AP = 0.5.
        var one = DetectionEvaluation(classNames: ["x"])
        one.add(image: "a", predictions: [det(100, 100, 110, 110, 0.9), det(0, 0, 10, 10, 0.8)], truth: [gt(0, 0, 10, 10)])
        XCTAssertEqual(one.averagePrecision(classIndex: 0)!, 0.5, accuracy: 1e-12)

        // Two objects in two images, ranked hit (0.9, a), miss (0.8, a), hit (0.7, b):
        // precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 → monotone 1, 2/3, 2/3.
        var e = DetectionEvaluation(classNames: ["x"])
        e.add(image: "a", predictions: [det(100, 100, 110, 110, 0.8), det(0, 0, 10, 10, 0.9)], truth: [gt(0, 0, 10, 10)])
        e.add(image: "b", predictions: [det(0, 0, 10, 10, 0.7)], truth: [gt(0, 0, 10, 10)])
        XCTAssertEqual(e.averagePrecision(classIndex: 0)!, hitMissHit, accuracy: 1e-12)
        XCTAssertEqual(AveragePrecision.coco101(hits: [true, false, true], groundTruth: 2)!, hitMissHit, accuracy: 1e-12)

        let curve = e.precisionRecallCurve(classIndex: 0)
        XCTAssertEqual(curve.map(\.score), [0.9, 0.8, 0.7])
        XCTAssertEqual(curve.map(\.recall), [0.5, 0.5, 1])
        XCTAssertEqual(curve.map(\.precision), [1, 0.5, 2.0 / 3.0])
        XCTAssertEqual(curve.map(\.interpolatedPrecision), [1, 2.0 / 3.0, 2.0 / 3.0])
        // F1 at the three thresholds: 2/3, 1/2, 0.8 → keep everything from 0.7 up.
        let f1 = e.bestF1(classIndex: 0)
        XCTAssertEqual(f1?.scoreThreshold, 0.7)
        XCTAssertEqual(f1?.f1 ?? 0, 0.8, accuracy: 1e-12)
        XCTAssertEqual(f1.map { [$0.truePositives, $0.falsePositives, $0.falseNegatives] }, [2, 1, 0])
    }

    func testDuplicateDetectionsAreFalsePositives() {
        // Two objects; the first is found twice. The copy (0.8) cannot take the object the
        // 0.9 prediction took, so the ranking is hit, miss, hit as above.
        var e = DetectionEvaluation(classNames: ["x"])
        e.add(image: "a", predictions: [det(0, 0, 10, 10, 0.9), det(0, 0, 10, 11, 0.8), det(50, 50, 60, 60, 0.7)],
              truth: [gt(0, 0, 10, 10), gt(50, 50, 60, 60)])
        XCTAssertEqual(e.averagePrecision(classIndex: 0)!, hitMissHit, accuracy: 1e-12)
        let fps = e.falsePositives()
        XCTAssertEqual(fps.count, 1)
        XCTAssertEqual(fps.first?.kind, .duplicate)
        XCTAssertEqual(fps.first?.score, 0.8)
        XCTAssertEqual(fps.first?.bestIoUSameClass ?? 0, 100.0 / 110.0, accuracy: 1e-12)
        XCTAssertEqual(e.misses(scoreThreshold: 0), [])

        // Greedy by score: the better-scoring prediction keeps the object even when the
        // lower one overlaps it more.
        var g = DetectionEvaluation(classNames: ["x"])
        g.add(image: "a", predictions: [det(0, 0, 10, 12, 0.9), det(0, 0, 10, 10, 0.5)], truth: [gt(0, 0, 10, 10)])
        XCTAssertEqual(g.falsePositives().map(\.score), [0.5])
    }

    func testIoUThresholds() {
        // Truth 10×10; prediction 10×6 inside it: IoU = 60 / 100 = 0.6 exactly.
        var e = DetectionEvaluation(classNames: ["x"])
        e.add(image: "a", predictions: [det(0, 0, 10, 6, 0.9)], truth: [gt(0, 0, 10, 10)])
        XCTAssertEqual(e.averagePrecision(classIndex: 0, iou: 0.5), 1)
        XCTAssertEqual(e.averagePrecision(classIndex: 0, iou: 0.6), 1)      // equal to the threshold counts
        XCTAssertEqual(e.averagePrecision(classIndex: 0, iou: 0.65), 0)
        XCTAssertEqual(e.averagePrecision(classIndex: 0, iou: 0.75), 0)
        // A hit at 0.50, 0.55, 0.60 and nothing at 0.65 … 0.95: 3 of 10 thresholds.
        XCTAssertEqual(e.cocoAveragePrecision(classIndex: 0)!, 0.3, accuracy: 1e-12)
        XCTAssertEqual(e.cocoMeanAveragePrecision()!, 0.3, accuracy: 1e-12)
        XCTAssertEqual(DetectionEvaluation.cocoThresholds, [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])

        // At 0.75 it is a badly placed box, and the object is missed.
        XCTAssertEqual(e.falsePositives(iou: 0.5), [])
        let fp = e.falsePositives(iou: 0.75)
        XCTAssertEqual(fp.map(\.kind), [.localisation])
        XCTAssertEqual(fp.first?.bestIoUSameClass ?? 0, 0.6, accuracy: 1e-12)
        let miss = e.misses(scoreThreshold: 0.5, iou: 0.75)
        XCTAssertEqual(miss.count, 1)
        XCTAssertEqual(miss.first?.bestIoU ?? 0, 0.6, accuracy: 1e-12)
        XCTAssertEqual(miss.first?.bestScore, 0.9)

        let r = e.report()
        XCTAssertEqual(r.classes[0].ap50, 1)
        XCTAssertEqual(r.classes[0].ap75, 0)
        XCTAssertEqual(r.classes[0].ap ?? 0, 0.3, accuracy: 1e-12)
        XCTAssertEqual(r.meanAP ?? 0, 0.3, accuracy: 1e-12)
    }

    func testClassesWithoutGroundTruthAreLeftOutOfTheMean() throws {
        // "a": found (AP 1). "b": never found (AP 0). "c": only false alarms, no truth (no AP).
        var e = DetectionEvaluation(classNames: ["a", "b", "c"])
        e.add(image: "i", predictions: [det(0, 0, 10, 10, 0.9), det(200, 200, 210, 210, 0.95, cls: 2)],
              truth: [gt(0, 0, 10, 10), gt(50, 50, 70, 70, cls: 1)])
        XCTAssertEqual(e.averagePrecisions(iou: 0.5), [1, 0, nil])
        XCTAssertEqual(e.meanAveragePrecision(), 0.5)        // (1 + 0) / 2, not / 3
        XCTAssertEqual(e.cocoMeanAveragePrecision(), 0.5)
        XCTAssertNil(e.cocoAveragePrecision(classIndex: 2))
        XCTAssertNil(e.bestF1(classIndex: 1))                 // nothing ever found
        XCTAssertNil(e.bestF1(classIndex: 2))
        XCTAssertEqual(e.precisionRecallCurve(classIndex: 2), [])

        let r = e.report()
        XCTAssertEqual(r.meanAP50, 0.5)
        XCTAssertNil(r.classes[2].ap50)
        XCTAssertNil(r.classes[2].precisionAtRecall)
        XCTAssertEqual(r.classes[0].precisionAtRecall, [Double](repeating: 1, count: 101))
        // In JSON the class without truth has no AP fields at all, rather than a 0.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
        let classes = json["classes"] as! [[String: Any]]
        XCTAssertNil(classes[2]["ap50"])
        XCTAssertNil(classes[2]["ap"])
        XCTAssertEqual(classes[1]["ap50"] as? Double, 0)
        XCTAssertEqual(json["meanAP50"] as? Double, 0.5)

        // No truth anywhere: no means either.
        var none = DetectionEvaluation(classNames: ["a"])
        none.add(image: "i", predictions: [det(0, 0, 10, 10, 0.9)], truth: [])
        XCTAssertNil(none.meanAveragePrecision())
        XCTAssertNil(none.report().meanAP)
    }

    func testFalsePositiveKinds() {
        // A 20×20 cat. A "dog" box exactly on it is a class confusion; a cat box shifted by
        // half its width (IoU 200 / 600 = 1/3) is a localisation error; a cat box far away is
        // a background false alarm.
        var e = DetectionEvaluation(classNames: ["cat", "dog"])
        e.add(image: "p.png",
              predictions: [det(100, 100, 120, 120, 0.5), det(10, 0, 30, 20, 0.8), det(0, 0, 20, 20, 0.9, cls: 1)],
              truth: [gt(0, 0, 20, 20)])
        let fps = e.falsePositives()
        XCTAssertEqual(fps.map(\.kind), [.confusion, .localisation, .background])
        XCTAssertEqual(fps.map(\.score), [0.9, 0.8, 0.5])
        XCTAssertEqual(fps.map(\.className), ["dog", "cat", "cat"])
        XCTAssertEqual(fps.map(\.image), ["p.png", "p.png", "p.png"])
        XCTAssertEqual(fps[0].bestIoUSameClass, 0)
        XCTAssertEqual(fps[0].bestIoUAnyClass, 1)
        XCTAssertEqual(fps[0].nearestClass, "cat")
        XCTAssertEqual(fps[1].bestIoUSameClass, 1.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(fps[2].bestIoUAnyClass, 0)
        XCTAssertNil(fps[2].nearestClass)
        XCTAssertEqual(e.falsePositives(limit: 2).count, 2)
        // With a background IoU above 1/3 the shifted box counts as a false alarm too.
        XCTAssertEqual(e.falsePositives(backgroundIoU: 0.4).map(\.kind), [.confusion, .background, .background])

        let r = e.report(falsePositiveLimit: 1)
        XCTAssertEqual(r.falsePositiveCount, 3)
        XCTAssertEqual(r.worstFalsePositives.map(\.kind), [.confusion])
        XCTAssertEqual(r.falsePositiveKinds, ["confusion": 1, "localisation": 1, "background": 1, "duplicate": 0])
        // The cat itself was never found: one miss, its best same-class overlap the shifted box.
        XCTAssertEqual(r.missCount, 1)
        XCTAssertEqual(r.misses.first?.bestIoU ?? 0, 1.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(r.misses.first?.bestScore, 0.8)
    }

    func testMissesAtAScoreThreshold() {
        // Large object found with 0.4, medium found with 0.9, small not found at all.
        var e = DetectionEvaluation(classNames: ["x", "y"])
        e.add(image: "a", predictions: [det(0, 0, 100, 100, 0.4), det(200, 0, 240, 40, 0.9)],
              truth: [gt(200, 0, 240, 40), gt(300, 300, 310, 310, cls: 1), gt(0, 0, 100, 100)])
        let at05 = e.misses(scoreThreshold: 0.5)
        // Largest first: the 100×100 box (found, but below the threshold), then the 10×10 one.
        XCTAssertEqual(at05.map(\.box), [Box(x0: 0, y0: 0, x1: 100, y1: 100), Box(x0: 300, y0: 300, x1: 310, y1: 310)])
        XCTAssertEqual(at05.map(\.size), [.large, .small])
        XCTAssertEqual(at05.map(\.area), [10_000, 100])
        XCTAssertEqual(at05.map(\.className), ["x", "y"])
        XCTAssertEqual(at05.map(\.bestIoU), [1, 0])
        XCTAssertEqual(at05.map(\.bestScore), [0.4, nil])
        XCTAssertEqual(e.misses(scoreThreshold: 0.3).map(\.className), ["y"])
        XCTAssertEqual(e.misses(scoreThreshold: 0.5, limit: 1).count, 1)
        XCTAssertEqual(ObjectSize(area: 32 * 32), .medium)
        XCTAssertEqual(ObjectSize(area: 96 * 96 - 1), .medium)
    }

    func testTiesCapAndIgnoredInput() throws {
        // Equal scores rank in the order the images were added: false alarm first → AP 0.5;
        // the other way round → AP 1. The curve has one point for the shared score.
        func run(alarmFirst: Bool) -> DetectionEvaluation {
            var e = DetectionEvaluation(classNames: ["x"])
            let alarm: (String, [Detection], [GroundTruthBox]) = ("alarm", [det(0, 0, 10, 10, 0.5)], [])
            let hit: (String, [Detection], [GroundTruthBox]) = ("hit", [det(0, 0, 10, 10, 0.5)], [gt(0, 0, 10, 10)])
            for (n, p, t) in alarmFirst ? [alarm, hit] : [hit, alarm] { e.add(image: n, predictions: p, truth: t) }
            return e
        }
        XCTAssertEqual(run(alarmFirst: true).averagePrecision(classIndex: 0)!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(run(alarmFirst: false).averagePrecision(classIndex: 0), 1)
        let curve = run(alarmFirst: true).precisionRecallCurve(classIndex: 0)
        XCTAssertEqual(curve.map { [Double($0.score), $0.recall, $0.precision] }, [[0.5, 1, 0.5]])

        // Only the best prediction per image and class is scored with a cap of 1: recall
        // stops at 1/2, so levels 0…0.5 sample precision 1 and the rest 0 → 51/101.
        var capped = DetectionEvaluation(classNames: ["x"], maxDetectionsPerImage: 1)
        capped.add(image: "a", predictions: [det(0, 0, 10, 10, 0.9), det(20, 20, 30, 30, 0.8)],
                   truth: [gt(0, 0, 10, 10), gt(20, 20, 30, 30)])
        XCTAssertEqual(capped.averagePrecision(classIndex: 0)!, 51.0 / 101.0, accuracy: 1e-12)

        // Unknown classes and non-finite numbers are counted and left out, never trapped on.
        var e = DetectionEvaluation(classNames: ["x"])
        e.add(image: "a",
              predictions: [det(0, 0, 10, 10, 0.9), det(0, 0, 10, 10, .nan), det(0, 0, 10, 10, 0.8, cls: 3),
                            det(0, 0, .infinity, 10, 0.7)],
              truth: [gt(0, 0, 10, 10), gt(0, 0, 10, 10, cls: -1)])
        XCTAssertEqual(e.ignoredPredictions, 3)
        XCTAssertEqual(e.ignoredGroundTruth, 1)
        XCTAssertEqual(e.averagePrecision(classIndex: 0), 1)
        XCTAssertNil(e.averagePrecision(classIndex: 7))
        let r = e.report()
        XCTAssertEqual([r.predictions, r.groundTruthBoxes, r.ignoredPredictions, r.ignoredGroundTruth], [1, 1, 3, 1])
        let back = try JSONDecoder().decode(DetectionEvaluation.Report.self, from: JSONEncoder().encode(r))
        XCTAssertEqual(back.meanAP, 1)
        XCTAssertEqual(back.classes.first?.bestF1, r.classes.first?.bestF1)
    }

    func testAveragePrecisionEdgeCases() {
        XCTAssertNil(AveragePrecision.coco101(hits: [true], groundTruth: 0))
        XCTAssertEqual(AveragePrecision.coco101(hits: [], groundTruth: 3), 0)
        XCTAssertEqual(AveragePrecision.coco101(hits: [false, false], groundTruth: 1), 0)
        XCTAssertEqual(AveragePrecision.recallLevels.count, 101)
        XCTAssertEqual(AveragePrecision.recallLevels[50], 0.5)
        // 1 of 4 found at rank 1: levels 0…0.25 (26 of them) sample precision 1.
        XCTAssertEqual(AveragePrecision.coco101(hits: [true], groundTruth: 4)!, 26.0 / 101.0, accuracy: 1e-12)
    }
}
