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

    public static let csvHeader = "epoch,train_loss,heat_loss,box_loss,val_ap50,val_ap,lr,seconds,images_per_second"

    public var csvRow: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        return "\(epoch),\(f(trainLoss)),\(f(heatLoss)),\(f(boxLoss)),\(f(valAP50)),\(f(valAP)),\(f(learningRate)),\(f(seconds)),\(f(imagesPerSecond))"
    }
}

/// Where a detection run stands; saved in its resume checkpoint.
struct DetectTrainState: ResumableState, Equatable {
    var options: TrainOptions
    var detect: DetectOptions
    var threads: Int
    var trainCount: Int
    var classes: [String]
    var epoch = 0
    var position = 0
    var step = 0
    var lossSum = 0.0
    var heatSum = 0.0
    var boxSum = 0.0
    var seen = 0
    var seconds = 0.0
    var history: [DetectEpochRecord] = []
    var best: Double?
    var bestEpoch: Int?
    var badEpochs = 0
    var stoppedEarly = false
    var optimizerKind = ""
    var optimizerStep = 0
    var optimizerRate: Float = 0
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

/// Trains a `mobilenet_v2_detect` model on a box dataset: the classification run's
/// machinery (epochs, schedules, early stopping, atomic checkpoints, exact resume) around a
/// CenterNet step — heat-map focal loss plus GIoU and L1 on the boxes.
///
/// Files in `folder`: `checkpoint.safetensors` (resume), `last.safetensors`,
/// `best.safetensors` (highest validation AP@0.5, or lowest training loss without
/// validation), `metrics.csv`, `curves.png`.
public final class DetectorTrainer {
    public let model: Model
    public let options: TrainOptions
    public let detect: DetectOptions
    public let dataset: BoxDataset
    public let trainIndices: [Int]
    public let validationIndices: [Int]
    public let folder: String
    public let threads: Int
    public var maxSteps: Int?
    public var progress = isatty(STDERR_FILENO) == 1
    public var onEpoch: (DetectEpochRecord) -> Void = { _ in }
    public var onNote: (String) -> Void = { _ in }

    var state: DetectTrainState
    let optimizer: Optimizer
    var reportedUnreadable = Set<String>()

    public var resumeCheckpointPath: String { folder + "/checkpoint.safetensors" }
    public var lastModelPath: String { folder + "/last.safetensors" }
    public var bestModelPath: String { folder + "/best.safetensors" }
    public var metricsPath: String { folder + "/metrics.csv" }
    public var curvesPath: String { folder + "/curves.png" }
    public var monitor: String { validationIndices.isEmpty ? "train_loss" : "val_ap50" }

    public init(model: Model, dataset: BoxDataset, trainIndices: [Int], validationIndices: [Int], options: TrainOptions,
                detect: DetectOptions, folder: String, threads: Int) throws {
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
        self.folder = folder
        self.threads = threads
        state = DetectTrainState(options: options, detect: detect, threads: threads, trainCount: trainIndices.count, classes: dataset.classes)
        optimizer = options.makeOptimizer()
    }

    /// Continues the run whose resume checkpoint is in `folder`.
    public static func resume(folder: String, dataset: BoxDataset, trainIndices: [Int], validationIndices: [Int], threads: Int) throws -> DetectorTrainer {
        let path = folder + "/checkpoint.safetensors"
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainError(message: "\(path): no resume checkpoint here (was the run started with this --out?)")
        }
        let (model, optState, state) = try ResumeCheckpoint.read(path: path, as: DetectTrainState.self)
        guard state.trainCount == trainIndices.count, state.classes == dataset.classes else {
            throw TrainError(message: "\(path): the run trained on \(state.trainCount) images of \(state.classes.count) classes; this data has \(trainIndices.count) of \(dataset.classes.count)")
        }
        let t = try DetectorTrainer(model: model, dataset: dataset, trainIndices: trainIndices, validationIndices: validationIndices,
                                    options: state.options, detect: state.detect, folder: folder, threads: threads)
        try t.optimizer.load(optState)
        t.state = state
        t.state.threads = threads
        return t
    }

    /// The options a saved run started with.
    public static func savedOptions(folder: String) throws -> (TrainOptions, DetectOptions) {
        let s = try ResumeCheckpoint.readState(path: folder + "/checkpoint.safetensors", as: DetectTrainState.self)
        return (s.options, s.detect)
    }

    public var startingPoint: (epoch: Int, position: Int, step: Int) { (state.epoch, state.position, state.step) }

    /// The seeded split of a dataset into training and validation images.
    public static func split(count: Int, fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
        var order = Array(0..<count)
        var rng = SeededRNG(seed: seed ^ 0x5EED_5B17)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let nVal = fraction > 0 ? max(1, Int((Double(count) * fraction).rounded())) : 0
        guard count - nVal >= 1 else { return (Array(0..<count), []) }
        return (order[nVal...].sorted(), order[..<nVal].sorted())
    }

    func samples() throws -> DetectionSamples {
        let pre = model.card.preprocessing
        let mirror = Set(detect.mirrorable.compactMap { dataset.classes.firstIndex(of: $0) })
        let crop = DetectionCrop(width: detect.cropWidth, height: detect.cropHeight, longerSide: detect.inputSize,
                                 zoom: detect.zoomMin...detect.zoomMax, mirrorable: mirror, fill: pre.mean.count == 3 ? pre.mean : [0.5, 0.5, 0.5])
        return DetectionSamples(dataset: dataset, indices: trainIndices, crop: crop,
                                photometric: try DetectionSamples.photometricChain(options.augment), seed: options.seed)
    }

    /// The order of training samples in `epoch`.
    func order(epoch: Int) -> [Int] {
        var order = Array(0..<trainIndices.count)
        var rng = SeededRNG(seed: options.seed ^ 0xD37E_C7).derived(UInt64(epoch))
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return order
    }

    private struct Stop: Error {}

    @discardableResult
    public func run() throws -> DetectTrainSummary {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw TrainError(message: "\(folder): cannot create the output folder: \(error.localizedDescription)")
        }
        guard let net = model.network.layers.first as? CenterNetDetector else { throw TrainError(message: "not a detector") }
        net.frozenLayers = detect.frozenLayers
        let frozen = (0..<detect.frozenLayers).map { "features.\($0)." }
        for (name, p) in model.network.namedParameters() where !p.isBuffer {
            p.learningRateScale = name.hasPrefix("features.") ? options.backboneLearningRateScale : 1
            p.trainable = !frozen.contains { name.hasPrefix($0) }
        }
        let source = try samples()
        let classes = dataset.classes.count
        let stepsPerEpoch = (trainIndices.count + options.batchSize - 1) / options.batchSize
        let schedule = options.makeSchedule(stepsPerEpoch: stepsPerEpoch)
        let focal = CenterNetFocalLoss()
        let boxLoss = BoxRegressionLoss(giouWeight: detect.giouWeight, l1Weight: detect.l1Weight)
        let context = Context(threads: threads, seed: options.seed)
        let pre = model.card.preprocessing
        let (cw, ch) = (detect.cropWidth, detect.cropHeight)

        var interrupted = false
        var unreadable = Set<Int>()
        while state.epoch < options.epochs && !state.stoppedEarly {
            let epoch = state.epoch
            let order = self.order(epoch: epoch)
            let bar = ProgressBar(total: stepsPerEpoch, label: "epoch \(epoch + 1)/\(options.epochs)", enabled: progress)
            bar.advance(by: state.position / options.batchSize)
            var mark = Date()
            do {
                while state.position < order.count {
                    let batch = Array(order[state.position..<min(state.position + options.batchSize, order.count)])
                    // Decode and augment the batch on all threads, in order.
                    var prepared = [Result<(image: FloatImage, boxes: [LabelledRect]), Error>?](repeating: nil, count: batch.count)
                    orderedParallel(count: batch.count, threads: threads, work: { k in Result { try source.sample(batch[k], epoch: epoch) } },
                                    emit: { k, r in prepared[k] = r })
                    // An image that cannot be read is reported once and left out of its batches.
                    var samples: [(image: FloatImage, boxes: [LabelledRect])] = []
                    for (k, r) in prepared.enumerated() {
                        switch r! {
                        case .success(let s): samples.append(s)
                        case .failure(let e):
                            if unreadable.insert(batch[k]).inserted { onNote("left out: \(e)") }
                        }
                    }
                    guard !samples.isEmpty else {
                        state.position += batch.count
                        bar.advance()
                        continue
                    }
                    var x = Tensor(uninitialized: [samples.count, ch, cw, 3])
                    var objects: [[(box: Box, classIndex: Int)]] = []
                    for (k, s) in samples.enumerated() {
                        let base = k * cw * ch * 3
                        for p in 0..<(cw * ch) {
                            for c in 0..<3 { x.data[base + p * 3 + c] = (s.image.data[p * 3 + c] - pre.mean[c]) / pre.std[c] }
                        }
                        objects.append(s.boxes.map { (Box(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1), $0.label) })
                    }
                    context.rng = SeededRNG(seed: options.seed ^ 0xD50F_0A7E).derived(UInt64(state.step))
                    model.network.zeroGradients()
                    let out = model.network.forward(x, context: context, training: true)
                    let t = CenterNetTargets(objects: objects, gridHeight: out.shape[1], gridWidth: out.shape[2], stride: net.stride,
                                             classCount: classes, neighbours: detect.neighbours)
                    let heat = focal(out, targets: t.heat, channels: 0..<classes)
                    let box = boxLoss(out, targets: t.boxes.map {
                        BoxRegressionLoss.Target(n: $0.n, i: $0.i, j: $0.j, x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1, weight: $0.weight)
                    }, channel: classes)
                    let loss = heat.value + box.value
                    guard loss.isFinite else {
                        throw TrainError(message: "the loss is \(loss) at epoch \(epoch + 1), step \(state.step + 1): training diverged; lower --lr or set --clip-norm (the last checkpoint is still in \(folder))")
                    }
                    var grad = heat.gradient
                    for i in 0..<grad.count { grad.data[i] += box.gradient.data[i] }
                    _ = model.network.backward(grad, context: context)
                    if options.clipNorm > 0 { clipGradientNorm(model.network, maxNorm: options.clipNorm) }
                    optimizer.learningRate = schedule.rate(at: state.step)
                    optimizer.update(model.network)
                    state.step += 1
                    state.position += batch.count
                    state.lossSum += Double(loss) * Double(samples.count)
                    state.heatSum += Double(heat.value) * Double(samples.count)
                    state.boxSum += Double(box.value) * Double(samples.count)
                    state.seen += samples.count
                    bar.advance()
                    // Without a terminal, a line every tenth of an epoch (logs of background runs).
                    let done = (state.position + options.batchSize - 1) / options.batchSize
                    if !progress && done % max(1, stepsPerEpoch / 10) == 0 && done < stepsPerEpoch {
                        let elapsed = state.seconds + Date().timeIntervalSince(mark)
                        let rate = Double(state.seen) / max(elapsed, 1e-9)
                        let left = Double(order.count - state.position) / max(rate, 1e-9)
                        onNote(String(format: "epoch %d/%d: %d/%d steps, loss %.4f, %.1f images/s, epoch ETA %.0f s",
                                      epoch + 1, options.epochs, done, stepsPerEpoch, state.lossSum / Double(max(state.seen, 1)), rate, left))
                    }
                    if options.checkpointEverySteps > 0 && state.step % options.checkpointEverySteps == 0 {
                        let now = Date()
                        state.seconds += now.timeIntervalSince(mark)
                        mark = now
                        try ResumeCheckpoint.write(model: model, optimizer: optimizer.state(), state: state, to: resumeCheckpointPath)
                    }
                    if let m = maxSteps, state.step >= m { throw Stop() }
                }
            } catch is Stop {
                interrupted = true
            }
            bar.finish()
            if interrupted { break }
            state.seconds += Date().timeIntervalSince(mark)
            let n = Double(max(state.seen, 1))
            var record = DetectEpochRecord(epoch: epoch + 1, trainLoss: state.lossSum / n, heatLoss: state.heatSum / n, boxLoss: state.boxSum / n,
                                           learningRate: Double(schedule.rate(at: max(state.step - 1, 0))), seconds: state.seconds,
                                           imagesPerSecond: state.seconds > 0 ? Double(state.seen) / state.seconds : 0)
            if !validationIndices.isEmpty {
                let report = try evaluate(validationIndices, context: context)
                record.valAP50 = report.meanAP50
                record.valAP = report.meanAP
            }
            state.history.append(record)
            let (improved, stopsNow) = state.endEpoch(epoch + 1, value: record.valAP50 ?? record.trainLoss,
                                                      maximise: record.valAP50 != nil, patience: options.patience)
            if stopsNow {
                onNote("early stop: \(monitor) has not improved for \(state.badEpochs) epochs (best \(String(format: "%.4f", state.best!)) at epoch \(state.bestEpoch!))")
            }
            state.epoch += 1
            state.position = 0
            state.lossSum = 0; state.heatSum = 0; state.boxSum = 0
            state.seen = 0
            state.seconds = 0
            model.card.provenance.epochs = state.epoch
            model.card.provenance.seed = options.seed
            try model.save(path: lastModelPath)
            if improved { try model.save(path: bestModelPath) }
            try writeMetrics()
            try ResumeCheckpoint.write(model: model, optimizer: optimizer.state(), state: state, to: resumeCheckpointPath)
            onEpoch(record)
        }
        if !interrupted && !state.history.isEmpty { try writeCurves() }
        return DetectTrainSummary(history: state.history, best: state.best, bestEpoch: state.bestEpoch, monitor: monitor,
                                  stoppedEarly: state.stoppedEarly, interrupted: interrupted, lastModelPath: lastModelPath, bestModelPath: bestModelPath)
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
                if reportedUnreadable.insert(entry.path).inserted { onNote("left out of validation: \(error)") }
                continue
            }
            let found = detector.detect([image], context: context)[0]
            evaluation.add(image: entry.path, predictions: found,
                           truth: entry.boxes.map { GroundTruthBox(box: Box(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1), classIndex: $0.classIndex) })
        }
        return evaluation.report(falsePositiveLimit: 0, missLimit: 0)
    }

    func writeMetrics() throws {
        let text = ([DetectEpochRecord.csvHeader] + state.history.map(\.csvRow)).joined(separator: "\n") + "\n"
        try writeAtomically(Data(text.utf8), to: metricsPath)
    }

    func writeCurves() throws {
        let h = state.history
        var panels = [LineChart.Panel(title: "loss", xLabel: "epoch", yLabel: "loss", series: [
            .init(name: "total", ys: h.map(\.trainLoss)), .init(name: "heat map", ys: h.map(\.heatLoss)), .init(name: "box", ys: h.map(\.boxLoss)),
        ])]
        if h.contains(where: { $0.valAP50 != nil }) {
            panels.append(LineChart.Panel(title: "validation AP", xLabel: "epoch", yLabel: "AP", series: [
                .init(name: "AP@0.5", ys: h.map { $0.valAP50 ?? .nan }), .init(name: "AP@[.5:.95]", ys: h.map { $0.valAP ?? .nan }),
            ]))
        }
        try writeAtomically(Data(ImageCodec.encodePNG(LineChart.render(panels: panels))), to: curvesPath)
    }
}
