import TensorCore

/// What a model file or training run does. Every model file records it (`vigil.task`) and
/// every loader checks it, so a detector is never taken for a classifier.
public enum TaskKind: String, Choice {
    case classify
    case detect
    case anomalyAutoencoder = "anomaly-autoencoder"
    case anomalyPatchcore = "anomaly-patchcore"
    /// The toy tasks of the engine's own tests.
    case experiment

    /// The metadata key that holds it.
    public static let metadataKey = "vigil.task"

    /// The task of a file written before `vigil.task` existed, from what it does say.
    public static func inferred(architecture: String?, anomalyMethod: String?) -> TaskKind {
        if let m = anomalyMethod { return m == "autoencoder" ? .anomalyAutoencoder : .anomalyPatchcore }
        if let a = architecture, a.hasSuffix("_detect") { return .detect }
        if architecture == "conv_autoencoder" { return .anomalyAutoencoder }
        return .classify
    }

    /// `vigil.task` of `metadata`, or what older files imply; an unknown value is an error naming the valid ones.
    public static func of(metadata: [String: String], path: String) throws -> TaskKind {
        if let s = metadata[metadataKey] {
            guard let t = TaskKind(rawValue: s) else {
                throw CheckpointError(path: path, reason: "\(metadataKey) \"\(s)\" is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return t
        }
        return inferred(architecture: metadata["vigil.architecture"], anomalyMethod: metadata["format"] == "vigil-anomaly" ? metadata["method"] ?? "patchcore" : nil)
    }
}
