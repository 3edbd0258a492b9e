import Checkpoint
import Foundation
import ImageIO
import Kernels
import Layers
import TensorCore
import Zoo

/// One classified file.
public struct Classification: Sendable {
    public var path: String
    /// (class index, label, probability), best first; empty when the file failed.
    public var top: [(index: Int, label: String, score: Float)]
    public var error: String?
}

/// Classifies files with a model: decoding and preprocessing run on worker threads,
/// overlapped with batched inference on the calling thread. Results come out in input order.
public struct ClassifyJob {
    public var model: Model
    public var files: [FileWalker.Entry]
    public var topK = 5
    public var batchSize = 4
    public var threads = ProcessInfo.processInfo.activeProcessorCount

    public init(model: Model, files: [FileWalker.Entry]) {
        self.model = model
        self.files = files
    }

    public func run(progress: ProgressBar? = nil, report: (Classification) throws -> Void) throws {
        let pre = Preprocessor(model.card.preprocessing)
        let slice = pre.sliceCount
        let side = model.card.preprocessing.inputSize
        let ctx = Context(threads: threads)
        let labels = model.card.labels
        let k = min(topK, model.card.config.numClasses)
        var batch: [(entry: FileWalker.Entry, data: [Float])] = []
        var input = Tensor([batchSize, side, side, pre.channels])

        func flush() throws {
            guard !batch.isEmpty else { return }
            if input.shape[0] != batch.count { input = Tensor([batch.count, side, side, pre.channels]) }
            input.data.withUnsafeMutableBufferPointer { dst in
                for (i, item) in batch.enumerated() {
                    item.data.withUnsafeBufferPointer { (dst.baseAddress! + i * slice).update(from: $0.baseAddress!, count: slice) }
                }
            }
            let logits = model.network.forward(input, context: ctx, training: false)
            let classes = logits.shape[1]
            var probs = [Float](repeating: 0, count: classes)
            for (i, item) in batch.enumerated() {
                logits.data.withUnsafeBufferPointer { lp in
                    probs.withUnsafeMutableBufferPointer { Softmax.apply(lp.baseAddress! + i * classes, $0.baseAddress!, k: classes) }
                }
                let best = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(k)
                try report(Classification(path: item.entry.relativePath,
                                          top: best.map { ($0, $0 < labels.count ? labels[$0] : "class \($0)", probs[$0]) }, error: nil))
                progress?.advance()
            }
            batch.removeAll(keepingCapacity: true)
        }

        // Inference is most of the work and already uses every thread through OpenBLAS; one
        // decoder per two threads keeps batches coming without oversubscribing the cores.
        try orderedParallel(count: files.count, threads: max(1, threads / 2), window: 4 * batchSize, work: { i -> Result<[Float], Error> in
            let entry = files[i]
            do {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: entry.path), options: .mappedIfSafe))
                var out = [Float](repeating: 0, count: slice)
                try out.withUnsafeMutableBufferPointer { try pre.prepare(bytes, into: $0) }
                return .success(out)
            } catch let e as ImageError {
                return .failure(e)
            } catch {
                return .failure(FileReadError(reason: (error as NSError).localizedDescription))
            }
        }, emit: { i, result in
            switch result {
            case .success(let data):
                batch.append((files[i], data))
                if batch.count == batchSize { try flush() }
            case .failure(let error):
                // Keep rows in input order: finish the batch before reporting the failure.
                try flush()
                try report(Classification(path: files[i].relativePath, top: [], error: "\(error)"))
                progress?.advance()
            }
        })
        try flush()
        progress?.finish()
    }
}
