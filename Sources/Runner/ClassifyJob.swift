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

/// Classifies files with one model replica per worker thread: each worker decodes a small
/// batch (JPEGs at reduced DCT scale), preprocesses it and runs it through its own replica
/// with single-threaded kernels. Independent replicas keep both cores busy with no thread
/// hand-offs inside a layer, and each batch's activations stay in that core's cache.
/// Results come out in input order.
public struct ClassifyJob {
    /// One per worker; they must be equal models (the first one's card is used).
    public var replicas: [Model]
    public var files: [FileWalker.Entry]
    public var topK = 5
    public var batchSize = 4

    public init(replicas: [Model], files: [FileWalker.Entry]) {
        precondition(!replicas.isEmpty, "need at least one model replica")
        self.replicas = replicas
        self.files = files
    }

    public func run(progress: ProgressBar? = nil, report: (Classification) throws -> Void) throws {
        let card = replicas[0].card
        let pre = Preprocessor(card.preprocessing)
        let k = min(topK, card.config.numClasses)
        let files = self.files, batchSize = self.batchSize
        let batches = stride(from: 0, to: files.count, by: batchSize).map { $0..<min($0 + batchSize, files.count) }
        let pool = ReplicaPool(replicas.map { ($0, Context(threads: 1)) })
        try orderedParallel(count: batches.count, threads: replicas.count, window: 2 * replicas.count, work: { b -> [Classification] in
            let (model, ctx) = pool.take()
            defer { pool.give((model, ctx)) }
            return ClassifyJob.classify(files[batches[b]], model: model, context: ctx, preprocessor: pre, topK: k)
        }, emit: { _, rows in
            for r in rows {
                try report(r)
                progress?.advance()
            }
        })
        progress?.finish()
    }

    static func classify(_ entries: ArraySlice<FileWalker.Entry>, model: Model, context: Context, preprocessor pre: Preprocessor,
                         topK k: Int) -> [Classification] {
        let side = model.card.preprocessing.inputSize, slice = pre.sliceCount
        var input = Tensor([entries.count, side, side, pre.channels])
        var failures: [Int: String] = [:]
        var good: [Int] = []
        input.data.withUnsafeMutableBufferPointer { dst in
            for (i, entry) in entries.enumerated() {
                let out = UnsafeMutableBufferPointer(rebasing: dst[(good.count * slice)..<((good.count + 1) * slice)])
                do {
                    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: entry.path), options: .mappedIfSafe))
                    try pre.prepare(bytes, into: out)
                    good.append(i)
                } catch let e as ImageError {
                    failures[i] = "\(e)"
                } catch {
                    failures[i] = "\(FileReadError(reason: (error as NSError).localizedDescription))"
                }
            }
        }
        var scores: [[(index: Int, label: String, score: Float)]] = []
        if !good.isEmpty {
            if good.count < entries.count { input = Tensor(shape: [good.count, side, side, pre.channels], data: Array(input.data.prefix(good.count * slice))) }
            let logits = model.network.forward(input, context: context, training: false)
            let classes = logits.shape[1]
            var probs = [Float](repeating: 0, count: classes)
            let labels = model.card.labels
            for row in 0..<good.count {
                logits.data.withUnsafeBufferPointer { lp in
                    probs.withUnsafeMutableBufferPointer { Softmax.apply(lp.baseAddress! + row * classes, $0.baseAddress!, k: classes) }
                }
                let best = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(k)
                scores.append(best.map { ($0, $0 < labels.count ? labels[$0] : "class \($0)", probs[$0]) })
            }
        }
        var next = 0
        return entries.enumerated().map { i, entry in
            if let e = failures[i] { return Classification(path: entry.relativePath, top: [], error: e) }
            defer { next += 1 }
            return Classification(path: entry.relativePath, top: scores[next], error: nil)
        }
    }
}

/// Model replicas handed out to worker threads, one at a time each.
final class ReplicaPool: @unchecked Sendable {
    private var free: [(Model, Context)]
    private let lock = NSCondition()

    init(_ items: [(Model, Context)]) { free = items }

    func take() -> (Model, Context) {
        lock.lock()
        defer { lock.unlock() }
        while free.isEmpty { lock.wait() }
        return free.removeLast()
    }

    func give(_ item: (Model, Context)) {
        lock.lock()
        free.append(item)
        lock.signal()
        lock.unlock()
    }
}
