import Foundation
import Inference
import TensorCore
import Zoo

/// `features`: a feature vector per image from any named layer, pooled over height and width
/// (`avg`, `max`) or flattened (`none`), optionally L2-normalised.
///
/// ```yaml
/// - features: {model: mobilenet_v2, layer: features.14, pool: max, l2: true}
/// ```
public final class FeaturesStage: Stage {
    struct Parameters: StageParameters {
        var model: String?
        var layer: String?
        var pool: String?
        var l2: Bool?
        enum CodingKeys: String, CodingKey, CaseIterable { case model, layer, pool, l2 }
        typealias Keys = CodingKeys
    }

    public let kind = "features"
    let replicas: Replicas
    public let layer: String
    let pool: String
    let l2: Bool

    init(_ r: ParameterReader, env: StageEnvironment) throws {
        let p = try r.decode(Parameters.self)
        guard let spec = p.model else { throw r.fail(nil, "missing model (a zoo name or a .safetensors file)") }
        do { try Check.oneOf(p.pool, "pool", ["avg", "max", "none"]) } catch let e as ParameterError { throw r.fail(e) }
        replicas = try Replicas(spec, env: env, reader: r)
        let m = replicas.models[0]
        guard let l = p.layer ?? m.defaultFeatureLayer else { throw r.fail("layer", "the model has no pooled layer; name one") }
        guard m.featureLayerNames.contains(l) else {
            throw r.fail("layer", "no layer \(l) in \(spec) (see vigil features --list-layers; BatchNorm and activations folded by inference fusion disappear)")
        }
        layer = l
        pool = p.pool ?? "avg"
        l2 = p.l2 ?? false
    }

    public var summary: String { "\(replicas.card.architecture) (\(replicas.name)) layer \(layer), pool \(pool)" + (l2 ? ", L2-normalised" : "") }

    public var cost: (flops: Double, bytes: Int) { (replicas.flops, replicas.bytes) }
    public var shapes: String? { replicas.shapes(upTo: layer) + " → pooled (N, D)" }

    public func check(_ flow: inout Flow) throws {
        guard flow.image || flow.input != nil else { throw ParameterError(nil, "needs an image: put decode (or video) before it") }
        if flow.regions != nil { throw ParameterError(nil, "works on whole images, not on regions") }
        try replicas.checkInput(flow, stage: kind)
        let inp = replicas.input
        let probe = Tensor([1, inp.size, inp.size, inp.channels])
        if let out = replicas.models[0].forward(probe, upTo: layer, context: replicas.contexts[0]) {
            flow.features = FeatureMaps.reduce(out, pool: pool, l2: false).count
        }
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        let model = replicas.models[worker], ctx = replicas.contexts[worker]
        let (x, rows) = replicas.batch(items)
        guard !rows.isEmpty else { return }
        let out = FeatureMaps.reduce(model.forward(x, upTo: layer, context: ctx)!, pool: pool, l2: l2)
        let width = out.count / rows.count
        for (r, i) in rows.enumerated() { items[i].features = Array(out.data[(r * width)..<((r + 1) * width)]) }
    }
}
