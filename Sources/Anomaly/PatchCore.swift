import Checkpoint
import Foundation
import ImageIO
import Inference
import TensorCore
import Zoo

/// PatchCore (Roth et al. 2021): a memory bank of patch features of good parts; a patch's
/// anomaly is its distance to the nearest remembered patch, the image's anomaly the largest.
///
/// Fitting embeds every good image (`PatchFeatures`), keeps a greedy coreset of the patches
/// within a memory budget, and sets the decision threshold on held-out good images at a target
/// false-positive rate. Scoring is one backbone pass, one sgemm against the memory bank, and a
/// map upsampled to the image and smoothed with a Gaussian (σ = 4 px at 224 px).
public final class PatchCore {
    public struct Config: Codable, Equatable, Sendable {
        /// A zoo name with pretrained weights (the model cache), or a .safetensors path.
        public var backbone = "mobilenet_v2"
        public var layers: [String] = []
        public var inputSize = 224
        /// The memory bank's size budget in megabytes (floats of `dim` values per patch).
        public var memoryMB = 2.0
        /// Random-projection width for coreset distances.
        public var projection = 32
        public var blurSigma = 4.0
        public var seed: UInt64 = 0
        public init() {}
    }

    public let config: Config
    public let features: PatchFeatures
    public let memory: NearestNeighbours
    /// Image score above which a part is NG (not good).
    public var threshold: Float
    /// The false-positive rate `threshold` was chosen for, and the good validation scores.
    public var targetFPR: Double
    public var validationScores: [Float]

    public init(config: Config, features: PatchFeatures, memory: [Float], threshold: Float, targetFPR: Double, validationScores: [Float]) {
        self.config = config
        self.features = features
        self.memory = NearestNeighbours(memory: memory, dim: features.dim)
        self.threshold = threshold
        self.targetFPR = targetFPR
        self.validationScores = validationScores
    }

    /// Fits on good images; `validation` (good, held out) sets the threshold at `fpr`.
    public static func fit(good: [Image], validation: [Image], config: Config, backbone: Model, fpr: Double, threads: Int,
                           progress: ((Int, Int) -> Void)? = nil) throws -> PatchCore {
        guard !good.isEmpty else { throw AnomalyError(path: config.backbone, reason: "no good images to fit on") }
        let layers = config.layers.isEmpty ? (PatchFeatures.defaultLayers[backbone.card.architecture] ?? []) : config.layers
        guard !layers.isEmpty else { throw AnomalyError(path: config.backbone, reason: "name the backbone layers to use (no default for \(backbone.card.architecture))") }
        let pf = try PatchFeatures(backbone: backbone, layers: layers, inputSize: config.inputSize)
        let ctx = Context(threads: threads)
        var all: [Float] = []
        let batch = 8
        for start in stride(from: 0, to: good.count, by: batch) {
            all += pf.embed(Array(good[start..<min(start + batch, good.count)]), context: ctx)
            progress?(min(start + batch, good.count), good.count)
        }
        let n = all.count / pf.dim
        let budget = max(1, Int(config.memoryMB * 1e6) / (pf.dim * 4))
        let chosen = Coreset.select(all, n: n, d: pf.dim, count: min(budget, n), projection: config.projection, seed: config.seed, threads: threads)
        var bank = [Float](repeating: 0, count: chosen.count * pf.dim)
        for (r, i) in chosen.enumerated() { for k in 0..<pf.dim { bank[r * pf.dim + k] = all[i * pf.dim + k] } }
        var c = config
        c.layers = layers
        let model = PatchCore(config: c, features: pf, memory: bank, threshold: .infinity, targetFPR: fpr, validationScores: [])
        let scores = validation.map { model.score($0, context: ctx).score }
        model.validationScores = scores
        model.threshold = Threshold.atFalsePositiveRate(scores, fpr)
        return model
    }

    /// The anomaly score and map of one image.
    public func score(_ image: Image, context: Context) -> AnomalyResult {
        let patches = features.embed([image], context: context)
        let d = memory.distances(patches, context: context)
        let sigma = config.blurSigma * Double(max(image.width, image.height)) / Double(config.inputSize)
        let map = AnomalyMaps.upsample(d, gridWidth: features.gridWidth, gridHeight: features.gridHeight, width: image.width, height: image.height, blur: sigma)
        return AnomalyResult(score: map.max() ?? 0, map: map, width: image.width, height: image.height)
    }

    // MARK: files

    /// Writes the memory bank and everything needed to score (the backbone by name) as safetensors.
    public func save(path: String) throws {
        let meta: [String: String] = [
            "format": "vigil-anomaly", "method": "patchcore", TaskKind.metadataKey: TaskKind.anomalyPatchcore.rawValue,
            "config": String(decoding: try JSONEncoder().encode(config), as: UTF8.self),
            "threshold": String(threshold), "target_fpr": String(targetFPR),
            "validation_scores": validationScores.map { String($0) }.joined(separator: ","),
            "dim": String(features.dim), "vigil_version": vigilVersion,
        ]
        try SafeTensorsFile(tensors: [("memory", Tensor(shape: [memory.count, features.dim], data: memory.memory))], metadata: meta).write(to: path)
    }

    /// Reads a PatchCore file; `backbone` loads the backbone it names.
    public static func load(path: String, file: SafeTensorsFile, backbone: (String) throws -> Model) throws -> PatchCore {
        func meta(_ k: String) throws -> String {
            guard let v = file.metadata[k] else { throw AnomalyError(path: path, reason: "missing \(k) in the metadata") }
            return v
        }
        let config: Config
        do { config = try JSONDecoder().decode(Config.self, from: Data(try meta("config").utf8)) } catch let e as AnomalyError { throw e } catch {
            throw AnomalyError(path: path, reason: "unreadable config: \(error)")
        }
        guard let mem = file.tensors.first(where: { $0.name == "memory" })?.tensor, mem.shape.rank == 2 else {
            throw AnomalyError(path: path, reason: "no memory tensor")
        }
        guard let threshold = Float(try meta("threshold")), let fpr = Double(try meta("target_fpr")) else {
            throw AnomalyError(path: path, reason: "threshold or target_fpr is not a number")
        }
        let pf = try PatchFeatures(backbone: try backbone(config.backbone), layers: config.layers, inputSize: config.inputSize)
        guard pf.dim == mem.shape[1] else {
            throw AnomalyError(path: path, reason: "the memory has \(mem.shape[1])-wide features but \(config.backbone) makes \(pf.dim)")
        }
        let val = (file.metadata["validation_scores"] ?? "").split(separator: ",").compactMap { Float($0) }
        return PatchCore(config: config, features: pf, memory: mem.data, threshold: threshold, targetFPR: fpr, validationScores: val)
    }
}

/// One scored image: its score and a `height × width` anomaly map at the image's resolution.
public struct AnomalyResult: Sendable {
    public var score: Float
    public var map: [Float]
    public var width: Int
    public var height: Int
}
