import Foundation
import TensorCore

/// Everything a checkpoint says about itself beside its tensors, stored as JSON strings in
/// the safetensors `__metadata__` (keys `vigil.architecture`, `vigil.config`, `vigil.labels`,
/// `vigil.preprocessing`, `vigil.provenance`, `vigil.task`). With it, `vigil classify --model FILE` needs
/// no other flag: the architecture is rebuilt from `config`, images are prepared as
/// `preprocessing` says, and outputs are named by `labels`.
public struct ModelCard: Codable, Equatable, Sendable {
    public var architecture: String
    public var config: ArchitectureConfig
    public var labels: [String]
    public var preprocessing: Preprocessing
    public var provenance: Provenance
    /// What the model does (`vigil.task`); files from before it existed get it from their architecture.
    public var task: TaskKind

    public init(architecture: String, config: ArchitectureConfig, labels: [String], preprocessing: Preprocessing, provenance: Provenance,
                task: TaskKind? = nil) {
        self.task = task ?? .inferred(architecture: architecture, anomalyMethod: nil)
        self.architecture = architecture
        self.config = config
        self.labels = labels
        self.preprocessing = preprocessing
        self.provenance = provenance
    }

    public var metadata: [String: String] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ v: T) -> String { String(decoding: (try? enc.encode(v)) ?? Data(), as: UTF8.self) }
        return ["format": "pt", "vigil.architecture": architecture, "vigil.config": json(config), "vigil.labels": json(labels),
                "vigil.preprocessing": json(preprocessing), "vigil.provenance": json(provenance), TaskKind.metadataKey: task.rawValue]
    }

    public init(metadata: [String: String], path: String) throws {
        func field<T: Decodable>(_ key: String, _ t: T.Type) throws -> T {
            guard let s = metadata[key] else { throw CheckpointError(path: path, reason: "metadata has no \(key): not a Vigil model file") }
            do { return try JSONDecoder().decode(T.self, from: Data(s.utf8)) } catch {
                throw CheckpointError(path: path, reason: "metadata \(key) is malformed: \(error)")
            }
        }
        guard let arch = metadata["vigil.architecture"] else {
            throw CheckpointError(path: path, reason: "metadata has no vigil.architecture: not a Vigil model file")
        }
        architecture = arch
        task = try TaskKind.of(metadata: metadata, path: path)
        config = try field("vigil.config", ArchitectureConfig.self)
        labels = try field("vigil.labels", [String].self)
        preprocessing = try field("vigil.preprocessing", Preprocessing.self)
        provenance = try field("vigil.provenance", Provenance.self)
        guard labels.isEmpty || labels.count == config.numClasses else {
            throw CheckpointError(path: path, reason: "\(labels.count) labels for \(config.numClasses) classes")
        }
    }
}

/// How an architecture is instantiated.
public struct ArchitectureConfig: Codable, Equatable, Sendable {
    public var numClasses: Int
    /// Square input side the network was built and trained for.
    public var inputSize: Int
    public var inputChannels: Int
    public var widthMultiplier: Double
    /// BatchNorm epsilon (PyTorch 1e-5; TensorFlow-trained EfficientNet-Lite 1e-3).
    public var batchNormEps: Float
    /// "symmetric" (PyTorch (k − 1)/2) or "tf_same" (TensorFlow SAME, extra pixel bottom/right).
    public var padding: String

    public init(numClasses: Int, inputSize: Int, inputChannels: Int = 3, widthMultiplier: Double = 1,
                batchNormEps: Float = 1e-5, padding: String = "symmetric") {
        self.numClasses = numClasses
        self.inputSize = inputSize
        self.inputChannels = inputChannels
        self.widthMultiplier = widthMultiplier
        self.batchNormEps = batchNormEps
        self.padding = padding
    }
}

/// How a model's input is resized (`vigil.preprocessing.resize`).
public enum ResizeMode: String, Choice {
    /// Scale so the shorter side is `resizeTo`, then centre-crop `inputSize` (classifiers).
    case shorterSide = "shorter_side"
    /// Resize straight to `inputSize` × `inputSize`, ignoring the aspect ratio.
    case stretch
    /// Scale so the longer side is `resizeTo`, keep the aspect ratio, pad to a multiple of 16 (detectors).
    case longerSide = "longer_side"
}

/// The colour a network sees (`vigil.preprocessing.color_mode`).
public enum ColorMode: String, Choice {
    case rgb, gray

    public var channels: Int { self == .gray ? 1 : 3 }
}

/// How to turn a decoded image into the network's input tensor.
public struct Preprocessing: Codable, Equatable, Sendable {
    /// Final square side fed to the network.
    public var inputSize: Int
    public var resize: ResizeMode
    public var resizeTo: Int
    /// Per-channel mean and std applied to values in [0, 1].
    public var mean: [Float]
    public var std: [Float]
    public var interpolation: String
    public var colorMode: ColorMode

    public init(inputSize: Int, resize: ResizeMode, resizeTo: Int, mean: [Float], std: [Float],
                interpolation: String = "bilinear", colorMode: ColorMode = .rgb) {
        self.inputSize = inputSize
        self.resize = resize
        self.resizeTo = resizeTo
        self.mean = mean
        self.std = std
        self.interpolation = interpolation
        self.colorMode = colorMode
    }

    /// Channels of the network input.
    public var channels: Int { colorMode.channels }

    /// torchvision's ImageNet evaluation transform: shorter side 256, centre crop 224.
    public static let imagenetTorchvision = Preprocessing(inputSize: 224, resize: .shorterSide, resizeTo: 256,
                                                          mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
}

/// Where the weights came from.
public struct Provenance: Codable, Equatable, Sendable {
    public var source: String
    public var data: String
    public var epochs: Int?
    public var seed: UInt64?
    public var vigilVersion: String
    public var created: String

    public init(source: String, data: String, epochs: Int? = nil, seed: UInt64? = nil, vigilVersion: String, created: String) {
        self.source = source
        self.data = data
        self.epochs = epochs
        self.seed = seed
        self.vigilVersion = vigilVersion
        self.created = created
    }
}
