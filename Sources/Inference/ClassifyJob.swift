import Jobs
import Foundation
import Layers
import TensorCore
import Zoo

/// One classified file.
public struct Classification: Sendable {
    public var path: String
    /// (class index, label, probability), best first; empty when the file failed.
    public var top: [(index: Int, label: String, score: Float)]
    public var error: String?

    public init(path: String, top: [(index: Int, label: String, score: Float)], error: String?) {
        self.path = path
        self.top = top
        self.error = error
    }

    /// The k most probable classes of one row of logits (softmax), best first.
    public static func top(logits: UnsafeBufferPointer<Float>, labels: [String], k: Int) -> [(index: Int, label: String, score: Float)] {
        var probs = [Float](repeating: 0, count: logits.count)
        probs.withUnsafeMutableBufferPointer { Softmax.apply(logits.baseAddress!, $0.baseAddress!, k: logits.count) }
        let best = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(k)
        return best.map { ($0, $0 < labels.count ? labels[$0] : "class \($0)", probs[$0]) }
    }
}

/// Classifies files (see `BatchedInference` for how the work is spread); results in input order.
public struct ClassifyJob {
    public var inference: BatchedInference
    public var topK = 5

    public init(replicas: [Model], files: [FileWalker.Entry]) {
        inference = BatchedInference(replicas: replicas, files: files)
    }

    public var batchSize: Int {
        get { inference.batchSize }
        set { inference.batchSize = newValue }
    }

    public func run(progress: ProgressBar? = nil, report: (Classification) throws -> Void) throws {
        let card = inference.replicas[0].card
        let k = min(topK, card.config.numClasses)
        let labels = card.labels
        try inference.run(forward: { model, ctx, x in model.network.forward(x, context: ctx, training: false) }, progress: progress) { entry, result in
            switch result {
            case .failure(let f):
                try report(Classification(path: entry.relativePath, top: [], error: f.reason))
            case .success(let logits):
                let top = logits.withUnsafeBufferPointer { Classification.top(logits: $0, labels: labels, k: k) }
                try report(Classification(path: entry.relativePath, top: top, error: nil))
            }
        }
    }
}
