import Datasets
import Foundation
import ImageIO
import TensorCore

/// Scores a dataset's test part and measures how well scores separate defective from good:
/// image-level AUROC, pixel-level AUROC (against the ground-truth masks), and precision,
/// recall and F1 of the saved threshold — overall and per defect type.
public enum AnomalyEvaluation {
    public struct PerDefect: Codable, Sendable {
        public var defect: String
        public var images: Int
        public var imageAUROC: Double
        public var pixelAUROC: Double?
        public var recall: Double
    }

    public struct Report: Codable, Sendable {
        public var method: String
        public var images: Int
        public var good: Int
        public var defective: Int
        public var unreadable: [String]
        public var imageAUROC: Double
        public var pixelAUROC: Double?
        public var threshold: Float
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var perDefect: [PerDefect]
        public var seconds: Double
        /// ROC points (false-positive rate, true-positive rate) of the image scores.
        public var roc: [[Double]]
        /// Per image: path, defect type (empty for good), score.
        public var scores: [[String]]
    }

    /// `models` holds one model per worker thread (models keep per-call buffers).
    public static func run(models: [AnomalyModel], data: AnomalyDataset, progress: ((Int, Int) -> Void)? = nil) throws -> Report {
        let started = Date()
        let samples = data.test
        guard !samples.isEmpty else { throw AnomalyError(path: data.root, reason: "no test images") }
        struct Scored { var score: Float?; var pixels: [Float]; var labels: [Bool]; var error: String? }
        let free = WorkerPool(models.count)
        let box = ReadOnlyShared(models)
        let contexts = ReadOnlyShared(models.map { _ in Context(threads: 1) })
        var scored: [Scored] = []
        orderedParallel(count: samples.count, threads: models.count, work: { i -> Scored in
            let w = free.take()
            defer { free.give(w) }
            let s = samples[i]
            do {
                let img = try ImageCodec.decode(fileAt: s.path).image
                let r = box.value[w].score(img, context: contexts.value[w])
                // Pixels on a stride that keeps about 128×128 samples per image.
                let step = max(1, max(r.width, r.height) / 128)
                var mask: [UInt8]? = nil
                if let m = s.mask {
                    let mi = try ImageCodec.decode(fileAt: m).image.toGray8()
                    guard mi.width == r.width && mi.height == r.height else {
                        return Scored(score: nil, pixels: [], labels: [], error: "\(m): mask is \(mi.width)×\(mi.height), image \(r.width)×\(r.height)")
                    }
                    if case .uint8(let p) = mi.samples { mask = p }
                }
                var px: [Float] = [], lb: [Bool] = []
                if s.defect == nil || mask != nil {
                    for y in stride(from: 0, to: r.height, by: step) {
                        for x in stride(from: 0, to: r.width, by: step) {
                            px.append(r.map[y * r.width + x])
                            lb.append((mask?[y * r.width + x] ?? 0) > 127)
                        }
                    }
                }
                return Scored(score: r.score, pixels: px, labels: lb, error: nil)
            } catch {
                return Scored(score: nil, pixels: [], labels: [], error: "\(error)")  // names the file
            }
        }, emit: { i, r in
            scored.append(r)
            progress?(i + 1, samples.count)
        })
        var unreadable: [String] = []
        var scores: [Float] = [], labels: [Bool] = [], kinds: [String?] = []
        var pixelScores: [Float] = [], pixelLabels: [Bool] = []
        var rows: [[String]] = []
        for (s, r) in zip(samples, scored) {
            guard let score = r.score else { unreadable.append(r.error ?? s.path); continue }
            scores.append(score)
            labels.append(s.defect != nil)
            kinds.append(s.defect)
            pixelScores += r.pixels
            pixelLabels += r.labels
            rows.append([s.path, s.defect ?? "", String(score)])
        }
        let threshold = models[0].threshold
        let f = AnomalyMetrics.f1(scores: scores, labels: labels, threshold: threshold)
        let hasMasks = samples.contains { $0.mask != nil }
        var per: [PerDefect] = []
        for d in data.defectTypes {
            let idx = scores.indices.filter { kinds[$0] == nil || kinds[$0] == d }
            let ds = idx.map { scores[$0] }, dl = idx.map { labels[$0] }
            let defective = idx.filter { labels[$0] }
            let recall = Double(defective.filter { scores[$0] > threshold }.count) / Double(max(1, defective.count))
            var pix: Double? = nil
            if hasMasks {
                // Pixels of this defect type's images and of the good images.
                var ps: [Float] = [], pl: [Bool] = []
                var offset = 0
                for (k, r) in scored.enumerated() where r.score != nil {
                    let n = r.pixels.count
                    if samples[k].defect == nil || samples[k].defect == d {
                        ps += pixelScores[offset..<(offset + n)]
                        pl += pixelLabels[offset..<(offset + n)]
                    }
                    offset += n
                }
                pix = AnomalyMetrics.auroc(scores: ps, labels: pl)
            }
            per.append(PerDefect(defect: d, images: defective.count, imageAUROC: AnomalyMetrics.auroc(scores: ds, labels: dl), pixelAUROC: pix, recall: recall))
        }
        return Report(method: models[0].method, images: scores.count, good: labels.filter { !$0 }.count, defective: labels.filter { $0 }.count,
                      unreadable: unreadable, imageAUROC: AnomalyMetrics.auroc(scores: scores, labels: labels),
                      pixelAUROC: hasMasks ? AnomalyMetrics.auroc(scores: pixelScores, labels: pixelLabels) : nil,
                      threshold: threshold, precision: f.precision, recall: f.recall, f1: f.f1, perDefect: per,
                      seconds: Date().timeIntervalSince(started),
                      roc: AnomalyMetrics.roc(scores: scores, labels: labels).map { [$0.fpr, $0.tpr] }, scores: rows)
    }
}
