import Augment
import Checkpoint
import Detection
import Foundation
import ImageIO
import Inference
import TensorCore
import Zoo

/// `classify`: a classifier on the whole image (top-k classes), or — after `tile` or
/// `propose` — on every region's crop (each region gets the best class and its probability).
///
/// ```yaml
/// - classify: {model: mobilenet_v2, top_k: 5}
/// - classify: {model: runs/signs/best.safetensors, context: 0.1}   # regions: crops grown by 10 %
/// ```
public final class ClassifyStage: Stage {
    struct Parameters: StageParameters {
        var model: String?
        var top_k: Int?
        var context: Double?
        enum CodingKeys: String, CodingKey, CaseIterable { case model, top_k, context }
        typealias Keys = CodingKeys
    }

    public let kind = "classify"
    let replicas: Replicas
    public let topK: Int
    /// Regions are cropped with this fraction of their size added on every side.
    let contextFraction: Double
    var onRegions = false

    init(_ r: ParameterReader, env: StageEnvironment) throws {
        let p = try r.decode(Parameters.self)
        guard let spec = p.model else { throw r.fail(nil, "missing model (a zoo name or a .safetensors file)") }
        do {
            try Check.range(p.top_k, "top_k", 1...1000)
            try Check.range(p.context, "context", 0...2)
        } catch let e as ParameterError { throw r.fail(e) }
        replicas = try Replicas(spec, env: env, reader: r)
        topK = min(p.top_k ?? 5, replicas.card.config.numClasses)
        contextFraction = p.context ?? 0
    }

    public var card: ModelCard { replicas.card }

    public var summary: String {
        "\(replicas.card.architecture) (\(replicas.name)), \(replicas.card.config.numClasses) classes"
            + (onRegions ? ", on each region's crop" : ", top \(topK)")
    }

    public var cost: (flops: Double, bytes: Int) { (replicas.flops, replicas.bytes) }
    public var shapes: String? { replicas.shapes() }

    public func check(_ flow: inout Flow) throws {
        guard flow.image || flow.input != nil else { throw ParameterError(nil, "needs an image: put decode (or video) before it") }
        if flow.regions != nil {
            onRegions = true
            flow.regionsLabelled = true
            return
        }
        try replicas.checkInput(flow, stage: kind)
        flow.classification = true
        flow.topK = topK
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        let model = replicas.models[worker], ctx = replicas.contexts[worker]
        let labels = replicas.card.labels
        if onRegions {
            try classifyRegions(&items, model: model, context: ctx, labels: labels)
            return
        }
        let (x, rows) = replicas.batch(items)
        guard !rows.isEmpty else { return }
        let logits = model.network.forward(x, context: ctx, training: false)
        let width = logits.count / rows.count
        logits.data.withUnsafeBufferPointer { lp in
            for (r, i) in rows.enumerated() {
                items[i].top = Classification.top(logits: UnsafeBufferPointer(rebasing: lp[(r * width)..<((r + 1) * width)]), labels: labels, k: topK)
            }
        }
    }

    /// Every region of every item in one batch: crop (with context), prepare, one forward.
    func classifyRegions(_ items: inout [PipelineItem], model: Model, context ctx: Context, labels: [String]) throws {
        let inp = replicas.input
        var refs: [(item: Int, region: Int)] = []
        for i in items.indices where items[i].ok && items[i].image != nil {
            for j in items[i].regions.indices { refs.append((i, j)) }
        }
        guard !refs.isEmpty else { return }
        // Bounded batches keep memory flat when an image has many tiles.
        let chunk = 64
        for start in stride(from: 0, to: refs.count, by: chunk) {
            let part = refs[start..<min(start + chunk, refs.count)]
            var x = Tensor(uninitialized: [part.count, inp.size, inp.size, inp.channels])
            x.data.withUnsafeMutableBufferPointer { dst in
                for (r, ref) in part.enumerated() {
                    let image = items[ref.item].image!
                    let b = items[ref.item].regions[ref.region].box
                    let grow = contextFraction
                    let crop = Box(x0: b.x0 - grow * b.width, y0: b.y0 - grow * b.height, x1: b.x1 + grow * b.width, y1: b.y1 + grow * b.height)
                        .clipped(width: Double(image.width), height: Double(image.height))
                    let x0 = max(0, min(image.width - 1, Int(crop.x0.rounded(.down)))), y0 = max(0, min(image.height - 1, Int(crop.y0.rounded(.down))))
                    let x1 = max(x0 + 1, min(image.width, Int(crop.x1.rounded(.up)))), y1 = max(y0 + 1, min(image.height, Int(crop.y1.rounded(.up))))
                    let out = UnsafeMutableBufferPointer(rebasing: dst[(r * inp.sliceCount)..<((r + 1) * inp.sliceCount)])
                    inp.prepare(image.cropped(x: x0, y: y0, width: x1 - x0, height: y1 - y0), into: out)
                }
            }
            let logits = model.network.forward(x, context: ctx, training: false)
            let width = logits.count / part.count
            logits.data.withUnsafeBufferPointer { lp in
                for (r, ref) in part.enumerated() {
                    let best = Classification.top(logits: UnsafeBufferPointer(rebasing: lp[(r * width)..<((r + 1) * width)]), labels: labels, k: 1)[0]
                    items[ref.item].regions[ref.region].label = best.label
                    items[ref.item].regions[ref.region].classIndex = best.index
                    items[ref.item].regions[ref.region].score = best.score
                }
            }
        }
    }
}
