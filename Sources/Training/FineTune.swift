import Inference
import Checkpoint
import Datasets
import Foundation
import Layers
import TensorCore
import Zoo

/// Turning a pretrained network into one for new labels.
public enum FineTune {
    /// The starting model: a zoo name with imported weights, a Vigil `.safetensors`, or a
    /// PyTorch `.pth` state dict for `arch` (read by the restricted unpickler).
    public static func loadBase(_ spec: String, arch: String?, store: ModelStore) throws -> Model {
        if spec.lowercased().hasSuffix(".pth") || spec.lowercased().hasSuffix(".pt") {
            let name = arch ?? "mobilenet_v2"
            guard Zoo.entry(name) != nil else { throw CheckpointError(path: spec, reason: "unknown --arch \(name)") }
            let model = try Model(zoo: name)
            try model.assignTorch(TorchFile.load(path: spec), path: spec)
            model.card.provenance.source = "imported from \((spec as NSString).lastPathComponent)"
            return model
        }
        return try store.load(spec)
    }

    /// `base` with its classifier — the last Linear layer — replaced by a freshly initialised
    /// one with an output per class. Every other tensor is copied. Returns the new model, the
    /// head layer's name and its parameter names.
    ///
    /// With `architecture`, the new model is that zoo architecture instead (e.g.
    /// `mobilenet_v2_s16`, MobileNetV2 cut at stride 16): every tensor it shares with the base
    /// by name is copied, and its own head is fresh; its input size and preprocessing are its own.
    public static func withNewHead(_ base: Model, classes: [String], seed: UInt64, architecture: String? = nil) throws
        -> (model: Model, headLayer: String, headParameters: [String]) {
        var config = base.card.config
        if let architecture {
            guard let e = Zoo.entry(architecture) else { throw TrainError(message: "unknown architecture \(architecture)") }
            config = e.defaultConfig
            config.inputChannels = base.card.config.inputChannels
        }
        config.numClasses = classes.count
        let fresh = try Model(zoo: architecture ?? base.card.architecture, config: config, labels: classes, seed: seed)
        guard let head = fresh.network.namedLayers().last(where: { $0.layer is Linear })?.name else {
            throw TrainError(message: "\(fresh.card.architecture) has no linear classifier to replace")
        }
        let source = Dictionary(base.network.namedParameters().map { ($0.name, $0.parameter) }, uniquingKeysWith: { a, _ in a })
        var headParameters: [String] = []
        for (name, p) in fresh.network.namedParameters() {
            if name.hasPrefix(head + ".") { headParameters.append(name); continue }
            guard let s = source[name], s.value.shape == p.value.shape else {
                throw TrainError(message: "\(name) does not match between the base model (\(base.card.architecture)) and a fresh \(fresh.card.architecture)")
            }
            p.value = s.value
        }
        if architecture == nil { fresh.card.preprocessing = base.card.preprocessing }
        fresh.card.provenance = Provenance(source: "fine-tuned from \(base.card.architecture) (\(base.card.provenance.source))", data: "",
                                           vigilVersion: vigilVersion, created: ISO8601DateFormatter().string(from: Date()))
        return (fresh, head, headParameters)
    }
}

/// Training, validation and test parts of a dataset source: an explicit val/ part when there
/// is one, else a seeded stratified split of `validationFraction` of the training data.
public func trainingParts(_ source: DatasetSource, validationFraction: Double, seed: UInt64)
    -> (train: any Dataset, validation: (any Dataset)?, test: (any Dataset)?) {
    if let v = source.validation { return (source.train, v, source.test) }
    guard validationFraction > 0 else { return (source.train, nil, source.test) }
    let (tr, va) = stratifiedSplit(source.train, fraction: validationFraction, seed: seed)
    return (Subset(source.train, tr), va.isEmpty ? nil : Subset(source.train, va), source.test)
}
