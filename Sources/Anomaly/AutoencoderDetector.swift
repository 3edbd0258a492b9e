import Augment
import Checkpoint
import Foundation
import ImageIO
import Layers
import Optim
import TensorCore
import Zoo

/// The zoo's convolutional autoencoder trained on good images to reproduce them: what it
/// cannot reproduce is anomalous. The map is the per-pixel squared reconstruction error
/// (mean over channels), or 1 − SSIM over 7×7 windows of the gray images (`ssim`), upsampled to
/// the image and smoothed; the image's score is the map's maximum.
public final class AutoencoderDetector: AnomalyModel {
    public struct Config: Codable, Equatable, Sendable {
        public var inputSize = 128
        public var width = 1.0
        public var epochs = 40
        public var batch = 16
        public var learningRate: Float = 2e-3
        public var ssim = false
        public var blurSigma = 4.0
        public var seed: UInt64 = 0
        public init() {}
    }

    public let method = "autoencoder"
    public let config: Config
    public let model: Model
    public var threshold: Float
    public let targetFPR: Double
    public var validationScores: [Float] = []
    /// How an image becomes the network's input (and its training sample).
    public let input: ModelInput

    /// A detector around a trained `conv_autoencoder` (threshold: `setThreshold`).
    public init(config: Config, model: Model, threshold: Float = .infinity, targetFPR: Double) {
        self.config = config
        self.model = model
        self.threshold = threshold
        self.targetFPR = targetFPR
        input = ModelInput(size: config.inputSize, resize: .stretch)
    }

    /// A fresh, seeded `conv_autoencoder` for `c`.
    public static func network(_ c: Config) throws -> Model {
        var ac = Zoo.entry("conv_autoencoder")!.defaultConfig
        ac.inputSize = c.inputSize
        ac.widthMultiplier = c.width
        ac.inputChannels = 3
        return try Model(zoo: "conv_autoencoder", config: ac, seed: c.seed)
    }

    /// Copies an HWC square image rotated by `turn` quarter turns and optionally mirrored.
    public static func augment(_ src: [Float], side n: Int, turn: Int, flip: Bool, into dst: inout [Float], offset: Int) {
        for y in 0..<n {
            for x in 0..<n {
                var sx = flip ? n - 1 - x : x, sy = y
                for _ in 0..<turn { (sx, sy) = (n - 1 - sy, sx) }
                let s = (sy * n + sx) * 3, d = offset + (y * n + x) * 3
                dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
            }
        }
    }

    /// Scores good validation images and sets the threshold that `targetFPR` of them exceed.
    public func setThreshold(validation scores: [Float]) {
        validationScores = scores
        threshold = Threshold.atFalsePositiveRate(scores, targetFPR)
    }

    public func score(_ image: Image, context: Context) -> AnomalyResult {
        let n = config.inputSize
        var x = Tensor(uninitialized: [1, n, n, 3])
        x.data.withUnsafeMutableBufferPointer { input.prepare(image, into: $0) }
        let y = model.network.forward(x, context: context, training: false)
        let grid = config.ssim ? Self.ssimError(x.data, y.data, side: n) : (0..<(n * n)).map { p -> Float in
            var s: Float = 0
            for c in 0..<3 { let d = x.data[p * 3 + c] - y.data[p * 3 + c]; s += d * d }
            return s / 3
        }
        let sigma = config.blurSigma * Double(max(image.width, image.height)) / 224
        let map = AnomalyMaps.upsample(grid, gridWidth: n, gridHeight: n, width: image.width, height: image.height, blur: sigma)
        return AnomalyResult(score: map.max() ?? 0, map: map, width: image.width, height: image.height)
    }

    /// 1 − SSIM of the gray images per pixel, over 7×7 windows (C1 = 0.01², C2 = 0.03² for [0, 1] values).
    static func ssimError(_ a: [Float], _ b: [Float], side n: Int) -> [Float] {
        func gray(_ v: [Float]) -> [Float] { (0..<(n * n)).map { 0.299 * v[$0 * 3] + 0.587 * v[$0 * 3 + 1] + 0.114 * v[$0 * 3 + 2] } }
        let ga = gray(a), gb = gray(b)
        let r = 3, c1: Float = 0.0001, c2: Float = 0.0009
        var out = [Float](repeating: 0, count: n * n)
        for y in 0..<n {
            for x in 0..<n {
                var sa: Float = 0, sb: Float = 0, saa: Float = 0, sbb: Float = 0, sab: Float = 0, k: Float = 0
                for yy in max(0, y - r)...min(n - 1, y + r) {
                    for xx in max(0, x - r)...min(n - 1, x + r) {
                        let u = ga[yy * n + xx], v = gb[yy * n + xx]
                        sa += u; sb += v; saa += u * u; sbb += v * v; sab += u * v; k += 1
                    }
                }
                let ma = sa / k, mb = sb / k
                let va = saa / k - ma * ma, vb = sbb / k - mb * mb, cov = sab / k - ma * mb
                let ssim = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                out[y * n + x] = max(0, 1 - ssim)
            }
        }
        return out
    }

    public var cost: (flops: Double, bytes: Int) { (Profile.of(model).flops, model.network.namedParameters().reduce(0) { $0 + $1.parameter.value.count * 4 }) }

    public func save(path: String) throws {
        let meta: [String: String] = [
            "format": "vigil-anomaly", "method": "autoencoder", TaskKind.metadataKey: TaskKind.anomalyAutoencoder.rawValue,
            "config": String(decoding: try JSONEncoder().encode(config), as: UTF8.self),
            "threshold": String(threshold), "target_fpr": String(targetFPR),
            "validation_scores": validationScores.map { String($0) }.joined(separator: ","), "vigil_version": vigilVersion,
        ]
        try SafeTensorsFile(tensors: model.network.namedParameters().map { ($0.name, $0.parameter.value) }, metadata: meta).write(to: path)
    }

    static func load(path: String, file: SafeTensorsFile) throws -> AutoencoderDetector {
        guard let text = file.metadata["config"], let c = try? JSONDecoder().decode(Config.self, from: Data(text.utf8)),
              let threshold = file.metadata["threshold"].flatMap(Float.init), let fpr = file.metadata["target_fpr"].flatMap(Double.init) else {
            throw AnomalyError(path: path, reason: "missing or unreadable config, threshold or target_fpr")
        }
        let model = try network(c)
        try model.assign(file.tensors, path: path)
        let det = AutoencoderDetector(config: c, model: model, threshold: threshold, targetFPR: fpr)
        det.validationScores = (file.metadata["validation_scores"] ?? "").split(separator: ",").compactMap { Float($0) }
        return det
    }
}
