import Augment
import Checkpoint
import Datasets
import Foundation
import Inference
import Layers
import Optim
import TensorCore
import Zoo

/// Classification (training from scratch and fine-tuning) as a `TrainingTask`: softmax
/// cross-entropy on a model's unfrozen layers, accuracy per epoch, validation through
/// `ClassificationEvaluator`. With the backbone frozen and no augmentation, the frozen part
/// runs once per sample and the head trains on the cached outputs — the same arithmetic.
public final class ClassificationTask: TrainingTask {
    public typealias Batch = Datasets.Batch

    public let model: Model
    public let options: TrainOptions
    public let train: any Dataset
    public let validation: (any Dataset)?
    public let threads: Int
    /// Keep decoded images in memory across epochs.
    public var cacheImages = false
    /// Compute a frozen prefix once when nothing upstream changes (off: every step, same result).
    public var useFeatureCache = true
    /// Draw progress bars while caching features.
    public var progress = isatty(STDERR_FILENO) == 1
    /// Seconds spent computing cached frozen-backbone features (nil: no cache).
    public private(set) var featureSeconds: Double?

    let optimizer: Optimizer
    var split: FrozenSplit?
    var trainLoader: Loader?
    var trainCache: FeatureCache?, valCache: FeatureCache?
    var criterion = SoftmaxCrossEntropy()

    /// `model.card.labels` must be the training data's classes.
    public init(model: Model, train: any Dataset, validation: (any Dataset)?, options: TrainOptions, threads: Int) throws {
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
        self.threads = threads
        optimizer = options.makeOptimizer()
    }

    public var kind: TaskKind { .classify }
    public var trainColumns: [String] { ["train_loss", "train_accuracy"] }
    public var validationColumns: [String] { ["val_loss", "val_accuracy"] }
    public var sampleCount: Int { train.count }
    public var optimizers: [(name: String, optimizer: Optimizer)] { [("model", optimizer)] }
    public var title: String { model.card.architecture }
    public var checkpointMetadata: [String: String] { model.card.metadata }
    public func stateTensors() -> [(name: String, tensor: Tensor)] { model.network.namedParameters().map { ($0.name, $0.parameter.value) } }

    /// val_… needs validation data, else the train_… counterpart.
    public var monitor: Monitor {
        let name = options.monitor.rawValue
        return Monitor(name: validation == nil && name.hasPrefix("val_") ? "train_" + name.dropFirst(4) : name,
                       maximise: options.monitor.maximises)
    }

    /// What the data fingerprint of a run records.
    public var data: DataFingerprint { DataFingerprint(count: train.count, classes: train.classes, digest: DataFingerprint.digest(of: train)) }

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
        let geometry: [Op] = pre.resize == .shorterSide
            ? [.randomResizedCrop(size: pre.inputSize, scale: 0.35...1, ratio: 0.75...(4.0 / 3))] : []
        return (AugmentChain(geometry + extra.ops), nil)
    }

    func loader(_ data: any Dataset, chain: AugmentChain?, shuffle: Bool) -> Loader {
        let pre = model.card.preprocessing
        let l = Loader(dataset: data, batchSize: options.batchSize, side: pre.inputSize, channels: pre.channels,
                       chain: chain ?? AugmentChain([]), mean: pre.mean, std: pre.std, seed: options.seed, threads: threads)
        if chain == nil { l.evaluationInput = ModelInput(pre) }
        l.shuffle = shuffle
        l.balanced = shuffle && options.balanced
        l.cacheDecoded = cacheImages
        return l
    }

    public func prepare(context: Context, note: @escaping (String) -> Void) throws {
        try applyFreezing()
        let split = FrozenSplit(model.network)
        guard !split.isEmpty else { throw TrainError(message: "every parameter is frozen: nothing to train") }
        self.split = split
        let (trainChain, evalChain) = try chains()
        trainLoader = loader(train, chain: trainChain, shuffle: true)
        criterion = SoftmaxCrossEntropy(classWeights: options.classWeighted ? train.classWeights : nil, labelSmoothing: options.labelSmoothing)
        // Head-only and partial fine-tuning without augmentation: the frozen part's output
        // never changes, so compute it once.
        guard useFeatureCache && options.augment == "none" && !split.frozen.layers.isEmpty && trainCache == nil else { return }
        let t0 = Date()
        trainCache = try FeatureCache.build(frozen: split.frozen, loader: loader(train, chain: evalChain, shuffle: false), context: context, progress: progress)
        if let validation {
            valCache = try FeatureCache.build(frozen: split.frozen, loader: loader(validation, chain: evalChain, shuffle: false), context: context, progress: progress)
        }
        let seconds = Date().timeIntervalSince(t0)
        featureSeconds = seconds
        note(String(format: "frozen layers computed once for %d samples in %.1f s; training %d parameter tensors on them",
                    train.count + (validation?.count ?? 0), seconds, split.trained.namedParameters().filter { $0.parameter.trainable && !$0.parameter.isBuffer }.count))
    }

    public func forEachBatch(epoch: Int, from position: Int, context: Context, _ body: (Batch, Int) throws -> Void) throws {
        guard let trainLoader else { throw TrainError(message: "internal: prepare was not called") }
        if let trainCache {
            try trainCache.forEachBatch(order: trainLoader.order(epoch: epoch), from: position, batchSize: options.batchSize) { try body($0, $0.endPosition) }
        } else {
            try trainLoader.forEachBatch(epoch: epoch, from: position) { try body($0, $0.endPosition) }
        }
    }

    public func step(_ batch: Batch, _ step: TrainingStep) throws -> StepFigures {
        let split = self.split!, context = step.context
        // Only the trained part runs backward, so only its gradients need clearing.
        split.trained.zeroGradients()
        let h = trainCache != nil || split.frozen.layers.isEmpty ? batch.images : split.frozen.forward(batch.images, context: context, training: false)
        let logits = split.trained.forward(h, context: context, training: true)
        let loss = criterion(logits, labels: batch.labels)
        if loss.value.isFinite {
            _ = split.trained.backward(loss.gradient, context: context)
            step.update(optimizer, model.network)
        }
        let correct = zip(argmaxRows(logits), batch.labels).filter { $0 == $1 }.count
        return StepFigures(count: batch.labels.count, sums: ["train_loss": Double(loss.value) * Double(batch.labels.count), "train_accuracy": Double(correct)])
    }

    public func validate(context: Context) throws -> [String: Double] {
        guard let validation else { return [:] }
        let r = try evaluate(validation, cache: valCache, context: context)
        return ["val_loss": r.loss, "val_accuracy": r.metrics.accuracy]
    }

    /// Loss (plain cross-entropy) and metrics of the current weights on `data`, in inference mode.
    func evaluate(_ data: any Dataset, cache: FeatureCache?, context: Context) throws -> ClassificationEvaluator.Report {
        let split = self.split ?? FrozenSplit(model.network)
        var evaluator = ClassificationEvaluator(classes: data.classes)
        let body: (Batch) throws -> Void = { batch in
            let logits = cache != nil ? split.trained.forward(batch.images, context: context, training: false)
                : self.model.network.forward(batch.images, context: context, training: false)
            evaluator.add(logits: logits, labels: batch.labels)
        }
        if let cache {
            try cache.forEachBatch(order: Array(0..<data.count), from: 0, batchSize: options.batchSize, body)
        } else {
            try loader(data, chain: try chains().eval, shuffle: false).forEachBatch(epoch: 0, body)
        }
        return evaluator.report()
    }

    /// Evaluates the current weights on a dataset (the test part after training).
    public func evaluate(_ data: any Dataset) throws -> ClassificationEvaluator.Report {
        try evaluate(data, cache: nil, context: Context(threads: threads, seed: options.seed))
    }

    public func saveModel(to path: String, epochs: Int, seed: UInt64) throws {
        model.card.provenance.epochs = epochs
        model.card.provenance.seed = seed
        try model.save(path: path)
    }
}
