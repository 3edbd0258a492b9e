import Jobs
import Foundation
import ImageIO
import TensorCore
import Zoo

/// Runs files through a model in small batches with one replica per worker thread: each
/// worker decodes and preprocesses its batch (JPEGs at reduced DCT scale) and runs `forward`
/// on its own replica with single-threaded kernels. Independent replicas keep every core busy
/// with no hand-offs inside a layer, and a batch's activations stay in that core's cache.
/// `emit` receives each file's output row (or the reason it failed) in input order.
public struct BatchedInference {
    /// One per worker; equal models (the first one's card is used).
    public var replicas: [Model]
    public var files: [FileWalker.Entry]
    public var batchSize = 4

    public init(replicas: [Model], files: [FileWalker.Entry]) {
        precondition(!replicas.isEmpty, "need at least one model replica")
        self.replicas = replicas
        self.files = files
    }

    public func run(forward: @escaping @Sendable (Model, Context, Tensor) -> Tensor, progress: ProgressBar? = nil,
                    emit: (FileWalker.Entry, Result<[Float], FileFailure>) throws -> Void) throws {
        let pre = Preprocessor(replicas[0].card.preprocessing)
        let files = self.files, batchSize = self.batchSize
        let batches = stride(from: 0, to: files.count, by: batchSize).map { $0..<min($0 + batchSize, files.count) }
        let pool = ReplicaPool(replicas.map { ($0, Context(threads: 1)) })
        try orderedParallel(count: batches.count, threads: replicas.count, window: 2 * replicas.count, work: { b in
            let (model, ctx) = pool.take()
            defer { pool.give((model, ctx)) }
            return BatchedInference.process(files[batches[b]], model: model, context: ctx, preprocessor: pre, forward: forward)
        }, emit: { b, rows in
            for (entry, row) in zip(files[batches[b]], rows) {
                try emit(entry, row)
                progress?.advance()
            }
        })
        progress?.finish()
    }

    static func process(_ entries: ArraySlice<FileWalker.Entry>, model: Model, context: Context, preprocessor pre: Preprocessor,
                        forward: (Model, Context, Tensor) -> Tensor) -> [Result<[Float], FileFailure>] {
        let side = model.card.preprocessing.inputSize, slice = pre.sliceCount
        var input = Tensor([entries.count, side, side, pre.channels])
        var results = [Result<[Float], FileFailure>](repeating: .failure(FileFailure(reason: "")), count: entries.count)
        var good: [Int] = []
        input.data.withUnsafeMutableBufferPointer { dst in
            for (i, entry) in entries.enumerated() {
                let out = UnsafeMutableBufferPointer(rebasing: dst[(good.count * slice)..<((good.count + 1) * slice)])
                do {
                    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: entry.path), options: .mappedIfSafe))
                    try pre.prepare(bytes, into: out)
                    good.append(i)
                } catch let e as ImageError {
                    results[i] = .failure(FileFailure(reason: "\(e)"))
                } catch {
                    results[i] = .failure(FileFailure(reason: "\(FileReadError(reason: (error as NSError).localizedDescription))"))
                }
            }
        }
        guard !good.isEmpty else { return results }
        if good.count < entries.count {
            input = Tensor(shape: [good.count, side, side, pre.channels], data: Array(input.data.prefix(good.count * slice)))
        }
        let out = forward(model, context, input)
        let width = out.count / good.count
        for (row, i) in good.enumerated() { results[i] = .success(Array(out.data[(row * width)..<((row + 1) * width)])) }
        return results
    }
}

/// Why a file produced no output.
public struct FileFailure: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
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
