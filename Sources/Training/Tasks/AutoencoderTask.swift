import Anomaly
import Augment
import Checkpoint
import Foundation
import ImageIO
import Layers
import Optim
import TensorCore
import Zoo

/// The anomaly autoencoder as a `TrainingTask`: the zoo's `conv_autoencoder` learns to
/// reproduce good images (Adam, mean squared error), each seen under a random flip and quarter
/// turn drawn from (seed, epoch, sample). Images are decoded and prepared once, at the
/// network's input size, so memory holds inputs rather than whole photos.
public final class AutoencoderTask: TrainingTask {
    /// Positions in the epoch's order of samples.
    public typealias Batch = [Int]

    public let config: AutoencoderDetector.Config
    public let model: Model
    public let options: TrainOptions
    /// The names of the samples (their files, in sample order) and the files left out as unreadable.
    public let paths: [String]
    public let unreadable: [String]
    let samples: [[Float]]
    let input: ModelInput
    let optimizer: Optimizer

    /// Decodes and prepares `paths` on `threads` threads; unreadable files are listed in
    /// `unreadable` and left out. `model` continues a saved run (nil: a fresh seeded network).
    public convenience init(paths: [String], config c: AutoencoderDetector.Config, threads: Int, model: Model? = nil) throws {
        let input = ModelInput(size: c.inputSize, resize: .stretch)
        var prepared: [(String, Result<[Float], Error>)] = []
        orderedParallel(count: paths.count, threads: threads, work: { i in
            (paths[i], Result { () throws -> [Float] in Self.prepare(try ImageCodec.decode(fileAt: paths[i]).image, input) })
        }, emit: { _, r in prepared.append(r) })
        var ok: [String] = [], bad: [String] = [], xs: [[Float]] = []
        for (p, r) in prepared {
            switch r {
            case .success(let x): ok.append(p); xs.append(x)
            case .failure(let e): bad.append("\(e)")
            }
        }
        try self.init(samples: xs, names: ok, unreadable: bad, config: c, model: model)
    }

    /// Images already in memory (`names` label them in the run's data fingerprint).
    public convenience init(images: [Image], names: [String]? = nil, config c: AutoencoderDetector.Config, model: Model? = nil) throws {
        let input = ModelInput(size: c.inputSize, resize: .stretch)
        try self.init(samples: images.map { Self.prepare($0, input) }, names: names ?? images.indices.map { "image[\($0)]" }, unreadable: [],
                      config: c, model: model)
    }

    init(samples: [[Float]], names: [String], unreadable: [String], config c: AutoencoderDetector.Config, model: Model?) throws {
        guard !samples.isEmpty else { throw AnomalyError(path: names.first ?? "autoencoder", reason: "no good image to fit on could be read") }
        self.config = c
        self.model = try model ?? AutoencoderDetector.network(c)
        input = ModelInput(size: c.inputSize, resize: .stretch)
        paths = names
        self.unreadable = unreadable
        self.samples = samples
        options = Self.options(c)
        optimizer = options.makeOptimizer()
    }

    static func prepare(_ image: Image, _ input: ModelInput) -> [Float] {
        var x = [Float](repeating: 0, count: input.sliceCount)
        x.withUnsafeMutableBufferPointer { input.prepare(image, into: $0) }
        return x
    }

    /// The run settings an autoencoder config implies: Adam at a constant rate, no weight decay.
    public static func options(_ c: AutoencoderDetector.Config) -> TrainOptions {
        var o = TrainOptions()
        o.epochs = c.epochs
        o.batchSize = c.batch
        o.optimizer = .adam
        o.learningRate = c.learningRate
        o.weightDecay = 0
        o.schedule = .constant
        o.monitor = .trainLoss
        o.validationFraction = 0
        o.seed = c.seed
        return o
    }

    public var kind: TaskKind { .anomalyAutoencoder }
    public var trainColumns: [String] { ["train_loss"] }
    public var validationColumns: [String] { [] }
    public var monitor: Monitor { Monitor(name: "train_loss", maximise: false) }
    public var sampleCount: Int { samples.count }
    public var optimizers: [(name: String, optimizer: Optimizer)] { [("model", optimizer)] }
    public var title: String { "conv_autoencoder" }
    public var checkpointMetadata: [String: String] { model.card.metadata }
    public func stateTensors() -> [(name: String, tensor: Tensor)] { model.network.namedParameters().map { ($0.name, $0.parameter.value) } }
    public var data: DataFingerprint { DataFingerprint(count: samples.count, classes: ["good"], digest: DataFingerprint.digest(names: paths, labels: paths.map { _ in 0 })) }
    public var settingsJSON: String { String(decoding: (try? RunCheckpoint.jsonEncoder().encode(config)) ?? Data("{}".utf8), as: UTF8.self) }

    public func prepare(context: Context, note: @escaping (String) -> Void) throws {
        for u in unreadable { note("left out: \(u)") }
    }

    public func forEachBatch(epoch: Int, from position: Int, context: Context, _ body: ([Int], Int) throws -> Void) throws {
        let order = SeededShuffle.permutation(samples.count, seed: config.seed ^ 0xA17E, stream: UInt64(epoch))
        var p = position
        while p < order.count {
            let end = min(p + config.batch, order.count)
            try body(Array(order[p..<end]), end)
            p = end
        }
    }

    public func step(_ batch: [Int], _ step: TrainingStep) throws -> StepFigures {
        let n = config.inputSize
        var x = Tensor(uninitialized: [batch.count, n, n, 3])
        // Random flips and quarter turns of square inputs: more views of the same texture.
        let views = SeededRNG(seed: config.seed ^ 0x71E5).derived(UInt64(step.epoch))
        for (r, i) in batch.enumerated() {
            var rng = views.derived(UInt64(i))
            let turn = Int(rng.next() % 4), flip = rng.next() % 2 == 0
            AutoencoderDetector.augment(samples[i], side: n, turn: turn, flip: flip, into: &x.data, offset: r * input.sliceCount)
        }
        model.network.zeroGradients()
        let y = model.network.forward(x, context: step.context, training: true)
        let loss = MSELoss()(y, targets: x)
        if loss.value.isFinite {
            _ = model.network.backward(loss.gradient, context: step.context)
            step.update(optimizer, model.network)
        }
        return StepFigures(count: batch.count, means: ["train_loss": Double(loss.value)])
    }

    public func validate(context: Context) throws -> [String: Double] { [:] }

    public func saveModel(to path: String, epochs: Int, seed: UInt64) throws {
        model.card.provenance.epochs = epochs
        model.card.provenance.seed = seed
        try model.save(path: path)
    }

    /// The trained detector, its threshold set on good validation images, decoded one at a time
    /// by `image` (an error leaves that image out and goes to `skipped`).
    public func detector(validationCount: Int, image: (Int) throws -> Image, fpr: Double, context: Context,
                         skipped: (String) -> Void = { _ in }) throws -> AutoencoderDetector {
        let det = AutoencoderDetector(config: config, model: model, targetFPR: fpr)
        var scores: [Float] = []
        for i in 0..<validationCount {
            do { scores.append(det.score(try image(i), context: context).score) } catch { skipped("\(error)") }
        }
        guard !scores.isEmpty else { throw AnomalyError(path: "validation", reason: "no good validation image could be read") }
        det.setThreshold(validation: scores)
        return det
    }

    /// Trains on `good` images in memory with the run files in `folder` and sets the threshold
    /// on `validation`: the whole fit in one call (tests, library users).
    public static func fit(good: [Image], validation: [Image], config: AutoencoderDetector.Config, fpr: Double, threads: Int,
                           folder: String) throws -> (detector: AutoencoderDetector, history: [EpochRow]) {
        let task = try AutoencoderTask(images: good, config: config)
        let loop = try TrainingLoop(task: task, options: task.options, taskSettings: task.settingsJSON, data: task.data, folder: folder, threads: threads)
        loop.progress = false
        let summary = try loop.run()
        let det = try task.detector(validationCount: validation.count, image: { validation[$0] }, fpr: fpr, context: Context(threads: threads, seed: config.seed))
        return (det, summary.history)
    }
}
