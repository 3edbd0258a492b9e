import Augment
import Checkpoint
import Datasets
import Detection
import Foundation
import ImageIO
import Layers
import Optim
import TensorCore
import Zoo

/// Detection as a `TrainingTask`: a `mobilenet_v2_detect` model on a box dataset, each step
/// a CenterNet loss — heat-map focal loss plus GIoU and L1 on the boxes — over seeded crops;
/// validation is COCO-style AP through `DetectionEvaluation`.
public final class DetectionTask: TrainingTask {
    /// Positions in the epoch's order of training samples.
    public typealias Batch = [Int]

    public let model: Model
    public let options: TrainOptions
    public let detect: DetectOptions
    public let dataset: BoxDataset
    public let trainIndices: [Int]
    public let validationIndices: [Int]
    public let threads: Int

    let optimizer: Optimizer
    var source: DetectionSamples?
    var unreadable = Set<Int>()
    var reportedUnreadable = Set<String>()
    var note: (String) -> Void = { _ in }
    let focal = CenterNetFocalLoss()
    let boxLoss: BoxRegressionLoss

    public init(model: Model, dataset: BoxDataset, trainIndices: [Int], validationIndices: [Int], options: TrainOptions,
                detect: DetectOptions, threads: Int) throws {
        try options.validate()
        try detect.validate()
        guard model.network.layers.first is CenterNetDetector else {
            throw TrainError(message: "\(model.card.architecture) is not a detector; use --from with a backbone for mobilenet_v2_detect")
        }
        guard model.card.labels == dataset.classes else {
            throw TrainError(message: "the model's classes \(model.card.labels.prefix(5)) differ from the data's \(dataset.classes.prefix(5))")
        }
        guard !trainIndices.isEmpty else { throw TrainError(message: "\(dataset.root): no training images") }
        self.model = model
        self.dataset = dataset
        self.trainIndices = trainIndices
        self.validationIndices = validationIndices
        self.options = options
        self.detect = detect
        self.threads = threads
        optimizer = options.makeOptimizer()
        boxLoss = BoxRegressionLoss(giouWeight: detect.giouWeight, l1Weight: detect.l1Weight)
    }

    public var kind: TaskKind { .detect }
    public var trainColumns: [String] { ["train_loss", "heat_loss", "box_loss"] }
    public var validationColumns: [String] { ["val_ap50", "val_ap"] }
    /// Highest validation AP@0.5, or lowest training loss without validation images.
    public var monitor: Monitor { validationIndices.isEmpty ? Monitor(name: "train_loss", maximise: false) : Monitor(name: "val_ap50", maximise: true) }
    public var sampleCount: Int { trainIndices.count }
    public var optimizers: [(name: String, optimizer: Optimizer)] { [("model", optimizer)] }
    public var title: String { model.card.architecture }
    public var checkpointMetadata: [String: String] { model.card.metadata }
    public func stateTensors() -> [(name: String, tensor: Tensor)] { model.network.namedParameters().map { ($0.name, $0.parameter.value) } }
    public var data: DataFingerprint {
        DataFingerprint(count: trainIndices.count, classes: dataset.classes,
                        digest: DataFingerprint.digest(names: trainIndices.map { dataset.images[$0].path }, labels: trainIndices.map { dataset.images[$0].boxes.count }))
    }
    public var settingsJSON: String { String(decoding: (try? RunCheckpoint.jsonEncoder().encode(detect)) ?? Data("{}".utf8), as: UTF8.self) }

    /// The seeded split of a dataset into training and validation images.
    public static func split(count: Int, fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
        let order = SeededShuffle.permutation(count, seed: seed ^ 0x5EED_5B17)
        let nVal = fraction > 0 ? max(1, Int((Double(count) * fraction).rounded())) : 0
        guard count - nVal >= 1 else { return (Array(0..<count), []) }
        return (order[nVal...].sorted(), order[..<nVal].sorted())
    }

    public func prepare(context: Context, note: @escaping (String) -> Void) throws {
        self.note = note
        guard let net = model.network.layers.first as? CenterNetDetector else { throw TrainError(message: "not a detector") }
        net.frozenLayers = detect.frozenLayers
        let frozen = (0..<detect.frozenLayers).map { "features.\($0)." }
        for (name, p) in model.network.namedParameters() where !p.isBuffer {
            p.learningRateScale = name.hasPrefix("features.") ? options.backboneLearningRateScale : 1
            p.trainable = !frozen.contains { name.hasPrefix($0) }
        }
        let pre = model.card.preprocessing
        let mirror = Set(detect.mirrorable.compactMap { dataset.classes.firstIndex(of: $0) })
        let crop = DetectionCrop(width: detect.cropWidth, height: detect.cropHeight, longerSide: detect.inputSize,
                                 zoom: detect.zoomMin...detect.zoomMax, mirrorable: mirror, fill: pre.mean.count == 3 ? pre.mean : [0.5, 0.5, 0.5])
        source = DetectionSamples(dataset: dataset, indices: trainIndices, crop: crop,
                                  photometric: try DetectionSamples.photometricChain(options.augment), seed: options.seed)
    }

    public func forEachBatch(epoch: Int, from position: Int, context: Context, _ body: ([Int], Int) throws -> Void) throws {
        let order = SeededShuffle.permutation(trainIndices.count, seed: options.seed ^ 0xD37E_C7, stream: UInt64(epoch))
        var p = position
        while p < order.count {
            let end = min(p + options.batchSize, order.count)
            try body(Array(order[p..<end]), end)
            p = end
        }
    }

    public func step(_ batch: [Int], _ step: TrainingStep) throws -> StepFigures {
        guard let source, let net = model.network.layers.first as? CenterNetDetector else { throw TrainError(message: "internal: prepare was not called") }
        let epoch = step.epoch, context = step.context
        // Decode and augment the batch on all threads, in order.
        var prepared = [Result<(image: FloatImage, boxes: [LabelledRect]), Error>?](repeating: nil, count: batch.count)
        orderedParallel(count: batch.count, threads: threads, work: { k in Result { try source.sample(batch[k], epoch: epoch) } },
                        emit: { k, r in prepared[k] = r })
        // An image that cannot be read is reported once and left out of its batches.
        var samples: [(image: FloatImage, boxes: [LabelledRect])] = []
        for (k, r) in prepared.enumerated() {
            switch r! {
            case .success(let s): samples.append(s)
            case .failure(let e): if unreadable.insert(batch[k]).inserted { note("left out: \(e)") }
            }
        }
        guard !samples.isEmpty else { return StepFigures(count: 0, sums: [:]) }
        let (cw, ch) = (detect.cropWidth, detect.cropHeight)
        let pre = model.card.preprocessing
        let input = DetectionInput(longerSide: detect.inputSize, mean: pre.mean, std: pre.std)
        var x = Tensor(uninitialized: [samples.count, ch, cw, 3])
        x.data.withUnsafeMutableBufferPointer { out in
            for (k, s) in samples.enumerated() { input.normalise(s.image, into: UnsafeMutableBufferPointer(rebasing: out[(k * cw * ch * 3)...])) }
        }
        let objects = samples.map { s in s.boxes.map { (box: Box(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1), classIndex: $0.label) } }
        model.network.zeroGradients()
        let out = model.network.forward(x, context: context, training: true)
        let classes = dataset.classes.count
        let t = CenterNetTargets(objects: objects, gridHeight: out.shape[1], gridWidth: out.shape[2], stride: net.stride,
                                 classCount: classes, neighbours: detect.neighbours)
        let heat = focal(out, targets: t.heat, channels: 0..<classes)
        let box = boxLoss(out, targets: t.boxes.map {
            BoxRegressionLoss.Target(n: $0.n, i: $0.i, j: $0.j, x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1, weight: $0.weight)
        }, channel: classes)
        let loss = heat.value + box.value
        if loss.isFinite {
            var grad = heat.gradient
            for i in 0..<grad.count { grad.data[i] += box.gradient.data[i] }
            _ = model.network.backward(grad, context: context)
            step.update(optimizer, model.network)
        }
        let n = Double(samples.count)
        return StepFigures(count: samples.count, sums: ["train_loss": Double(loss) * n, "heat_loss": Double(heat.value) * n, "box_loss": Double(box.value) * n])
    }

    public func validate(context: Context) throws -> [String: Double] {
        guard !validationIndices.isEmpty else { return [:] }
        let report = try evaluate(validationIndices, context: context)
        var v: [String: Double] = [:]
        v["val_ap50"] = report.meanAP50
        v["val_ap"] = report.meanAP
        return v
    }

    /// AP of the model as it stands on some of the dataset's images (whole images, as
    /// `vigil detect` sees them; orientation as stored, like the annotations).
    public func evaluate(_ indices: [Int], context: Context) throws -> DetectionEvaluation.Report {
        let detector = try ObjectDetector(model: model, threshold: 0.05, fuse: false)
        var evaluation = DetectionEvaluation(classNames: dataset.classes)
        var options = DecodeOptions()
        options.applyOrientation = false
        for i in indices {
            let entry = dataset.images[i]
            let image: Image
            // An unreadable image is reported once and left out of the figures.
            do { image = try ImageCodec.decode(fileAt: entry.path, options: options).image } catch {
                if reportedUnreadable.insert(entry.path).inserted { note("left out of validation: \(error)") }
                continue
            }
            let found = detector.detect([image], context: context)[0]
            evaluation.add(image: entry.path, predictions: found,
                           truth: entry.boxes.map { GroundTruthBox(box: Box(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1), classIndex: $0.classIndex) })
        }
        return evaluation.report(falsePositiveLimit: 0, missLimit: 0)
    }

    public func saveModel(to path: String, epochs: Int, seed: UInt64) throws {
        model.card.provenance.epochs = epochs
        model.card.provenance.seed = seed
        try model.save(path: path)
    }
}
