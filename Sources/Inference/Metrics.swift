import Foundation
import TensorCore

/// Classification metrics over a fixed list of classes. Predictions outside that list
/// (a 1000-class model evaluated on 3 of its classes) count as wrong and land in the
/// confusion matrix's last column, "other".
public struct ClassificationMetrics: Sendable {
    public let classes: [String]
    /// confusion[truth][prediction], with one extra "other" column.
    public private(set) var confusion: [[Int]]
    public private(set) var total = 0
    public private(set) var topKHits = 0

    public init(classes: [String]) {
        self.classes = classes
        confusion = [[Int]](repeating: [Int](repeating: 0, count: classes.count + 1), count: classes.count)
    }

    /// `truth` and `predicted` index `classes` (nil: not among them); `inTopK`: truth within the top k.
    public mutating func add(truth: Int, predicted: Int?, inTopK: Bool) {
        confusion[truth][predicted ?? classes.count] += 1
        total += 1
        if inTopK { topKHits += 1 }
    }

    public var accuracy: Double { total > 0 ? Double((0..<classes.count).reduce(0) { $0 + confusion[$1][$1] }) / Double(total) : 0 }
    public var topKAccuracy: Double { total > 0 ? Double(topKHits) / Double(total) : 0 }

    public struct PerClass: Sendable, Codable {
        public var name: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public var perClass: [PerClass] {
        (0..<classes.count).map { c in
            let tp = Double(confusion[c][c])
            let predicted = Double((0..<classes.count).reduce(0) { $0 + confusion[$1][c] })
            let support = confusion[c].reduce(0, +)
            let p = predicted > 0 ? tp / predicted : 0, r = support > 0 ? tp / Double(support) : 0
            return PerClass(name: classes[c], precision: p, recall: r, f1: p + r > 0 ? 2 * p * r / (p + r) : 0, support: support)
        }
    }

    /// Unweighted mean over classes with support, and support-weighted mean: (precision, recall, F1).
    public var averages: (macro: (Double, Double, Double), weighted: (Double, Double, Double)) {
        let rows = perClass.filter { $0.support > 0 }
        let n = Double(max(rows.count, 1)), w = Double(max(rows.reduce(0) { $0 + $1.support }, 1))
        func mean(_ f: (PerClass) -> Double) -> Double { rows.reduce(0) { $0 + f($1) } / n }
        func wmean(_ f: (PerClass) -> Double) -> Double { rows.reduce(0) { $0 + f($1) * Double($1.support) } / w }
        return ((mean(\.precision), mean(\.recall), mean(\.f1)), (wmean(\.precision), wmean(\.recall), wmean(\.f1)))
    }
}

/// Scores a classifier's logits against labels, batch by batch: mean cross-entropy and the
/// `ClassificationMetrics` (accuracy, per-class precision/recall/F1, confusion). Training's
/// validation uses it; so can anything else that has logits and labels.
public struct ClassificationEvaluator: Sendable {
    public struct Report: Sendable {
        /// Mean cross-entropy (natural log) of the true class.
        public var loss: Double
        public var metrics: ClassificationMetrics
    }

    var metrics: ClassificationMetrics
    var lossSum = 0.0

    public init(classes: [String]) { metrics = ClassificationMetrics(classes: classes) }

    /// Adds a batch of `(N, K)` logits whose columns are the evaluator's classes.
    public mutating func add(logits: Tensor, labels: [Int]) {
        let n = logits.shape[0], k = logits.shape[1]
        logits.data.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let row = p[(i * k)..<((i + 1) * k)]
                var best = row.startIndex
                for j in row.indices where p[j] > p[best] { best = j }
                let m = Double(p[best])
                let logSum = m + log(row.reduce(0.0) { $0 + exp(Double($1) - m) })
                lossSum += logSum - Double(p[i * k + labels[i]])
                let predicted = best - i * k
                metrics.add(truth: labels[i], predicted: predicted, inTopK: predicted == labels[i])
            }
        }
    }

    public func report() -> Report { Report(loss: lossSum / Double(max(metrics.total, 1)), metrics: metrics) }
}
