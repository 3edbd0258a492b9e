import Checkpoint
import Foundation
import Kernels
import Layers
import TensorCore

/// A network together with its model card: what `vigil classify`, `features` and `inspect`
/// work with.
public final class Model {
    public var card: ModelCard
    public let network: Sequential

    public init(card: ModelCard, network: Sequential) {
        self.card = card
        self.network = network
    }

    /// A fresh (randomly initialised) zoo model.
    public convenience init(zoo name: String, config: ArchitectureConfig? = nil, labels: [String] = [], seed: UInt64 = 0) throws {
        guard let e = Zoo.entry(name) else { throw CheckpointError(path: name, reason: "unknown architecture; known: \(Zoo.names.joined(separator: ", "))") }
        let cfg = config ?? e.defaultConfig
        let card = ModelCard(architecture: name, config: cfg, labels: labels, preprocessing: e.defaultPreprocessing,
                             provenance: Provenance(source: "random init", data: "", seed: seed, vigilVersion: vigilVersion, created: timestamp()))
        self.init(card: card, network: e.build(cfg, seed: seed))
    }

    /// Loads a Vigil safetensors checkpoint: the card rebuilds the architecture, then every
    /// tensor must match a parameter by name and shape.
    public static func load(path: String) throws -> Model {
        let file = try SafeTensorsFile.read(path: path)
        return try Model(metadata: file.metadata, weights: file.tensors, path: path)
    }

    /// A model from a file's metadata (its card) and tensors; errors name `path`.
    public convenience init(metadata: [String: String], weights: [(name: String, tensor: Tensor)], path: String) throws {
        let card = try ModelCard(metadata: metadata, path: path)
        guard let e = Zoo.entry(card.architecture) else {
            throw CheckpointError(path: path, reason: "unknown architecture \(card.architecture)")
        }
        self.init(card: card, network: e.build(card.config))
        try assign(weights, path: path)
    }

    /// Writes weights, running statistics and the card atomically.
    public func save(path: String) throws {
        let tensors = network.namedParameters().map { ($0.name, $0.parameter.value) }
        try SafeTensorsFile(tensors: tensors, metadata: card.metadata).write(to: path)
    }

    /// Sets parameters from named tensors; every parameter must be given exactly once.
    public func assign(_ tensors: [(name: String, tensor: Tensor)], path: String) throws {
        let params = Dictionary(network.namedParameters().map { ($0.name, $0.parameter) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<String>()
        var unexpected: [String] = []
        for (name, t) in tensors {
            guard let p = params[name] else { unexpected.append(name); continue }
            guard p.value.shape == t.shape else {
                throw CheckpointError(path: path, reason: "\(name): shape \(t.shape) in the file, \(p.value.shape) in \(card.architecture)")
            }
            p.value = t
            seen.insert(name)
        }
        let missing = params.keys.filter { !seen.contains($0) }.sorted()
        if !unexpected.isEmpty || !missing.isEmpty {
            var why: [String] = []
            if !missing.isEmpty { why.append("missing \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? " (+\(missing.count - 5))" : "")") }
            if !unexpected.isEmpty { why.append("unexpected \(unexpected.prefix(5).joined(separator: ", "))\(unexpected.count > 5 ? " (+\(unexpected.count - 5))" : "")") }
            throw CheckpointError(path: path, reason: "tensors do not match \(card.architecture): " + why.joined(separator: "; "))
        }
    }

    /// Maps a PyTorch state dict onto this network: names match (torchvision / EfficientNet-PyTorch
    /// layouts), convolution weights move from PyTorch's (O, I, KH, KW) to NHWC's (O, KH, KW, I),
    /// transposed-convolution weights from (I, O, KH, KW) to (I, KH, KW, O), and
    /// `num_batches_tracked` counters are dropped.
    public func assignTorch(_ state: [(name: String, tensor: TorchTensor)], path: String) throws {
        // Both layouts move axis 1 to the end.
        var channelsFirst = Set<String>()
        for (name, layer) in network.namedLayers() where layer is Conv2d || layer is ConvTranspose2d {
            channelsFirst.insert(name + ".weight")
        }
        var converted: [(name: String, tensor: Tensor)] = []
        for (name, t) in state where !name.hasSuffix("num_batches_tracked") {
            var tensor = Tensor(shape: Shape(t.shape), data: t.data)
            if channelsFirst.contains(name) {
                guard t.shape.count == 4 else { throw CheckpointError(path: path, reason: "\(name): expected a 4-D weight, got \(t.shape)") }
                tensor = permuteChannelsLast(tensor)
            }
            converted.append((name, tensor))
        }
        try assign(converted, path: path)
    }

    public var parameterCount: Int {
        network.namedParameters().filter { !$0.parameter.isBuffer }.reduce(0) { $0 + $1.parameter.value.count }
    }
}

/// (A, B, H, W) → (A, H, W, B): PyTorch's OIHW conv weight (and IOHW transposed-conv weight)
/// to Vigil's channels-last layouts.
public func permuteChannelsLast(_ t: Tensor) -> Tensor {
    let d = t.shape.dims
    let (a, b, h, w) = (d[0], d[1], d[2], d[3])
    var out = Tensor([a, h, w, b])
    for i in 0..<a { for j in 0..<b { for y in 0..<h { for x in 0..<w {
        out.data[((i * h + y) * w + x) * b + j] = t.data[((i * b + j) * h + y) * w + x]
    } } } }
    return out
}

public let vigilVersion = "0.1.0"

func timestamp() -> String { ISO8601DateFormatter().string(from: Date()) }
