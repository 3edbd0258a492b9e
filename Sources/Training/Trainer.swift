import Jobs
import Inference
import Augment
import Checkpoint
import Datasets
import Foundation
import Layers
import Optim
import TensorCore
import Zoo

/// How a run ended.
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

/// Trains a model's unfrozen layers on a dataset, one epoch at a time, writing into `folder`:
///
/// - `last.safetensors` after every epoch and `best.safetensors` whenever the monitored
///   metric improves: model files with labels and preprocessing (`vigil classify --model`);
/// - `checkpoint.safetensors`: weights, optimizer buffers and the run's state, for `resume`;
/// - `metrics.csv` (or `.jsonl`): one row per epoch; `curves.png` at the end.
///
/// Every file is written to a temporary name and renamed. A run is a pure function of its
/// options, data and thread count: the sample order and augmentation draw from
/// (seed, sample, epoch), dropout from (seed, step), the learning rate from the step, so a run
/// resumed from any checkpoint ends with the same weights as one that was never stopped.
public final class Trainer {
    public let model: Model
    public let options: TrainOptions
    public let train: any Dataset
    public let validation: (any Dataset)?
    public let folder: String
    public let threads: Int
    /// Stop after this many optimizer steps in total, without saving (tests, benchmarks).
    public var maxSteps: Int?
    /// "csv" or "jsonl".
    public var logFormat = "csv"
    /// Keep decoded images in memory across epochs.
    public var cacheImages = false
    /// Compute a frozen prefix once when nothing upstream changes (off: every step, same result).
    public var useFeatureCache = true
    /// Draw progress bars on standard error.
    public var progress = isatty(STDERR_FILENO) == 1
    /// Called after each epoch (the CLI prints a line).
    public var onEpoch: (EpochRecord, TrainSummary) -> Void = { _, _ in }
    /// Called with notes worth a line (feature caching, early stop).
    public var onNote: (String) -> Void = { _ in }

    var state: TrainState
    let optimizer: Optimizer

    public var resumeCheckpointPath: String { folder + "/checkpoint.safetensors" }
    public var lastModelPath: String { folder + "/last.safetensors" }
    public var bestModelPath: String { folder + "/best.safetensors" }
    public var metricsPath: String { folder + "/metrics." + logFormat }
    public var curvesPath: String { folder + "/curves.png" }

    /// A fresh run. `model.card.labels` must be the training data's classes.
    public init(model: Model, train: any Dataset, validation: (any Dataset)?, options: TrainOptions, folder: String, threads: Int) throws {
        try options.validate()
        guard model.card.config.numClasses == train.classes.count, model.card.labels == train.classes else {
            throw TrainError(message: "the model has \(model.card.config.numClasses) outputs labelled \(model.card.labels.prefix(5)); the data has classes \(train.classes.prefix(5))")
        }
        if let validation, validation.classes != train.classes {
            throw TrainError(message: "validation classes \(validation.classes.prefix(5)) differ from training classes \(train.classes.prefix(5))")
        }
        self.model = model
        self.train = train
        self.validation = validation
        self.options = options
        self.folder = folder
        self.threads = threads
        state = TrainState(options: options, threads: threads, trainCount: train.count, classes: train.classes)
        optimizer = options.makeOptimizer()
    }

    /// Continues the run whose resume checkpoint is in `folder`, with the options it started with.
    public static func resume(folder: String, train: any Dataset, validation: (any Dataset)?, threads: Int) throws -> Trainer {
        let path = folder + "/checkpoint.safetensors"
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainError(message: "\(path): no resume checkpoint here (was the run started with this --out?)")
        }
        let (model, optState, state) = try ResumeCheckpoint.read(path: path)
        guard state.trainCount == train.count, state.classes == train.classes else {
            throw TrainError(message: "\(path): the run trained on \(state.trainCount) samples of \(state.classes.count) classes; this data has \(train.count) of \(train.classes.count)")
        }
        let t = try Trainer(model: model, train: train, validation: validation, options: state.options, folder: folder, threads: threads)
        try t.optimizer.load(optState)
        t.state = state
        t.state.threads = threads
        return t
    }

    /// The options a saved run started with (to split its data the same way before resuming).
    public static func savedOptions(folder: String) throws -> TrainOptions {
        let path = folder + "/checkpoint.safetensors"
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainError(message: "\(path): no resume checkpoint here (was the run started with this --out?)")
        }
        return try ResumeCheckpoint.readState(path: path).options
    }

    /// The epoch the run will start or continue at (0-based) and its position in that epoch.
    public var startingPoint: (epoch: Int, position: Int, step: Int) { (state.epoch, state.position, state.step) }
    /// Thread count the checkpoint was written with (same count → bit-identical continuation).
    public var checkpointThreads: Int { state.threads }

    /// Freezes and scales parameters as the options say; BatchNorms of frozen layers (or all,
    /// with `freezeBatchNorm`) run on their running statistics.
    func applyFreezing() throws {
        let params = model.network.namedParameters().filter { !$0.parameter.isBuffer }
        if !options.trainableFrom.isEmpty {
            let from = options.trainableFrom
            guard let first = params.firstIndex(where: { $0.name.hasPrefix(from + ".") || $0.name == from }) else {
                throw TrainError(message: "no layer \(from) with parameters in \(model.card.architecture) (list them with vigil features --list-layers)")
            }
            for (i, p) in params.enumerated() { p.parameter.trainable = i >= first }
        } else {
            for p in params { p.parameter.trainable = true }
        }
        let head = Set(options.headParameters)
        for p in params { p.parameter.learningRateScale = head.isEmpty || head.contains(p.name) ? 1 : options.backboneLearningRateScale }
        for (_, layer) in model.network.namedLayers() {
            if let bn = layer as? BatchNorm2d { bn.frozen = options.freezeBatchNorm || !bn.gamma.trainable }
        }
    }

    /// Geometry and augmentation for training: a random crop (or the plain resize) to the
    /// model's input, then the preset or chain file. Nil stands for no augmentation: samples are
    /// prepared exactly as inference prepares a file (`ModelInput`), which evaluation always uses.
    func chains() throws -> (train: AugmentChain?, eval: AugmentChain?) {
        let pre = model.card.preprocessing
        if options.augment == "none" { return (nil, nil) }
        let extra: AugmentChain
        if let p = AugmentChain.preset(options.augment) { extra = p } else if FileManager.default.fileExists(atPath: options.augment) {
            extra = try ChainFile.load(path: options.augment)
        } else {
            throw TrainError(message: "--augment \(options.augment): neither a preset (\(AugmentChain.presetNames.joined(separator: ", "))) nor a chain file")
        }
        let geometry: [Op] = pre.resize == "shorter_side"
            ? [.randomResizedCrop(size: pre.inputSize, scale: 0.35...1, ratio: 0.75...(4.0 / 3))] : []
        return (AugmentChain(geometry + extra.ops), nil)
    }

    func loader(_ data: any Dataset, chain: AugmentChain?, shuffle: Bool) -> Loader {
        let pre = model.card.preprocessing
        let l = Loader(dataset: data, batchSize: options.batchSize, side: pre.inputSize, channels: pre.colorMode == "gray" ? 1 : 3,
                       chain: chain ?? AugmentChain([]), mean: pre.mean, std: pre.std, seed: options.seed, threads: threads)
        if chain == nil { l.evaluationInput = ModelInput(pre) }
        l.shuffle = shuffle
        l.balanced = shuffle && options.balanced
        l.cacheDecoded = cacheImages
        return l
    }

    /// The monitor in use: val_… needs validation data, else the train_… counterpart.
    public var monitor: String {
        validation == nil && options.monitor.hasPrefix("val_") ? "train_" + options.monitor.dropFirst(4) : options.monitor
    }

    private struct Stop: Error {}

    /// Trains until the last epoch, early stopping, or `maxSteps`.
    @discardableResult
    public func run() throws -> TrainSummary {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw TrainError(message: "\(folder): cannot create the output folder: \(error.localizedDescription)")
        }
        try applyFreezing()
        let split = FrozenSplit(model.network)
        guard !split.isEmpty else { throw TrainError(message: "every parameter is frozen: nothing to train") }
        let (trainChain, evalChain) = try chains()
        let trainLoader = loader(train, chain: trainChain, shuffle: true)
        let stepsPerEpoch = (train.count + options.batchSize - 1) / options.batchSize
        let schedule = options.makeSchedule(stepsPerEpoch: stepsPerEpoch)
        let criterion = SoftmaxCrossEntropy(classWeights: options.classWeighted ? train.classWeights : nil,
                                            labelSmoothing: options.labelSmoothing)
        let context = Context(threads: threads, seed: options.seed)

        // Head-only and partial fine-tuning without augmentation: the frozen part's output
        // never changes, so compute it once.
        var trainCache: FeatureCache?, valCache: FeatureCache?
        var featureSeconds: Double?
        if useFeatureCache && options.augment == "none" && !split.frozen.layers.isEmpty {
            let t0 = Date()
            trainCache = try FeatureCache.build(frozen: split.frozen, loader: loader(train, chain: evalChain, shuffle: false), context: context, progress: progress)
            if let validation {
                valCache = try FeatureCache.build(frozen: split.frozen, loader: loader(validation, chain: evalChain, shuffle: false), context: context, progress: progress)
            }
            featureSeconds = Date().timeIntervalSince(t0)
            onNote(String(format: "frozen layers computed once for %d samples in %.1f s; training %d parameter tensors on them",
                          train.count + (validation?.count ?? 0), featureSeconds!, split.trained.namedParameters().filter { $0.parameter.trainable && !$0.parameter.isBuffer }.count))
        }

        var interrupted = false
        while state.epoch < options.epochs && !state.stoppedEarly {
            let epoch = state.epoch
            let bar = ProgressBar(total: stepsPerEpoch, label: "epoch \(epoch + 1)/\(options.epochs)", enabled: progress)
            bar.advance(by: state.position / options.batchSize)
            var mark = Date()
            let body: (Batch) throws -> Void = { [self] batch in
                // Dropout draws from a stream fixed by (seed, step): resumable at any step.
                context.rng = SeededRNG(seed: options.seed ^ 0xD50F_0A7E).derived(UInt64(state.step))
                // Only the trained part runs backward, so only its gradients need clearing.
                split.trained.zeroGradients()
                let h = trainCache != nil || split.frozen.layers.isEmpty ? batch.images
                    : split.frozen.forward(batch.images, context: context, training: false)
                let logits = split.trained.forward(h, context: context, training: true)
                let loss = criterion(logits, labels: batch.labels)
                guard loss.value.isFinite else {
                    throw TrainError(message: "the loss is \(loss.value) at epoch \(epoch + 1), step \(state.step + 1): training diverged; lower --lr or set --clip-norm (the last checkpoint is still in \(folder))")
                }
                _ = split.trained.backward(loss.gradient, context: context)
                if options.clipNorm > 0 { clipGradientNorm(model.network, maxNorm: options.clipNorm) }
                optimizer.learningRate = schedule.rate(at: state.step)
                optimizer.update(model.network)
                state.step += 1
                state.position = batch.endPosition
                state.lossSum += Double(loss.value) * Double(batch.labels.count)
                state.correct += zip(argmaxRows(logits), batch.labels).filter { $0 == $1 }.count
                state.seen += batch.labels.count
                bar.advance()
                if options.checkpointEverySteps > 0 && state.step % options.checkpointEverySteps == 0 {
                    let now = Date()
                    state.seconds += now.timeIntervalSince(mark)
                    mark = now
                    try ResumeCheckpoint.write(model: model, optimizer: optimizer.state(), state: state, to: resumeCheckpointPath)
                }
                if let m = maxSteps, state.step >= m { throw Stop() }
            }
            do {
                if let trainCache {
                    try trainCache.forEachBatch(order: trainLoader.order(epoch: epoch), from: state.position, batchSize: options.batchSize, body)
                } else {
                    try trainLoader.forEachBatch(epoch: epoch, from: state.position, body)
                }
            } catch is Stop {
                interrupted = true
            }
            bar.finish()
            if interrupted { break }
            state.seconds += Date().timeIntervalSince(mark)

            var record = EpochRecord(epoch: epoch + 1, trainLoss: state.lossSum / Double(max(state.seen, 1)),
                                     trainAccuracy: Double(state.correct) / Double(max(state.seen, 1)),
                                     learningRate: Double(schedule.rate(at: max(state.step - 1, 0))), seconds: state.seconds,
                                     imagesPerSecond: state.seconds > 0 ? Double(state.seen) / state.seconds : 0)
            if let validation {
                let r = try evaluate(validation, cache: valCache, split: split, chain: evalChain, context: context)
                record.valLoss = r.loss
                record.valAccuracy = r.metrics.accuracy
            }
            state.history.append(record)
            let value = record.value(of: monitor) ?? record.trainLoss
            let (improved, stopsNow) = state.endEpoch(epoch + 1, value: value, maximise: options.monitorMaximises, patience: options.patience)
            if stopsNow {
                onNote("early stop: \(monitor) has not improved for \(state.badEpochs) epochs (best \(String(format: "%.4f", state.best!)) at epoch \(state.bestEpoch!))")
            }
            state.epoch += 1
            state.position = 0
            state.lossSum = 0
            state.correct = 0
            state.seen = 0
            state.seconds = 0
            model.card.provenance.epochs = state.epoch
            model.card.provenance.seed = options.seed
            try model.save(path: lastModelPath)
            if improved { try model.save(path: bestModelPath) }
            try writeMetrics()
            try ResumeCheckpoint.write(model: model, optimizer: optimizer.state(), state: state, to: resumeCheckpointPath)
            onEpoch(record, summary(interrupted: false, featureSeconds: featureSeconds))
        }
        if !interrupted && !state.history.isEmpty { try writeCurves() }
        return summary(interrupted: interrupted, featureSeconds: featureSeconds)
    }

    func summary(interrupted: Bool, featureSeconds: Double?) -> TrainSummary {
        TrainSummary(history: state.history, monitor: monitor, best: state.best, bestEpoch: state.bestEpoch, stoppedEarly: state.stoppedEarly,
                     interrupted: interrupted, featureSeconds: featureSeconds, lastModelPath: lastModelPath, bestModelPath: bestModelPath)
    }

    /// Loss (plain cross-entropy) and metrics of the current weights on `data`, in inference mode.
    func evaluate(_ data: any Dataset, cache: FeatureCache?, split: FrozenSplit, chain: AugmentChain?, context: Context) throws
        -> (loss: Double, metrics: ClassificationMetrics) {
        var metrics = ClassificationMetrics(classes: data.classes)
        let ce = SoftmaxCrossEntropy()
        var lossSum = 0.0
        let body: (Batch) throws -> Void = { batch in
            let logits = cache != nil ? split.trained.forward(batch.images, context: context, training: false)
                : self.model.network.forward(batch.images, context: context, training: false)
            lossSum += Double(ce(logits, labels: batch.labels).value) * Double(batch.labels.count)
            for (p, y) in zip(argmaxRows(logits), batch.labels) { metrics.add(truth: y, predicted: p, inTopK: p == y) }
        }
        if let cache {
            try cache.forEachBatch(order: Array(0..<data.count), from: 0, batchSize: options.batchSize, body)
        } else {
            try loader(data, chain: chain, shuffle: false).forEachBatch(epoch: 0, body)
        }
        return (lossSum / Double(max(metrics.total, 1)), metrics)
    }

    /// Evaluates the current weights on a dataset (the test part after training).
    public func evaluate(_ data: any Dataset) throws -> (loss: Double, metrics: ClassificationMetrics) {
        let split = FrozenSplit(model.network)
        return try evaluate(data, cache: nil, split: split, chain: try chains().eval, context: Context(threads: threads, seed: options.seed))
    }

    func writeMetrics() throws {
        let text = logFormat == "jsonl" ? state.history.map { $0.jsonLine + "\n" }.joined()
            : EpochRecord.csvHeader + "\n" + state.history.map { $0.csvRow + "\n" }.joined()
        try writeAtomically(Data(text.utf8), to: metricsPath)
    }

    func writeCurves() throws {
        try TrainingCurves.write(history: state.history, title: model.card.architecture, to: curvesPath)
    }
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
