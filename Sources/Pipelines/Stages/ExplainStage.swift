import Augment
import Foundation
import Inference
import TensorCore
import Zoo

/// `explain`: a Grad-CAM heat map of where the classifier looked, for its top class or a named
/// one, over the whole image (0 outside the centre crop the network saw). `annotate` blends it in.
///
/// ```yaml
/// - explain: {class: stop}               # the model of the classify stage before it
/// - explain: {model: m.safetensors, layer: features.18}
/// ```
public final class ExplainStage: Stage {
    struct Parameters: StageParameters {
        var model: String?
        var layer: String?
        var `class`: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case model, layer, `class` }
        typealias Keys = CodingKeys
    }

    public let kind = "explain"
    var spec: String?
    let layerName: String?
    let className: String?
    var cams: [GradCAM] = []
    /// One single-threaded context per worker, kept across batches.
    var contexts: [Context] = []
    var classIndex: Int?
    let reader: ParameterReader
    let env: StageEnvironment

    init(_ r: ParameterReader, env: StageEnvironment) throws {
        let p = try r.decode(Parameters.self)
        spec = p.model
        layerName = p.layer
        className = p.class
        reader = r
        self.env = env
        if spec != nil { try load() }
    }

    /// Loads the model (unfused: Grad-CAM needs the layers fusion folds away) once per worker.
    func load(defaultSpec: String? = nil) throws {
        guard let s = spec ?? defaultSpec else { throw reader.fail("model", "missing: name a model, or put a classify stage before explain") }
        spec = s
        let models: [Model]
        do { models = try env.loadReplicas(s, fuse: false) } catch { throw reader.fail("model", "\(error)") }
        do { cams = try models.map { try GradCAM(model: $0, layer: layerName) } } catch { throw reader.fail("layer", "\(error)") }
        contexts = cams.map { _ in Context(threads: 1) }
        if let name = className {
            guard let i = models[0].card.labels.firstIndex(of: name) else {
                let some = models[0].card.labels.prefix(12).joined(separator: ", ")
                throw reader.fail("class", "\(s) has no class \(name) (classes: \(some)\(models[0].card.labels.count > 12 ? ", …" : ""))")
            }
            classIndex = i
        }
    }

    public var summary: String {
        "Grad-CAM on \(cams.first?.layer ?? "?") of \(spec ?? "?") for " + (className ?? "the top class")
    }

    public var cost: (flops: Double, bytes: Int) {
        guard let m = cams.first?.model else { return (0, 0) }
        return (Profile.of(m).flops, m.parameterBytes)
    }

    public func check(_ flow: inout Flow) throws {
        guard flow.image else { throw ParameterError(nil, "needs an image: put decode (or video) before it") }
        if flow.regions != nil { throw ParameterError(nil, "explains whole-image classification; put it before tile or propose") }
        flow.heatmap = true
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        let cam = cams[worker]
        let input = ModelInput(cam.model.card.preprocessing)
        let ctx = contexts[worker]
        for i in items.indices where items[i].ok {
            guard let image = items[i].image else { continue }
            var x = Tensor(uninitialized: [1, input.size, input.size, input.channels])
            x.data.withUnsafeMutableBufferPointer { input.prepare(image, into: $0) }
            let r = cam.explain(x, classIndex: classIndex, context: ctx)
            let full = GradCAM.imageMap(r, input: input, width: image.width, height: image.height)
            items[i].heatmap = HeatMap(width: full.width, height: full.height, values: full.map,
                                       title: String(format: "grad-cam: %@ %.1f%%", r.label, Double(r.probability) * 100))
        }
    }
}
