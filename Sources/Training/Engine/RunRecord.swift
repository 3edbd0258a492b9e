import Checkpoint
import Foundation
import Yams

/// `run.yaml`: everything needed to repeat a training run — the command line that started it,
/// every resolved setting, the seed and thread count, a fingerprint of the data, and the Vigil
/// version and commit. `vigil train --config run.yaml` (and the other training commands)
/// parse `arguments` again, so the repeat runs the same code path with the same options.
public struct RunRecord: Codable, Equatable, Sendable {
    public struct Build: Codable, Equatable, Sendable {
        public var version: String
        public var commit: String?
        public init(version: String, commit: String?) {
            self.version = version
            self.commit = commit
        }
    }

    public var vigil: Build
    public var task: TaskKind
    /// The subcommand (`train`, `finetune`, `train-detect`, `anomaly fit`).
    public var command: String
    /// Its arguments, as given (the output folder included).
    public var arguments: [String]
    public var seed: UInt64
    public var threads: Int
    public var data: DataFingerprint
    public var options: TrainOptions
    /// The task's own settings (detection's crops and loss weights, the autoencoder's config), JSON.
    public var taskSettings: String?
    /// The model the run started from: its architecture and where it came from.
    public var architecture: String?
    public var startedFrom: String?

    public init(vigil: Build, task: TaskKind, command: String, arguments: [String], seed: UInt64, threads: Int, data: DataFingerprint,
                options: TrainOptions, taskSettings: String? = nil, architecture: String? = nil, startedFrom: String? = nil) {
        self.vigil = vigil
        self.task = task
        self.command = command
        self.arguments = arguments
        self.seed = seed
        self.threads = threads
        self.data = data
        self.options = options
        self.taskSettings = taskSettings
        self.architecture = architecture
        self.startedFrom = startedFrom
    }

    public func yaml() throws -> String {
        "# A Vigil training run; repeat it with: vigil \(command) --config run.yaml\n" + (try YAMLEncoder().encode(self))
    }

    func write(to path: String) throws {
        try writeAtomically(Data(try yaml().utf8), to: path)
    }

    /// Reads a `run.yaml`; errors name the file and what is wrong.
    public static func read(path: String) throws -> RunRecord {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TrainError(message: "\(path): cannot read: \(error.localizedDescription)")
        }
        do { return try YAMLDecoder().decode(RunRecord.self, from: text) } catch {
            throw TrainError(message: "\(path): not a run record: \(error)")
        }
    }
}
