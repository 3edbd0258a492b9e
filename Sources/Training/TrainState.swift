import Checkpoint
import Foundation
import Optim
import TensorCore
import Zoo

/// One finished epoch's figures, as the metrics log writes them.
public struct EpochRecord: Codable, Equatable, Sendable {
    /// 1-based.
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var valLoss: Double?
    public var valAccuracy: Double?
    /// The learning rate of the epoch's last step.
    public var learningRate: Double
    /// Training time of the epoch (validation excluded).
    public var seconds: Double
    public var imagesPerSecond: Double

    public static let csvHeader = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,images_per_second"

    public var csvRow: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        return "\(epoch),\(f(trainLoss)),\(f(trainAccuracy)),\(f(valLoss)),\(f(valAccuracy)),\(f(learningRate)),\(f(seconds)),\(f(imagesPerSecond))"
    }

    public var jsonLine: String {
        var o: [String: Any] = ["epoch": epoch, "train_loss": trainLoss, "train_accuracy": trainAccuracy, "lr": learningRate,
                                "seconds": seconds, "images_per_second": imagesPerSecond]
        if let valLoss { o["val_loss"] = valLoss }
        if let valAccuracy { o["val_accuracy"] = valAccuracy }
        return String(decoding: (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    /// The value of a monitor name (`val_accuracy`, `train_loss`, …).
    public func value(of monitor: String) -> Double? {
        switch monitor {
        case "val_accuracy": return valAccuracy
        case "val_loss": return valLoss
        case "train_accuracy": return trainAccuracy
        default: return trainLoss
        }
    }
}

/// Where a run stands: everything besides the weights and optimizer buffers that a resumed
/// run needs to continue exactly where the checkpoint was written.
struct TrainState: ResumableState, Equatable {
    var options: TrainOptions
    var threads: Int
    /// What the run trains on, checked on resume.
    var trainCount: Int
    var classes: [String]
    /// The epoch in progress (0-based) and how far into its sample order it got.
    var epoch = 0
    var position = 0
    /// Optimizer steps taken over the whole run (drives the schedule and the dropout stream).
    var step = 0
    /// Running sums of the epoch in progress.
    var lossSum = 0.0
    var correct = 0
    var seen = 0
    var seconds = 0.0
    var history: [EpochRecord] = []
    var best: Double?
    var bestEpoch: Int?
    var badEpochs = 0
    var stoppedEarly = false
    var optimizerKind = ""
    var optimizerStep = 0
    var optimizerRate: Float = 0

    init(options: TrainOptions, threads: Int, trainCount: Int, classes: [String]) {
        self.options = options
        self.threads = threads
        self.trainCount = trainCount
        self.classes = classes
    }
}

/// A run's state as the resume checkpoint stores it, with the optimizer's scalars.
protocol ResumableState: Codable {
    var optimizerKind: String { get set }
    var optimizerStep: Int { get set }
    var optimizerRate: Float { get set }
    var best: Double? { get set }
    var bestEpoch: Int? { get set }
    var badEpochs: Int { get set }
    var stoppedEarly: Bool { get set }
}

extension ResumableState {
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

/// The resume checkpoint: one safetensors file holding the model's tensors under their own
/// names, the optimizer's buffers under `optimizer/<parameter>/<slot>`, the model card, and
/// the `TrainState` as JSON in `vigil.training`. One file, written atomically, so a run
/// killed while saving still has the previous complete checkpoint.
enum ResumeCheckpoint {
    static let optimizerPrefix = "optimizer/"
    static let stateKey = "vigil.training"

    static func write<S: ResumableState>(model: Model, optimizer: OptimizerState, state: S, to path: String) throws {
        var tensors = model.network.namedParameters().map { (name: $0.name, tensor: $0.parameter.value) }
        for key in optimizer.buffers.keys.sorted() {
            let b = optimizer.buffers[key]!
            tensors.append((optimizerPrefix + key, Tensor(shape: Shape([b.count]), data: b)))
        }
        var s = state
        s.optimizerKind = optimizer.kind
        s.optimizerStep = optimizer.step
        s.optimizerRate = optimizer.learningRate
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var metadata = model.card.metadata
        metadata[stateKey] = String(decoding: try enc.encode(s), as: UTF8.self)
        try SafeTensorsFile(tensors: tensors, metadata: metadata).write(to: path)
    }

    static func state<S: ResumableState>(metadata: [String: String], path: String, as type: S.Type = TrainState.self) throws -> S {
        guard let json = metadata[stateKey] else {
            throw CheckpointError(path: path, reason: "no \(stateKey) metadata: not a resume checkpoint (last.safetensors and best.safetensors are model files)")
        }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try dec.decode(S.self, from: Data(json.utf8)) } catch {
            throw CheckpointError(path: path, reason: "\(stateKey) is malformed: \(error)")
        }
    }

    static func readState<S: ResumableState>(path: String, as type: S.Type = TrainState.self) throws -> S {
        try state(metadata: SafeTensorsFile.read(path: path).metadata, path: path, as: type)
    }

    static func read<S: ResumableState>(path: String, as type: S.Type = TrainState.self) throws -> (model: Model, optimizer: OptimizerState, state: S) {
        let file = try SafeTensorsFile.read(path: path)
        let state = try state(metadata: file.metadata, path: path, as: type)
        let card = try ModelCard(metadata: file.metadata, path: path)
        guard let entry = Zoo.entry(card.architecture) else { throw CheckpointError(path: path, reason: "unknown architecture \(card.architecture)") }
        let model = Model(card: card, network: entry.build(card.config))
        var weights: [(name: String, tensor: Tensor)] = []
        var buffers: [String: [Float]] = [:]
        for (name, t) in file.tensors {
            if name.hasPrefix(optimizerPrefix) { buffers[String(name.dropFirst(optimizerPrefix.count))] = t.data } else { weights.append((name, t)) }
        }
        try model.assign(weights, path: path)
        return (model, OptimizerState(kind: state.optimizerKind, step: state.optimizerStep, learningRate: state.optimizerRate, buffers: buffers), state)
    }
}
