import Checkpoint
import Foundation
import ImageIO
import Inference
import TensorCore
import Zoo

/// An anomaly detector fitted on good parts: a score per image with a map, and the threshold
/// (chosen on good validation images) above which a part is NG.
public protocol AnomalyModel: AnyObject {
    var method: String { get }
    var threshold: Float { get }
    var targetFPR: Double { get }
    func score(_ image: Image, context: Context) -> AnomalyResult
    func save(path: String) throws
    /// FLOPs per image and bytes held, for plans.
    var cost: (flops: Double, bytes: Int) { get }
}

extension PatchCore: AnomalyModel {
    public var method: String { "patchcore" }
    public var cost: (flops: Double, bytes: Int) {
        let backbone = Profile.of(features.backbone).flops  // an upper bound: the pass stops at the deepest layer used
        return (backbone + 2 * Double(features.gridWidth * features.gridHeight * features.dim * memory.count), memory.memory.count * 4)
    }
}

public enum AnomalyModels {
    /// Reads an anomaly model file (PatchCore or autoencoder); backbones by zoo name come from `store`.
    public static func load(path: String, store: ModelStore) throws -> AnomalyModel {
        let file: SafeTensorsFile
        file = try SafeTensorsFile.read(path: path)  // its errors name the file
        guard file.metadata["format"] == "vigil-anomaly" else {
            throw AnomalyError(path: path, reason: "not an anomaly model (fit one with vigil anomaly fit)")
        }
        switch file.metadata["method"] {
        case "patchcore":
            return try PatchCore.load(path: path, file: file) { spec in
                let m = try store.load(spec)
                m.network.fuseForInference()
                return m
            }
        case "autoencoder":
            return try AutoencoderDetector.load(path: path, file: file)
        case let m:
            throw AnomalyError(path: path, reason: "unknown anomaly method \(m ?? "(none)")")
        }
    }

    /// True when the file's metadata says it is an anomaly model.
    public static func isAnomalyModel(path: String) -> Bool {
        (try? SafeTensorsFile.read(path: path))?.metadata["format"] == "vigil-anomaly"
    }
}
