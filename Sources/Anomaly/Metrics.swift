import Foundation

/// Decision thresholds chosen on good images.
public enum Threshold {
    /// The smallest threshold at which at most `fpr` of the good `scores` lie strictly above it
    /// (a score above the threshold is NG). With no scores: +∞.
    public static func atFalsePositiveRate(_ scores: [Float], _ fpr: Double) -> Float {
        guard !scores.isEmpty else { return .infinity }
        let s = scores.sorted()
        let allowed = Int((fpr * Double(s.count)).rounded(.down))
        // Above s[n - 1 - allowed] lie exactly the `allowed` largest scores (ties included below).
        return s[max(0, s.count - 1 - allowed)]
    }
}

/// Ranking metrics for anomaly scores (higher = more anomalous).
public enum AnomalyMetrics {
    /// Area under the ROC curve: the probability that a random anomalous sample scores above a
    /// random good one (ties count half), by ranks (Mann–Whitney U).
    public static func auroc(scores: [Float], labels: [Bool]) -> Double {
        precondition(scores.count == labels.count)
        let pos = labels.filter { $0 }.count, neg = labels.count - pos
        guard pos > 0 && neg > 0 else { return .nan }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1  // average rank of the tie group
            for k in i...j where labels[order[k]] { rankSum += rank }
            i = j + 1
        }
        return (rankSum - Double(pos) * Double(pos + 1) / 2) / (Double(pos) * Double(neg))
    }

    /// ROC points (false-positive rate, true-positive rate) from the highest threshold down.
    public static func roc(scores: [Float], labels: [Bool], maxPoints: Int = 200) -> [(fpr: Double, tpr: Double)] {
        let pos = Double(labels.filter { $0 }.count), neg = Double(labels.count) - pos
        guard pos > 0 && neg > 0 else { return [] }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tp = 0.0, fp = 0.0
        var pts: [(Double, Double)] = [(0, 0)]
        let every = max(1, order.count / maxPoints)
        for (n, i) in order.enumerated() {
            if labels[i] { tp += 1 } else { fp += 1 }
            let last = n + 1 == order.count || scores[order[n + 1]] != scores[i]
            if last && (n % every == 0 || n + 1 == order.count) { pts.append((fp / neg, tp / pos)) }
        }
        return pts
    }

    /// Precision, recall and F1 of the verdict `score > threshold`.
    public static func f1(scores: [Float], labels: [Bool], threshold: Float) -> (precision: Double, recall: Double, f1: Double) {
        var tp = 0.0, fp = 0.0, fn = 0.0
        for (s, l) in zip(scores, labels) {
            let ng = s > threshold
            if ng && l { tp += 1 } else if ng && !l { fp += 1 } else if !ng && l { fn += 1 }
        }
        let p = tp + fp > 0 ? tp / (tp + fp) : 0, r = tp + fn > 0 ? tp / (tp + fn) : 0
        return (p, r, p + r > 0 ? 2 * p * r / (p + r) : 0)
    }
}
