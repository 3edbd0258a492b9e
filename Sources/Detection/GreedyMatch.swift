// COCO's greedy one-to-one matching of predictions to ground truth within one image and class.

/// The predictions and ground truth of one class in one image, with their IoUs, ready to be
/// matched at any IoU threshold.
///
/// COCO's rule: predictions are visited by score, highest first (ties keep input order), and
/// each takes the not-yet-matched ground-truth box it overlaps most, provided that IoU is at
/// least the threshold (ties go to the earlier box). Every box is matched at most once, so a
/// second prediction on an already-found object is a false positive.
struct GreedyMatch: Sendable {
    /// Indices into the image's predictions, by score, highest first; at most the cap.
    let ranked: [Int]
    /// Indices into the image's ground truth.
    let truth: [Int]
    /// `iou[r][g]`: IoU of prediction `ranked[r]` with ground truth `truth[g]`.
    let iou: [[Double]]

    /// Prediction `ranked[r]` and ground truth `truth[g]` are the ones of `classIndex`;
    /// `cap` keeps only the best-scoring that many predictions (nil: all).
    init(predictions: [Detection], truth: [GroundTruthBox], classIndex: Int, cap: Int?) {
        let mine = predictions.indices.filter { predictions[$0].classIndex == classIndex }
        let order = mine.sorted { a, b in
            predictions[a].score != predictions[b].score ? predictions[a].score > predictions[b].score : a < b
        }
        let ranked = Array(order.prefix(max(0, cap ?? Int.max)))
        let theirs = truth.indices.filter { truth[$0].classIndex == classIndex }
        self.ranked = ranked
        self.truth = theirs
        iou = ranked.map { p in theirs.map { g in predictions[p].box.iou(truth[g].box) } }
    }

    /// For each ranked prediction, the position in `truth` it matches at `threshold`, or nil
    /// for a false positive.
    func assignments(threshold: Double) -> [Int?] {
        var taken = [Bool](repeating: false, count: truth.count)
        return iou.map { row in
            var best: Int? = nil
            for (g, v) in row.enumerated() where !taken[g] && v >= threshold {
                if let b = best, v <= row[b] { continue }
                best = g
            }
            if let best { taken[best] = true }
            return best
        }
    }
}
