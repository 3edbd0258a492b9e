import Checkpoint
import Foundation
import Zoo

/// Where imported pretrained models live: `<folder>/<zoo name>.safetensors`.
/// The CLI picks the folder (`--cache`, else `$VIGIL_CACHE_DIR`, else `~/.cache/vigil/models`).
public struct ModelStore {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    public static func defaultFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let dir = environment["VIGIL_CACHE_DIR"], !dir.isEmpty { return dir }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/vigil/models").path
    }

    public func path(for name: String) -> String { folder + "/" + name + ".safetensors" }

    public func hasPretrained(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(for: name)) }

    /// A model from a checkpoint path, or a zoo name with imported pretrained weights.
    public func load(_ spec: String) throws -> Model {
        if FileManager.default.fileExists(atPath: spec) { return try Model.load(path: spec) }
        guard Zoo.entry(spec) != nil else {
            throw CheckpointError(path: spec, reason: "neither a file nor a zoo model (known: \(Zoo.names.joined(separator: ", ")))")
        }
        guard hasPretrained(spec) else {
            throw CheckpointError(path: path(for: spec),
                                  reason: "no pretrained \(spec) here; run scripts/fetch-models.sh (or vigil import) first")
        }
        return try Model.load(path: path(for: spec))
    }
}
