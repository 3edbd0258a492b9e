// Average precision from a ranked list of hits, the way COCO computes it (101 recall levels).

/// Average precision of one ranked list of predictions with COCO's 101-point interpolation.
///
/// Given the predictions of one class ranked by score (highest first) and whether each is a
/// true positive, precision and recall are taken after every prediction; precision is then
/// made monotone from the right (each value becomes the best precision at that recall or any
/// higher one), and sampled at recall 0, 0.01, …, 1: the sample at level `r` is the
/// interpolated precision of the first prediction whose recall reaches `r`, or 0 when recall
/// never gets there. AP is the mean of the 101 samples.
///
/// ```swift
/// // 2 objects; hit, miss, hit: precision 1 up to recall 0.5, then 2/3.
/// AveragePrecision.coco101(hits: [true, false, true], groundTruth: 2)   // (51 + 50 · 2/3) / 101
/// ```
public enum AveragePrecision {
    /// 0, 0.01, …, 1, each the double nearest `k / 100`, so that a recall such as 1/2 or 3/4
    /// computed as `tp / n` compares equal to its level.
    public static let recallLevels: [Double] = (0...100).map { Double($0) / 100 }

    /// Interpolated precision at each of `recallLevels`, or nil when there is no ground truth
    /// (recall is undefined). No predictions with ground truth present give all zeros.
    /// - Parameters:
    ///   - hits: one flag per prediction, in rank order (highest score first): true for a
    ///     true positive.
    ///   - groundTruth: number of ground-truth objects the predictions compete for.
    public static func interpolatedPrecision(hits: [Bool], groundTruth: Int) -> [Double]? {
        guard groundTruth > 0 else { return nil }
        var recall: [Double] = [], precision: [Double] = []
        recall.reserveCapacity(hits.count)
        precision.reserveCapacity(hits.count)
        var tp = 0
        for (i, hit) in hits.enumerated() {
            if hit { tp += 1 }
            recall.append(Double(tp) / Double(groundTruth))
            precision.append(Double(tp) / Double(i + 1))
        }
        for i in stride(from: precision.count - 2, through: 0, by: -1) {
            precision[i] = max(precision[i], precision[i + 1])
        }
        // Recall never decreases along the ranking, so one forward walk finds, for each
        // level, the first prediction reaching it (numpy's searchsorted, side "left").
        var j = 0
        return recallLevels.map { level in
            while j < recall.count && recall[j] < level { j += 1 }
            return j < recall.count ? precision[j] : 0
        }
    }

    /// The mean of `interpolatedPrecision(hits:groundTruth:)`: COCO's AP at one IoU threshold.
    /// nil when there is no ground truth.
    public static func coco101(hits: [Bool], groundTruth: Int) -> Double? {
        guard let p = interpolatedPrecision(hits: hits, groundTruth: groundTruth) else { return nil }
        return p.reduce(0, +) / Double(p.count)
    }
}
