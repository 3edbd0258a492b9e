import Jobs
import Augment
import Datasets
import Foundation
import TensorCore
import Zoo

/// Classifies every sample of a dataset that is not a set of files (IDX arrays): batches come
/// from the `Loader` prepared exactly as `classify` prepares a file (`ModelInput`), no augmentation, in dataset order. Results carry the sample's name
/// (`idx[17]`) as their path.
public enum DatasetClassifier {
    public static func run(model: Model, data: any Dataset, topK: Int, threads: Int, batchSize: Int = 64,
                           progress: ProgressBar? = nil, report: (Classification) throws -> Void) throws {
        let loader = Loader(dataset: data, batchSize: batchSize, input: ModelInput(model.card.preprocessing), threads: threads)
        let context = Context(threads: threads)
        let k = min(topK, model.card.config.numClasses)
        try loader.forEachBatch(epoch: 0) { batch in
            let logits = model.network.forward(batch.images, context: context, training: false)
            let classes = logits.shape[1]
            try logits.data.withUnsafeBufferPointer { lp in
                for (row, i) in batch.indices.enumerated() {
                    let slice = UnsafeBufferPointer(rebasing: lp[(row * classes)..<((row + 1) * classes)])
                    try report(Classification(path: data.name(i), top: Classification.top(logits: slice, labels: model.card.labels, k: k), error: nil))
                }
            }
            progress?.advance(by: batch.labels.count)
        }
        for (name, reason) in loader.failures.sorted(by: { $0.key < $1.key }) {
            try report(Classification(path: name, top: [], error: reason))
        }
    }
}
