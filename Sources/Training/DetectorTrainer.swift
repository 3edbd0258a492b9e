import Augment
import Checkpoint
import Datasets
import Detection
import Foundation
import ImageIO
import Jobs
import Layers
import Optim
import Reports
import TensorCore
import Zoo

/// One finished epoch of detection training.
public struct DetectEpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Total, heat-map (focal) and box (GIoU + L1) losses averaged over the epoch's images.
    public var trainLoss: Double
    public var heatLoss: Double
    public var boxLoss: Double
    /// AP@0.5 and COCO AP@[.5:.95] over all classes on the validation images.
    public var valAP50: Double?
    public var valAP: Double?
    public var learningRate: Double
    public var seconds: Double
    public var imagesPerSecond: Double

    public init(_ row: EpochRow) {
        epoch = row.epoch
        trainLoss = row["train_loss"] ?? .nan
        heatLoss = row["heat_loss"] ?? .nan
        boxLoss = row["box_loss"] ?? .nan
        valAP50 = row["val_ap50"]
        valAP = row["val_ap"]
        learningRate = row.learningRate
        seconds = row.seconds
        imagesPerSecond = row.imagesPerSecond
    }
}

/// What a detection run did.
public struct DetectTrainSummary: Sendable {
    public var history: [DetectEpochRecord]
    public var best: Double?
    public var bestEpoch: Int?
    public var monitor: String
    public var stoppedEarly: Bool
    public var interrupted: Bool
    public var lastModelPath: String
    public var bestModelPath: String
}

/// Trains a `mobilenet_v2_detect` model on a box dataset: a `DetectionTask` on the `TrainingLoop`.
///
/// Files in `folder`: `checkpoint.safetensors` (resume), `last.safetensors`,
/// `best.safetensors` (highest validation AP@0.5, or lowest training loss without
/// validation), `metrics.csv`, `curves.png`, `run.yaml`.
public final class DetectorTrainer {
    public let task: DetectionTask
    public let loop: TrainingLoop<DetectionTask>

    public var model: Model { task.model }
    public var options: TrainOptions { task.options }
    public var detect: DetectOptions { task.detect }
    public var maxSteps: Int? { get { loop.maxSteps } set { loop.maxSteps = newValue } }
    public var progress: Bool { get { loop.progress } set { loop.progress = newValue } }
    public var onNote: (String) -> Void { get { loop.onNote } set { loop.onNote = newValue } }
    public var onEpoch: (DetectEpochRecord) -> Void {
        get { { _ in } }
        set { loop.onEpoch = { newValue(DetectEpochRecord($0)) } }
    }
    public var resumeCheckpointPath: String { loop.resumeCheckpointPath }
    public var lastModelPath: String { loop.lastModelPath }
    public var bestModelPath: String { loop.bestModelPath }
    public var metricsPath: String { loop.metricsPath }
    public var curvesPath: String { loop.curvesPath }
    public var monitor: String { task.monitor.name }
    public var startingPoint: (epoch: Int, position: Int, step: Int) { loop.startingPoint }

    public init(model: Model, dataset: BoxDataset, trainIndices: [Int], validationIndices: [Int], options: TrainOptions,
                detect: DetectOptions, folder: String, threads: Int) throws {
        task = try DetectionTask(model: model, dataset: dataset, trainIndices: trainIndices, validationIndices: validationIndices,
                                 options: options, detect: detect, threads: threads)
        loop = try TrainingLoop(task: task, options: options, taskSettings: task.settingsJSON, data: task.data, folder: folder, threads: threads)
    }

    private init(task: DetectionTask, loop: TrainingLoop<DetectionTask>) {
        self.task = task
        self.loop = loop
    }

    /// Continues the run whose resume checkpoint is in `folder`.
    public static func resume(folder: String, dataset: BoxDataset, trainIndices: [Int], validationIndices: [Int], threads: Int) throws -> DetectorTrainer {
        let saved = try TrainingLoop<DetectionTask>.savedRun(folder: folder)
        let path = folder + "/checkpoint.safetensors"
        let model = try Model(metadata: saved.metadata, weights: saved.weights, path: path)
        let detect = try decodeSettings(saved.taskSettings, path: path)
        let task = try DetectionTask(model: model, dataset: dataset, trainIndices: trainIndices, validationIndices: validationIndices,
                                     options: saved.options, detect: detect, threads: threads)
        return DetectorTrainer(task: task, loop: try TrainingLoop(resuming: task, data: task.data, folder: folder, threads: threads))
    }

    static func decodeSettings(_ json: String, path: String) throws -> DetectOptions {
        do { return try JSONDecoder().decode(DetectOptions.self, from: Data(json.utf8)) } catch {
            throw TrainError(message: "\(path): the detection settings are unreadable: \(error)")
        }
    }

    /// The options a saved run started with.
    public static func savedOptions(folder: String) throws -> (TrainOptions, DetectOptions) {
        let saved = try TrainingLoop<DetectionTask>.savedRun(folder: folder)
        return (saved.options, try decodeSettings(saved.taskSettings, path: folder + "/checkpoint.safetensors"))
    }

    /// The seeded split of a dataset into training and validation images.
    public static func split(count: Int, fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
        DetectionTask.split(count: count, fraction: fraction, seed: seed)
    }

    @discardableResult
    public func run() throws -> DetectTrainSummary {
        let s = try loop.run()
        return DetectTrainSummary(history: s.history.map(DetectEpochRecord.init), best: s.best, bestEpoch: s.bestEpoch, monitor: s.monitor.name,
                                  stoppedEarly: s.stoppedEarly, interrupted: s.interrupted, lastModelPath: s.lastModelPath, bestModelPath: s.bestModelPath)
    }

    /// AP of the model as it stands on some of the dataset's images.
    public func evaluate(_ indices: [Int], context: Context) throws -> DetectionEvaluation.Report {
        try task.evaluate(indices, context: context)
    }
}
