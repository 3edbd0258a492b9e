// The evaluation's numbers in one Codable value, for JSON files and dashboards.

extension DetectionEvaluation {
    /// One class's numbers. Fields that need ground truth are nil (absent in JSON) for a
    /// class that has none.
    public struct ClassReport: Sendable, Codable {
        public var classIndex: Int
        public var name: String
        /// Ground-truth boxes of the class.
        public var groundTruth: Int
        /// Predictions of the class (before the per-image cap).
        public var predictions: Int
        /// AP at IoU 0.5.
        public var ap50: Double?
        /// AP at IoU 0.75.
        public var ap75: Double?
        /// COCO's AP@[.5:.95].
        public var ap: Double?
        /// The score threshold with the best F1 at IoU 0.5; nil also when nothing is ever found.
        public var bestF1: OperatingPoint?
        /// Interpolated precision at recall 0, 0.01, …, 1 at IoU 0.5 (COCO's `precision`
        /// array; its mean is `ap50`), enough to draw the curve COCO integrates.
        public var precisionAtRecall: [Double]?
    }

    /// Everything `report` measures.
    public struct Report: Sendable, Codable {
        public var images: Int
        public var groundTruthBoxes: Int
        public var predictions: Int
        /// Left out when added: unknown class, or a non-finite score or coordinate.
        public var ignoredPredictions: Int
        public var ignoredGroundTruth: Int
        /// See `DetectionEvaluation.maxDetectionsPerImage`.
        public var maxDetectionsPerImage: Int?
        /// The IoU thresholds `meanAP` and each class's `ap` average over.
        public var iouThresholds: [Double]
        /// Means over the classes that have ground truth; nil when none has.
        public var meanAP50: Double?
        public var meanAP75: Double?
        /// COCO's AP@[.5:.95].
        public var meanAP: Double?
        public var classes: [ClassReport]
        /// Unmatched predictions at IoU 0.5, whatever their score.
        public var falsePositiveCount: Int
        /// `falsePositiveCount` split by `FalsePositive.Kind` raw value; every kind is present.
        public var falsePositiveKinds: [String: Int]
        /// The highest-scoring false positives at IoU 0.5.
        public var worstFalsePositives: [FalsePositive]
        /// The score threshold `misses` were counted at.
        public var missScoreThreshold: Float
        /// Ground-truth boxes not found at IoU 0.5 by predictions scoring at least `missScoreThreshold`.
        public var missCount: Int
        /// The largest of those.
        public var misses: [Miss]
    }

    /// All numbers at once: per-class and mean AP at IoU 0.5, 0.75 and COCO's 0.50…0.95,
    /// best-F1 operating points and interpolated precision at IoU 0.5, and the error listings
    /// at IoU 0.5.
    /// - Parameters:
    ///   - falsePositiveLimit: how many of the highest-scoring false positives to list.
    ///   - missLimit: how many misses to list (largest first).
    ///   - missScoreThreshold: predictions scoring below this do not count as finding an object.
    public func report(falsePositiveLimit: Int = 50, missLimit: Int = 50, missScoreThreshold: Float = 0.5) -> Report {
        let thresholds = Self.cocoThresholds
        let ranked = rankings(thresholds: thresholds)
        let at50 = thresholds.firstIndex(of: 0.5)!, at75 = thresholds.firstIndex(of: 0.75)!
        let classes = classNames.indices.map { c -> ClassReport in
            let r = ranked[c]
            let aps = r.hits.map { AveragePrecision.coco101(hits: $0, groundTruth: r.groundTruth) }
            return ClassReport(classIndex: c, name: classNames[c], groundTruth: r.groundTruth, predictions: predictionCounts[c],
                               ap50: aps[at50], ap75: aps[at75], ap: Self.mean(aps),
                               bestF1: Self.bestF1(Self.curve(r, threshold: at50), groundTruth: r.groundTruth),
                               precisionAtRecall: AveragePrecision.interpolatedPrecision(hits: r.hits[at50], groundTruth: r.groundTruth))
        }
        let fps = falsePositives(iou: 0.5)
        var kinds: [String: Int] = [:]
        for k in FalsePositive.Kind.allCases { kinds[k.rawValue] = 0 }
        for fp in fps { kinds[fp.kind.rawValue, default: 0] += 1 }
        let missed = misses(scoreThreshold: missScoreThreshold, iou: 0.5)
        return Report(images: imageCount, groundTruthBoxes: groundTruthCounts.reduce(0, +),
                      predictions: predictionCounts.reduce(0, +), ignoredPredictions: ignoredPredictions,
                      ignoredGroundTruth: ignoredGroundTruth, maxDetectionsPerImage: maxDetectionsPerImage,
                      iouThresholds: thresholds,
                      meanAP50: Self.mean(classes.map(\.ap50)), meanAP75: Self.mean(classes.map(\.ap75)),
                      meanAP: Self.mean(classes.map(\.ap)), classes: classes,
                      falsePositiveCount: fps.count, falsePositiveKinds: kinds,
                      worstFalsePositives: Array(fps.prefix(max(0, falsePositiveLimit))),
                      missScoreThreshold: missScoreThreshold, missCount: missed.count,
                      misses: Array(missed.prefix(max(0, missLimit))))
    }
}
