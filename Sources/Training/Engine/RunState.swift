import Checkpoint
import Foundation
import Optim
import TensorCore

/// One finished epoch as the metrics log writes it: the task's figures by column name, then
/// the learning rate of the epoch's last step, the training seconds (validation excluded) and
/// the training throughput.
public struct EpochRow: Codable, Equatable, Sendable {
    /// 1-based.
    public var epoch: Int
    public var values: [String: Double]
    public var learningRate: Double
    public var seconds: Double
    public var imagesPerSecond: Double

    public subscript(name: String) -> Double? { values[name] }

    /// `epoch,<columns>,lr,seconds,images_per_second`.
    public static func csvHeader(columns: [String]) -> String {
        (["epoch"] + columns + ["lr", "seconds", "images_per_second"]).joined(separator: ",")
    }

    public func csvRow(columns: [String]) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        return ([String(epoch)] + columns.map { f(values[$0]) } + [f(learningRate), f(seconds), f(imagesPerSecond)]).joined(separator: ",")
    }

    public var jsonLine: String {
        var o: [String: Any] = ["epoch": epoch, "lr": learningRate, "seconds": seconds, "images_per_second": imagesPerSecond]
        for (k, v) in values { o[k] = v }
        return String(decoding: (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }
}

/// The optimizer scalars a resume needs beside its buffers.
struct OptimizerScalars: Codable, Equatable {
    var kind: String
    var step: Int
    var rate: Float
}

/// What a run trains on, checked when it resumes: the same count of samples and the same classes.
public struct DataFingerprint: Codable, Equatable, Sendable {
    public var count: Int
    public var classes: [String]
    /// A digest of the sample list (names and sizes) where the task can give one.
    public var digest: String?

    public init(count: Int, classes: [String], digest: String? = nil) {
        self.count = count
        self.classes = classes
        self.digest = digest
    }
}

/// Where a run stands: everything besides the weights and optimizer buffers that a resumed run
/// needs to continue exactly where the checkpoint was written.
struct RunState: Codable, Equatable {
    var task: TaskKind
    var options: TrainOptions
    /// The task's own settings (e.g. detection's crop and loss weights), JSON.
    var taskSettings: String
    var data: DataFingerprint
    var threads: Int
    /// The epoch in progress (0-based) and how far into its sample order it got.
    var epoch = 0
    var position = 0
    /// Steps over the whole run (drives the schedule and the dropout stream).
    var step = 0
    /// Running sums of the epoch in progress.
    var sums: [String: Double] = [:]
    var seen = 0
    var seconds = 0.0
    var history: [EpochRow] = []
    var best: Double?
    var bestEpoch: Int?
    var badEpochs = 0
    var stoppedEarly = false
    var optimizers: [String: OptimizerScalars] = [:]

    init(task: TaskKind, options: TrainOptions, taskSettings: String, data: DataFingerprint, threads: Int) {
        self.task = task
        self.options = options
        self.taskSettings = taskSettings
        self.data = data
        self.threads = threads
    }

    /// Books the monitored value of a finished epoch (1-based): whether it beat the best so
    /// far, and whether `patience` epochs without improvement now stop the run (0: never).
    mutating func endEpoch(_ epoch: Int, value: Double, maximise: Bool, patience: Int) -> (improved: Bool, stopsNow: Bool) {
        let improved = best.map { maximise ? value > $0 : value < $0 } ?? true
        if improved {
            best = value
            bestEpoch = epoch
            badEpochs = 0
            return (true, false)
        }
        badEpochs += 1
        if patience > 0 && badEpochs >= patience { stoppedEarly = true; return (false, true) }
        return (false, false)
    }
}

/// The resume checkpoint: one safetensors file with the task's tensors under their own names,
/// each optimizer's buffers under `optimizer/<parameter>/<slot>` (`optimizer/<name>/…` when a
/// task has several), the task's metadata (its model card) and the `RunState` as JSON in
/// `vigil.training`. One file, written atomically, so a run killed while saving still has the
/// previous complete checkpoint.
enum RunCheckpoint {
    static let optimizerPrefix = "optimizer/"
    static let stateKey = "vigil.training"

    static func prefix(_ name: String, of count: Int) -> String { count == 1 ? optimizerPrefix : optimizerPrefix + name + "/" }

    static func write(tensors: [(name: String, tensor: Tensor)], metadata: [String: String], optimizers: [(name: String, optimizer: Optimizer)],
                      state: RunState, to path: String) throws {
        var all = tensors
        var s = state
        for (name, opt) in optimizers {
            let st = opt.state()
            let p = prefix(name, of: optimizers.count)
            for key in st.buffers.keys.sorted() {
                let b = st.buffers[key]!
                all.append((p + key, Tensor(shape: Shape([b.count]), data: b)))
            }
            s.optimizers[name] = OptimizerScalars(kind: st.kind, step: st.step, rate: st.learningRate)
        }
        var meta = metadata
        meta[stateKey] = String(decoding: try jsonEncoder().encode(s), as: UTF8.self)
        try SafeTensorsFile(tensors: all, metadata: meta).write(to: path)
    }

    static func jsonEncoder() -> JSONEncoder {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return enc
    }

    static func state(of file: SafeTensorsFile, path: String) throws -> RunState {
        guard let json = file.metadata[stateKey] else {
            throw CheckpointError(path: path, reason: "no \(stateKey) metadata: not a resume checkpoint (last.safetensors and best.safetensors are model files)")
        }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try dec.decode(RunState.self, from: Data(json.utf8)) } catch {
            throw CheckpointError(path: path, reason: "\(stateKey) is malformed or from an older Vigil (start the run afresh): \(error)")
        }
    }

    /// The state of the checkpoint at `path`, with an error naming the file when there is none.
    static func readState(path: String) throws -> RunState {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainError(message: "\(path): no resume checkpoint here (was the run started with this --out?)")
        }
        return try state(of: SafeTensorsFile.read(path: path), path: path)
    }

    /// Loads the optimizers' buffers and scalars from `file` into `optimizers`.
    static func restore(optimizers: [(name: String, optimizer: Optimizer)], from file: SafeTensorsFile, state: RunState) throws {
        for (name, opt) in optimizers {
            let p = prefix(name, of: optimizers.count)
            var buffers: [String: [Float]] = [:]
            for (key, t) in file.tensors where key.hasPrefix(p) {
                let rest = String(key.dropFirst(p.count))
                // With several optimizers, another one's buffers share the bare prefix.
                if optimizers.count > 1 || !rest.isEmpty { buffers[rest] = t.data }
            }
            guard let sc = state.optimizers[name] else { throw TrainError(message: "the checkpoint has no state for optimizer \(name)") }
            try opt.load(OptimizerState(kind: sc.kind, step: sc.step, learningRate: sc.rate, buffers: buffers))
        }
    }

    /// The weights of the checkpoint (optimizer buffers left out).
    static func weights(of file: SafeTensorsFile) -> [(name: String, tensor: Tensor)] {
        file.tensors.filter { !$0.name.hasPrefix(optimizerPrefix) }
    }
}
