import Foundation
import Optim
import TensorCore

/// Everything that decides what a training run computes (not where it writes or how many
/// threads it uses). Saved in the resume checkpoint, so `--resume` continues with exactly the
/// options the run started with.
public struct TrainOptions: Codable, Equatable, Sendable {
    public var epochs = 10
    public var batchSize = 64
    public var optimizer = OptimizerKind.adamw
    public var learningRate: Float = 1e-3
    /// SGD momentum (Nesterov when `nesterov`).
    public var momentum: Float = 0.9
    public var nesterov = false
    public var weightDecay: Float = 0.01
    /// Evaluated per step.
    public var schedule = ScheduleKind.cosine
    /// Linear warm-up length in epochs (fractions allowed), before the schedule.
    public var warmupEpochs = 0.0
    /// step schedule: multiply by `stepGamma` every `stepEpochs` epochs.
    public var stepEpochs = 10
    public var stepGamma: Float = 0.1
    public var labelSmoothing: Float = 0
    /// Weight the loss by inverse class frequency.
    public var classWeighted = false
    /// Draw samples inversely to their class size instead of a plain shuffle.
    public var balanced = false
    /// An augmentation preset name (driving, inspection, none) or a chain YAML file.
    public var augment = "none"
    /// Fraction of the training data held out for validation when the dataset has no val/ part.
    public var validationFraction = 0.1
    /// Stop after this many epochs without improvement of `monitor` (0: never).
    public var patience = 0
    /// The best checkpoint follows it.
    public var monitor = MonitorChoice.valAccuracy
    /// Clip the global gradient norm to this (0: off).
    public var clipNorm: Float = 0
    public var seed: UInt64 = 0
    /// Also write the resume checkpoint every N steps inside an epoch (0: at epoch ends only).
    public var checkpointEverySteps = 0
    /// Fine-tuning: every parameter before this layer (a dotted name) is frozen, with its
    /// BatchNorms in eval mode. Empty: train everything.
    public var trainableFrom = ""
    /// Fine-tuning: the new head's parameters. Every other trainable parameter learns at
    /// `backboneLearningRateScale` × the learning rate.
    public var headParameters: [String] = []
    public var backboneLearningRateScale: Float = 1
    /// Keep every BatchNorm on its running statistics (small batches, small datasets).
    public var freezeBatchNorm = false

    public init() {}

    /// Checks ranges and names; the message names the option.
    public func validate() throws {
        func fail(_ s: String) -> TrainError { TrainError(message: s) }
        guard epochs >= 1 else { throw fail("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw fail("--batch must be at least 1") }
        guard learningRate > 0, learningRate.isFinite else { throw fail("--lr must be positive") }
        guard weightDecay >= 0 else { throw fail("--weight-decay must not be negative") }
        guard labelSmoothing >= 0 && labelSmoothing < 1 else { throw fail("--label-smoothing must be in [0, 1)") }
        guard validationFraction >= 0 && validationFraction < 1 else { throw fail("--val-split must be in [0, 1)") }
        guard patience >= 0, warmupEpochs >= 0, clipNorm >= 0, checkpointEverySteps >= 0 else {
            throw fail("--patience, --warmup, --clip-norm and --checkpoint-every must not be negative")
        }
        guard !nesterov || optimizer == .sgd else { throw fail("--nesterov is for --optimizer sgd") }
        guard backboneLearningRateScale >= 0 else { throw fail("--backbone-lr-scale must not be negative") }
    }

    /// A fresh optimizer for these options.
    public func makeOptimizer() -> Optimizer {
        switch optimizer {
        case .sgd: return SGD(learningRate: learningRate, momentum: momentum, nesterov: nesterov && momentum > 0, weightDecay: weightDecay)
        case .adam: return Adam(learningRate: learningRate, weightDecay: weightDecay)
        case .adamw: return Adam.adamW(learningRate: learningRate, weightDecay: weightDecay)
        }
    }

    /// The learning rate per step, for `stepsPerEpoch` steps in each epoch.
    public func makeSchedule(stepsPerEpoch: Int) -> Schedule {
        let total = max(epochs * stepsPerEpoch, 1)
        let inner: Schedule
        switch schedule {
        case .constant: inner = .constant(learningRate)
        case .step: inner = .step(base: learningRate, every: max(stepEpochs * stepsPerEpoch, 1), gamma: stepGamma)
        case .onecycle: return .oneCycle(max: learningRate, total: total, pct: 0.3, div: 25, finalDiv: 1e4)
        case .cosine: inner = .cosine(base: learningRate, total: total, floor: 0)
        }
        let warm = Int((warmupEpochs * Double(stepsPerEpoch)).rounded())
        return warm > 0 ? .warmup(steps: warm, then: inner) : inner
    }

    /// Whether a larger value of `monitor` is better.
    public var monitorMaximises: Bool { monitor.maximises }
}

/// The optimizers training can use.
public enum OptimizerKind: String, Choice {
    case sgd, adam, adamw
}

/// Learning-rate schedules, evaluated per step.
public enum ScheduleKind: String, Choice {
    case constant, step, cosine, onecycle
}

/// The classification figures a run can watch.
public enum MonitorChoice: String, Choice {
    case valAccuracy = "val_accuracy"
    case valLoss = "val_loss"
    case trainLoss = "train_loss"
    case trainAccuracy = "train_accuracy"

    /// Whether larger is better.
    public var maximises: Bool { self == .valAccuracy || self == .trainAccuracy }
}

/// A training run that cannot start or continue; the message says why.
public struct TrainError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
