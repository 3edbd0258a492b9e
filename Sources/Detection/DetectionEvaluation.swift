// Object-detection evaluation as COCO and Pascal VOC users expect it: greedy matching per image
// and class, AP with 101-point interpolation at one IoU threshold and averaged over 0.50…0.95.
// Curves and operating points: DetectionEvaluation+Curves.swift; false positives and misses:
// DetectionEvaluation+Errors.swift; the JSON summary: DetectionEvaluation+Report.swift.

/// Collects predictions and ground truth image by image and scores them per class.
///
/// Matching follows COCO (see `GreedyMatch`): within each image and class, predictions by
/// descending score each take the unmatched ground-truth box they overlap most, if that IoU
/// is at least the threshold (an IoU equal to the threshold counts). AP is COCO's
/// 101-point interpolated AP (`AveragePrecision`); "COCO AP" is its mean over IoU thresholds
/// 0.50, 0.55, …, 0.95. A class with no ground truth has no AP (nil), and means over classes
/// skip it, rather than counting it as 0.
///
/// ```swift
/// var eval = DetectionEvaluation(classNames: ["car", "sign"])
/// for (name, dets, truth) in results { eval.add(image: name, predictions: dets, truth: truth) }
/// let map50 = eval.meanAveragePrecision(iou: 0.5)
/// let coco = eval.cocoMeanAveragePrecision()
/// let json = try JSONEncoder().encode(eval.report())
/// ```
///
/// Differences from pycocotools: no crowd or "ignore" boxes and no area ranges; recall levels
/// and IoU thresholds are the doubles nearest `k / 100` (numpy's `linspace` is off by an ulp
/// at some of them).
public struct DetectionEvaluation: Sendable {
    /// Class names; `Detection.classIndex` and `GroundTruthBox.classIndex` index this list.
    public let classNames: [String]
    /// Only the best-scoring this many predictions of each class in each image are scored,
    /// as COCO's `maxDets` (100); nil scores them all.
    public let maxDetectionsPerImage: Int?
    /// Ground-truth boxes added, per class.
    public private(set) var groundTruthCounts: [Int]
    /// Predictions added, per class (before the per-image cap).
    public private(set) var predictionCounts: [Int]
    /// Predictions left out: class index outside `classNames`, a non-finite score or box.
    public private(set) var ignoredPredictions = 0
    /// Ground-truth boxes left out: class index outside `classNames` or a non-finite box.
    public private(set) var ignoredGroundTruth = 0

    /// One added image, with only the usable predictions and boxes.
    struct EvaluatedImage: Sendable {
        var name: String
        var predictions: [Detection]
        var truth: [GroundTruthBox]
    }

    var images: [EvaluatedImage] = []

    /// IoU thresholds of COCO's headline AP: 0.50, 0.55, …, 0.95.
    public static let cocoThresholds: [Double] = (0..<10).map { Double(50 + 5 * $0) / 100 }

    public init(classNames: [String], maxDetectionsPerImage: Int? = 100) {
        self.classNames = classNames
        self.maxDetectionsPerImage = maxDetectionsPerImage
        groundTruthCounts = [Int](repeating: 0, count: classNames.count)
        predictionCounts = [Int](repeating: 0, count: classNames.count)
    }

    /// Number of images added (an image may appear with no predictions, no truth, or neither).
    public var imageCount: Int { images.count }

    /// Adds one image's predictions and ground truth, both in the same pixel frame.
    /// `image` names it in error listings; names need not be unique.
    public mutating func add(image: String, predictions: [Detection], truth: [GroundTruthBox]) {
        let known = 0..<classNames.count
        let preds = predictions.filter { known.contains($0.classIndex) && $0.score.isFinite && $0.box.isFinite }
        let gts = truth.filter { known.contains($0.classIndex) && $0.box.isFinite }
        ignoredPredictions += predictions.count - preds.count
        ignoredGroundTruth += truth.count - gts.count
        for p in preds { predictionCounts[p.classIndex] += 1 }
        for g in gts { groundTruthCounts[g.classIndex] += 1 }
        images.append(EvaluatedImage(name: image, predictions: preds, truth: gts))
    }

    // MARK: - Average precision

    /// AP of one class at one IoU threshold; nil when the class has no ground truth (or the
    /// index is out of range).
    public func averagePrecision(classIndex: Int, iou: Double = 0.5) -> Double? {
        averagePrecisions(iou: iou)[safe: classIndex] ?? nil
    }

    /// AP of every class at one IoU threshold, indexed like `classNames`.
    public func averagePrecisions(iou: Double = 0.5) -> [Double?] {
        rankings(thresholds: [iou]).map { AveragePrecision.coco101(hits: $0.hits[0], groundTruth: $0.groundTruth) }
    }

    /// AP of one class averaged over `thresholds`; nil without ground truth.
    public func averagePrecision(classIndex: Int, averagedOver thresholds: [Double]) -> Double? {
        averagePrecisions(averagedOver: thresholds)[safe: classIndex] ?? nil
    }

    /// AP of every class averaged over `thresholds`, indexed like `classNames`.
    public func averagePrecisions(averagedOver thresholds: [Double]) -> [Double?] {
        guard !thresholds.isEmpty else { return classNames.map { _ in nil } }
        return rankings(thresholds: thresholds).map { r in
            let aps = r.hits.compactMap { AveragePrecision.coco101(hits: $0, groundTruth: r.groundTruth) }
            return aps.isEmpty ? nil : aps.reduce(0, +) / Double(aps.count)
        }
    }

    /// COCO's AP@[.5:.95] of one class: its AP averaged over `cocoThresholds`.
    public func cocoAveragePrecision(classIndex: Int) -> Double? {
        averagePrecision(classIndex: classIndex, averagedOver: Self.cocoThresholds)
    }

    /// Mean AP over the classes that have ground truth at one IoU threshold (mAP@0.5 for
    /// 0.5, Pascal VOC's headline number, though VOC itself interpolates differently);
    /// nil when no class has ground truth.
    public func meanAveragePrecision(iou: Double = 0.5) -> Double? {
        Self.mean(averagePrecisions(iou: iou))
    }

    /// COCO's headline AP@[.5:.95]: per-class AP averaged over `cocoThresholds`, then over
    /// the classes that have ground truth; nil when none has.
    public func cocoMeanAveragePrecision() -> Double? {
        Self.mean(averagePrecisions(averagedOver: Self.cocoThresholds))
    }

    /// The mean of the non-nil values, nil when there are none.
    static func mean(_ values: [Double?]) -> Double? {
        let v = values.compactMap { $0 }
        return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
    }

    // MARK: - Matching

    /// The greedy matches of every class present in image `i`, by class index.
    func matches(inImage i: Int) -> [(classIndex: Int, match: GreedyMatch)] {
        let image = images[i]
        let present = Set(image.predictions.map(\.classIndex)).union(image.truth.map(\.classIndex)).sorted()
        return present.map { c in
            (c, GreedyMatch(predictions: image.predictions, truth: image.truth, classIndex: c, cap: maxDetectionsPerImage))
        }
    }

    /// One class's scored predictions over all images, best first, and which of them are
    /// true positives at each threshold asked for.
    struct ClassRanking {
        /// Scores in rank order: descending; ties in image order, then the image's own order.
        var scores: [Float] = []
        /// `hits[t][r]`: prediction `r` is a true positive at threshold `t`.
        var hits: [[Bool]]
        /// Ground-truth boxes of the class, over all images.
        var groundTruth: Int
    }

    /// A `ClassRanking` per class (indexed like `classNames`) at each of `thresholds`. IoUs are
    /// computed once per image and class and reused for every threshold.
    func rankings(thresholds: [Double]) -> [ClassRanking] {
        struct Entry { var score: Float; var order: Int; var hits: [Bool] }
        var entries = [[Entry]](repeating: [], count: classNames.count)
        for i in images.indices {
            for (c, m) in matches(inImage: i) {
                let assigned = thresholds.map { m.assignments(threshold: $0) }
                for (r, p) in m.ranked.enumerated() {
                    let hits = assigned.map { $0[r] != nil }
                    entries[c].append(Entry(score: images[i].predictions[p].score, order: entries[c].count, hits: hits))
                }
            }
        }
        return entries.indices.map { c in
            let sorted = entries[c].sorted { a, b in a.score != b.score ? a.score > b.score : a.order < b.order }
            return ClassRanking(scores: sorted.map(\.score),
                                hits: thresholds.indices.map { t in sorted.map { $0.hits[t] } },
                                groundTruth: groundTruthCounts[c])
        }
    }
}

private extension Box {
    /// True when all four coordinates are finite numbers.
    var isFinite: Bool { x0.isFinite && y0.isFinite && x1.isFinite && y1.isFinite }
}

private extension Array {
    /// The element at `i`, or nil when `i` is out of range.
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
