// Precision–recall curves per class and the score threshold with the best F1.

extension DetectionEvaluation {
    /// What keeping only the predictions of one class scoring at least `score` gives.
    public struct PrecisionRecallPoint: Sendable, Equatable, Codable {
        /// Score threshold: predictions with a score ≥ this are kept.
        public var score: Float
        /// True positives / ground-truth boxes of the class.
        public var recall: Double
        /// True positives / kept predictions.
        public var precision: Double
        /// The best precision at this recall or any higher one along the curve: the
        /// monotone envelope COCO averages.
        public var interpolatedPrecision: Double
        public var truePositives: Int
        public var falsePositives: Int

        public init(score: Float, recall: Double, precision: Double, interpolatedPrecision: Double,
                    truePositives: Int, falsePositives: Int) {
            self.score = score
            self.recall = recall
            self.precision = precision
            self.interpolatedPrecision = interpolatedPrecision
            self.truePositives = truePositives
            self.falsePositives = falsePositives
        }
    }

    /// A score threshold for one class and how it does at one IoU threshold.
    public struct OperatingPoint: Sendable, Equatable, Codable {
        /// Keep predictions scoring at least this.
        public var scoreThreshold: Float
        public var precision: Double
        public var recall: Double
        /// 2·P·R / (P + R).
        public var f1: Double
        public var truePositives: Int
        public var falsePositives: Int
        /// Ground-truth boxes left unmatched.
        public var falseNegatives: Int

        public init(scoreThreshold: Float, precision: Double, recall: Double, f1: Double,
                    truePositives: Int, falsePositives: Int, falseNegatives: Int) {
            self.scoreThreshold = scoreThreshold
            self.precision = precision
            self.recall = recall
            self.f1 = f1
            self.truePositives = truePositives
            self.falsePositives = falsePositives
            self.falseNegatives = falseNegatives
        }
    }

    /// One class's precision–recall curve at an IoU threshold, one point per distinct
    /// prediction score, highest score (lowest recall) first. Predictions with equal scores
    /// stand or fall together, so they make one point. Empty when the class has no ground
    /// truth (recall is undefined) or no predictions.
    public func precisionRecallCurve(classIndex: Int, iou: Double = 0.5) -> [PrecisionRecallPoint] {
        guard classNames.indices.contains(classIndex) else { return [] }
        return precisionRecallCurves(iou: iou)[classIndex]
    }

    /// `precisionRecallCurve` of every class, indexed like `classNames`.
    public func precisionRecallCurves(iou: Double = 0.5) -> [[PrecisionRecallPoint]] {
        rankings(thresholds: [iou]).map { Self.curve($0, threshold: 0) }
    }

    /// The point of the class's precision–recall curve at an IoU threshold with the highest
    /// F1 (ties: the higher score threshold). nil when the class has no ground truth or no
    /// prediction is ever a true positive (F1 is 0 at every threshold).
    public func bestF1(classIndex: Int, iou: Double = 0.5) -> OperatingPoint? {
        guard classNames.indices.contains(classIndex) else { return nil }
        return bestF1s(iou: iou)[classIndex]
    }

    /// `bestF1` of every class, indexed like `classNames`.
    public func bestF1s(iou: Double = 0.5) -> [OperatingPoint?] {
        rankings(thresholds: [iou]).map { Self.bestF1(Self.curve($0, threshold: 0), groundTruth: $0.groundTruth) }
    }

    /// The curve of ranking `r` at its threshold number `t`.
    static func curve(_ r: ClassRanking, threshold t: Int) -> [PrecisionRecallPoint] {
        guard r.groundTruth > 0 else { return [] }
        let hits = r.hits[t]
        var out: [PrecisionRecallPoint] = []
        var tp = 0
        for i in hits.indices {
            if hits[i] { tp += 1 }
            // A point only where the score changes: a threshold cannot split equal scores.
            guard i + 1 == hits.count || r.scores[i + 1] != r.scores[i] else { continue }
            let kept = i + 1
            out.append(PrecisionRecallPoint(score: r.scores[i], recall: Double(tp) / Double(r.groundTruth),
                                            precision: Double(tp) / Double(kept), interpolatedPrecision: 0,
                                            truePositives: tp, falsePositives: kept - tp))
        }
        var best = 0.0
        for i in out.indices.reversed() {
            best = max(best, out[i].precision)
            out[i].interpolatedPrecision = best
        }
        return out
    }

    /// The highest-F1 point of `curve` (the first of equals), nil when every F1 is 0.
    static func bestF1(_ curve: [PrecisionRecallPoint], groundTruth: Int) -> OperatingPoint? {
        var best: OperatingPoint? = nil
        for p in curve {
            let f1 = p.precision + p.recall > 0 ? 2 * p.precision * p.recall / (p.precision + p.recall) : 0
            guard f1 > (best?.f1 ?? 0) else { continue }
            best = OperatingPoint(scoreThreshold: p.score, precision: p.precision, recall: p.recall, f1: f1,
                                  truePositives: p.truePositives, falsePositives: p.falsePositives,
                                  falseNegatives: groundTruth - p.truePositives)
        }
        return best
    }
}
