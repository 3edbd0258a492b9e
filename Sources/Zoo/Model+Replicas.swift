import Dispatch
import Layers
import TensorCore

extension Model {
    /// A second network of the same architecture whose parameters share this one's storage
    /// (copy-on-write arrays: no weights are copied while neither side writes them). Layers
    /// keep per-call buffers, so one network cannot run two forward passes at once; replicas
    /// can, each on its own thread, for the memory of one model plus their activations.
    ///
    /// Inference only: call it after `fuseForInference()` (the replica is fused the same way)
    /// and do not train either network afterwards.
    public func replica(fused: Bool) throws -> Model {
        guard let entry = Zoo.entry(card.architecture) else {
            throw ReplicaError(reason: "unknown architecture \(card.architecture)")
        }
        let copy = Model(card: card, network: entry.build(card.config))
        if fused { copy.network.fuseForInference() }
        let mine = Dictionary(network.namedParameters().map { ($0.name, $0.parameter) }, uniquingKeysWith: { a, _ in a })
        for (name, p) in copy.network.namedParameters() {
            guard let src = mine[name], src.value.shape == p.value.shape else {
                throw ReplicaError(reason: "\(name) does not line up between the model and its replica (fused: \(fused))")
            }
            p.value = src.value
        }
        return copy
    }
}

public struct ReplicaError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "replica: \(reason)" }
}

/// Batched inference over several threads with one model's weights: the batch is split into
/// contiguous parts, each run by its own replica on one thread, and the outputs joined in
/// order. For a network of many small layers (MobileNet, EfficientNet-Lite, the detector)
/// this beats handing every layer both threads, which leaves them waiting on each other.
public final class BatchParallelInference {
    public let replicas: [Model]
    let contexts: [Context]

    /// `model` must already be fused for inference; it becomes the first replica.
    public init(model: Model, threads: Int) throws {
        precondition(threads >= 1)
        var r = [model]
        for _ in 1..<threads { r.append(try model.replica(fused: true)) }
        replicas = r
        contexts = r.map { _ in Context(threads: 1) }
    }

    public var threads: Int { replicas.count }

    /// The network's output for the batch `x` (N, …), N split over the replicas.
    public func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0], per = x.count / max(n, 1)
        let parts = min(threads, n)
        if parts <= 1 { return replicas[0].network.forward(x, context: contexts[0], training: false) }
        var outputs = [Tensor?](repeating: nil, count: parts)
        outputs.withUnsafeMutableBufferPointer { outs in
            let slots = outs
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let lo = n * p / parts, hi = n * (p + 1) / parts
                var dims = x.shape.dims
                dims[0] = hi - lo
                let part = Tensor(shape: Shape(dims), data: Array(x.data[(lo * per)..<(hi * per)]))
                slots[p] = replicas[p].network.forward(part, context: contexts[p], training: false)
            }
        }
        let first = outputs[0]!
        var dims = first.shape.dims
        dims[0] = n
        var data = [Float]()
        data.reserveCapacity(n * first.count / max(first.shape[0], 1))
        for o in outputs { data += o!.data }
        return Tensor(shape: Shape(dims), data: data)
    }
}
