import Augment
import Checkpoint
import Datasets
import Foundation
import Inference
import Optim
import TensorCore
import Zoo

/// How a classification run ended.
public struct TrainSummary: Sendable {
    public var history: [EpochRecord]
    /// The monitor actually used (val_… falls back to train_… without validation data).
    public var monitor: String
    public var best: Double?
    public var bestEpoch: Int?
    public var stoppedEarly: Bool
    /// `maxSteps` stopped the run before its end, the way a kill would (nothing saved).
    public var interrupted: Bool
    /// Seconds spent computing cached frozen-backbone features (nil: no cache).
    public var featureSeconds: Double?
    public var lastModelPath: String
    public var bestModelPath: String
}

/// Trains a classifier's unfrozen layers on a dataset: a `ClassificationTask` on the `TrainingLoop`,
/// which writes `last.safetensors`, `best.safetensors`, `checkpoint.safetensors`, the metrics
/// log, `curves.png` and `run.yaml` into `folder` (see `TrainingLoop`).
public final class Trainer {
    public let task: ClassificationTask
    public let loop: TrainingLoop<ClassificationTask>

    public var model: Model { task.model }
    public var options: TrainOptions { task.options }
    public var optimizer: Optimizer { task.optimizer }
    public var maxSteps: Int? { get { loop.maxSteps } set { loop.maxSteps = newValue } }
    public var logFormat: LogFormat { get { loop.logFormat } set { loop.logFormat = newValue } }
    public var cacheImages: Bool { get { task.cacheImages } set { task.cacheImages = newValue } }
    public var useFeatureCache: Bool { get { task.useFeatureCache } set { task.useFeatureCache = newValue } }
    public var progress: Bool { get { loop.progress } set { loop.progress = newValue; task.progress = newValue } }
    public var onNote: (String) -> Void { get { loop.onNote } set { loop.onNote = newValue } }
    public var onEpoch: (EpochRecord, TrainSummary) -> Void = { _, _ in }

    public var lastModelPath: String { loop.lastModelPath }
    public var bestModelPath: String { loop.bestModelPath }
    public var metricsPath: String { loop.metricsPath }
    public var curvesPath: String { loop.curvesPath }
    public var startingPoint: (epoch: Int, position: Int, step: Int) { loop.startingPoint }
    public var checkpointThreads: Int { loop.checkpointThreads }
    public var monitor: String { task.monitor.name }

    /// A fresh run. `model.card.labels` must be the training data's classes.
    public init(model: Model, train: any Dataset, validation: (any Dataset)?, options: TrainOptions, folder: String, threads: Int) throws {
        task = try ClassificationTask(model: model, train: train, validation: validation, options: options, threads: threads)
        loop = try TrainingLoop(task: task, options: options, data: task.data, folder: folder, threads: threads)
        hookEpochs()
    }

    private init(task: ClassificationTask, loop: TrainingLoop<ClassificationTask>) {
        self.task = task
        self.loop = loop
        hookEpochs()
    }

    private func hookEpochs() {
        loop.onEpoch = { [unowned self] row in onEpoch(EpochRecord(row), summary(interrupted: false)) }
    }

    /// Continues the run whose resume checkpoint is in `folder`, with the options it started with.
    public static func resume(folder: String, train: any Dataset, validation: (any Dataset)?, threads: Int) throws -> Trainer {
        let saved = try TrainingLoop<ClassificationTask>.savedRun(folder: folder)
        let model = try Model(metadata: saved.metadata, weights: saved.weights, path: folder + "/checkpoint.safetensors")
        let task = try ClassificationTask(model: model, train: train, validation: validation, options: saved.options, threads: threads)
        return Trainer(task: task, loop: try TrainingLoop(resuming: task, data: task.data, folder: folder, threads: threads))
    }

    /// The options a saved run started with (to split its data the same way before resuming).
    public static func savedOptions(folder: String) throws -> TrainOptions {
        try TrainingLoop<ClassificationTask>.savedOptions(folder: folder)
    }

    /// Trains until the last epoch, early stopping, or `maxSteps`.
    @discardableResult
    public func run() throws -> TrainSummary {
        let s = try loop.run()
        return summary(interrupted: s.interrupted)
    }

    func summary(interrupted: Bool) -> TrainSummary {
        let st = loop.state
        return TrainSummary(history: st.history.map(EpochRecord.init), monitor: monitor, best: st.best, bestEpoch: st.bestEpoch,
                            stoppedEarly: st.stoppedEarly, interrupted: interrupted, featureSeconds: task.featureSeconds,
                            lastModelPath: lastModelPath, bestModelPath: bestModelPath)
    }

    /// Evaluates the current weights on a dataset (the test part after training).
    public func evaluate(_ data: any Dataset) throws -> ClassificationEvaluator.Report { try task.evaluate(data) }

    func loader(_ data: any Dataset, chain: AugmentChain?, shuffle: Bool) -> Loader { task.loader(data, chain: chain, shuffle: shuffle) }
    func chains() throws -> (train: AugmentChain?, eval: AugmentChain?) { try task.chains() }
}

/// Index of the largest value in each row of `(N, K)` logits.
func argmaxRows(_ logits: Tensor) -> [Int] {
    let n = logits.shape[0], k = logits.shape[1]
    return logits.data.withUnsafeBufferPointer { p in
        (0..<n).map { i in
            var best = 0
            for j in 1..<max(k, 1) where p[i * k + j] > p[i * k + best] { best = j }
            return best
        }
    }
}
