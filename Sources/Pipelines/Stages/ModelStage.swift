import Augment
import Checkpoint
import Foundation
import Inference
import TensorCore
import Zoo

/// What the model stages (`classify`, `features`, `explain`) share: one model copy and one
/// single-threaded context per worker, and the model's own input definition.
final class Replicas {
    let models: [Model]
    let contexts: [Context]
    let spec: String

    init(_ spec: String, env: StageEnvironment, reader: ParameterReader, key: String = "model", fuse: Bool = true) throws {
        self.spec = spec
        do { models = try env.loadReplicas(spec, fuse: fuse) } catch { throw reader.fail(key, "\(error)") }
        contexts = models.map { _ in Context(threads: 1) }
    }

    var card: ModelCard { models[0].card }
    var input: ModelInput { ModelInput(card.preprocessing) }
    var flops: Double { Profile.of(models[0]).flops }
    var bytes: Int { models[0].parameterBytes }
    var name: String { spec }

    /// "(N, 224, 224, 3) → (N, 1000)": the network's input and its output (or `layer`'s).
    func shapes(upTo layer: String? = nil) -> String {
        let inp = input
        let profile = Profile.of(models[0])
        let row = layer.flatMap { l in profile.rows.last { $0.name == l } } ?? profile.rows.last
        let out = row.map { r in "(N, " + (1..<r.output.rank).map { String(r.output[$0]) }.joined(separator: ", ") + ")" } ?? "?"
        return "network (N, \(inp.size), \(inp.size), \(inp.channels)) → \(out)"
    }

    /// Network inputs of the given items: their `input` when a preprocess stage made one
    /// (already checked to fit), else the image prepared as the model's card says.
    /// Returns the batch and, per row, the item index; items without pixels are skipped.
    func batch(_ items: [PipelineItem]) -> (Tensor, [Int]) {
        let inp = input
        var rows: [Int] = []
        for (i, item) in items.enumerated() where item.ok && (item.input != nil || item.image != nil) { rows.append(i) }
        var x = Tensor(uninitialized: [rows.count, inp.size, inp.size, inp.channels])
        x.data.withUnsafeMutableBufferPointer { dst in
            for (r, i) in rows.enumerated() {
                let out = UnsafeMutableBufferPointer(rebasing: dst[(r * inp.sliceCount)..<((r + 1) * inp.sliceCount)])
                if let given = items[i].input {
                    _ = out.update(from: given)
                } else {
                    inp.prepare(items[i].image!, into: out)
                }
            }
        }
        return (x, rows)
    }

    /// The card's input size must match what `preprocess` made.
    func checkInput(_ flow: Flow, stage: String) throws {
        guard let given = flow.input else { return }
        let want = input
        if given.size != want.size || given.channels != want.channels {
            throw ParameterError(nil, "\(spec) takes (\(want.size), \(want.size), \(want.channels)) inputs but preprocess makes "
                                 + "(\(given.size), \(given.size), \(given.channels)); change preprocess or remove it")
        }
    }
}
