import Checkpoint
import Foundation
import Layers
import Optim
import TensorCore

/// What one training step measured: sums over the step's samples of each per-sample figure
/// (a loss times the batch size, a count of correct answers). The run loop adds them up over
/// the epoch and divides by the samples seen, so a short last batch weighs what it holds.
public struct StepFigures: Sendable {
    public var count: Int
    public var sums: [String: Double]

    public init(count: Int, sums: [String: Double]) {
        self.count = count
        self.sums = sums
    }

    /// Figures of a step whose per-sample means are `means` over `count` samples.
    public init(count: Int, means: [String: Double]) {
        self.count = count
        sums = means.mapValues { $0 * Double(count) }
    }
}

/// Called between backward and the optimizer step with the parameters that step will move
/// (their `grad` holds the batch's gradient) and the run's step number. Data-parallel
/// training all-reduces the gradients here; anything else that must see or change gradients
/// before they are applied (scaling, logging) hooks in the same way.
public typealias GradientHook = (_ parameters: [Parameter], _ step: Int) -> Void

/// The run loop's side of one step, handed to `TrainingTask.step`: where the run is, the
/// thread context (its RNG already seeded for this step, so dropout resumes exactly), and
/// `update`, which applies gradients the way every task must: gradient hook, clipping,
/// the schedule's learning rate, the optimizer.
public final class TrainingStep {
    /// 0-based epoch and step over the whole run.
    public let epoch: Int
    public let index: Int
    public let context: Context
    /// The schedule's learning rate at this step.
    public let learningRate: Float
    let clipNorm: Float
    let hook: GradientHook?

    init(epoch: Int, index: Int, context: Context, learningRate: Float, clipNorm: Float, hook: GradientHook?) {
        self.epoch = epoch
        self.index = index
        self.context = context
        self.learningRate = learningRate
        self.clipNorm = clipNorm
        self.hook = hook
    }

    /// Applies the gradients in `network`'s parameters with `optimizer`: the gradient hook
    /// first, then the global norm clip, then the step at the scheduled rate × `rateScale`.
    /// A task with two optimizers (a GAN's generator and discriminator) calls it twice.
    public func update(_ optimizer: Optimizer, _ network: Layer, rateScale: Float = 1) {
        if let hook {
            hook(network.namedParameters().map(\.parameter).filter { $0.trainable && !$0.isBuffer }, index)
        }
        if clipNorm > 0 { clipGradientNorm(network, maxNorm: clipNorm) }
        optimizer.learningRate = learningRate * rateScale
        optimizer.update(network)
    }
}

/// One kind of training — classification, detection, the anomaly autoencoder, and whatever
/// comes next — as the run loop drives it. The task owns its model(s), data and losses; the
/// `TrainingLoop` owns everything around them: epochs, sample positions, exact resume, atomic
/// checkpoints, the schedule, the gradient hook, early stopping, the divergence guard,
/// metrics logs, curves and `run.yaml`.
///
/// A step need not be one gradient step: it may call `TrainingStep.update` once, several
/// times with different optimizers, or never (an update computed another way, written into
/// the weights directly). Batches are whatever the task yields, so sequences of different
/// lengths are as welcome as image tensors.
public protocol TrainingTask: AnyObject {
    associatedtype Batch

    /// What the task is, as model files and `run.yaml` name it.
    var kind: TaskKind { get }
    /// Per-step figures (`StepFigures` keys) in log-column order, `train_loss` first.
    var trainColumns: [String] { get }
    /// Figures `validate` returns, in log-column order (empty: no validation).
    var validationColumns: [String] { get }
    /// The figure that picks `best.safetensors` and drives early stopping, and whether larger is better.
    var monitor: Monitor { get }
    /// Samples in one epoch (positions run from 0 to this).
    var sampleCount: Int { get }
    /// The optimizers a step uses, by name; their buffers go into the resume checkpoint.
    var optimizers: [(name: String, optimizer: Optimizer)] { get }
    /// The tensors that hold the task's learnt state (every network's parameters and buffers).
    func stateTensors() -> [(name: String, tensor: Tensor)]
    /// Metadata that makes the resume checkpoint loadable as a model (its model card).
    var checkpointMetadata: [String: String] { get }
    /// Title of the curves picture.
    var title: String { get }

    /// Once before the first step of this process (freezing, caches); `note` takes a line for the log.
    func prepare(context: Context, note: @escaping (String) -> Void) throws
    /// Yields the batches of `epoch` from sample position `position` on, each with the position
    /// reached once it is done. The order must be a function of (seed, epoch) only.
    func forEachBatch(epoch: Int, from position: Int, context: Context, _ body: (Batch, _ endPosition: Int) throws -> Void) throws
    /// Trains on one batch and says what it measured.
    func step(_ batch: Batch, _ step: TrainingStep) throws -> StepFigures
    /// Figures on held-out data under `validationColumns` (empty when there is none).
    func validate(context: Context) throws -> [String: Double]
    /// Writes the task's model file (what `last.safetensors` and `best.safetensors` hold).
    func saveModel(to path: String, epochs: Int, seed: UInt64) throws
}

/// The figure a run watches, and which way is better.
public struct Monitor: Equatable, Sendable, Codable {
    public var name: String
    public var maximise: Bool
    public init(name: String, maximise: Bool) {
        self.name = name
        self.maximise = maximise
    }
}
