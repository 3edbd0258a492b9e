import ArgumentParser
import Augment
import Checkpoint
import Datasets
import Foundation
import Training
import Zoo

/// The optimisation flags `train` and `finetune` share.
struct TrainingFlags: ParsableArguments {
    @Option(help: "Output folder: last/best/checkpoint .safetensors, metrics log, curves.png, summary.json.")
    var out: String

    @Option(help: "Passes over the training data (default: 10).")
    var epochs: Int?

    @Option(help: "Images per step (default: 64 for train, 32 for finetune).")
    var batch: Int?

    @Option(help: "Optimizer (default: adamw).")
    var optimizer: OptimizerKind?

    @Option(help: "Peak learning rate (default: 0.001).")
    var lr: Float?

    @Option(help: "SGD momentum.")
    var momentum: Float = 0.9

    @Flag(help: "Nesterov momentum (SGD).")
    var nesterov = false

    @Option(name: .customLong("weight-decay"), help: "Weight decay, decoupled for adamw, L2 otherwise (default: 0.01 adamw, 5e-4 sgd, 0 adam).")
    var weightDecay: Float?

    @Option(help: "Learning-rate schedule, evaluated per step.")
    var schedule = ScheduleKind.cosine

    @Option(help: "Linear warm-up, in epochs (fractions allowed).")
    var warmup = 0.0

    @Option(name: .customLong("step-epochs"), help: "step schedule: epochs between decays.")
    var stepEpochs = 10

    @Option(name: .customLong("step-gamma"), help: "step schedule: decay factor.")
    var stepGamma: Float = 0.1

    @Option(name: .customLong("label-smoothing"), help: "Label smoothing ε in [0, 1).")
    var labelSmoothing: Float = 0

    @Flag(name: .customLong("class-weighted"), help: "Weight the loss by inverse class frequency.")
    var classWeighted = false

    @Flag(help: "Sample classes evenly instead of a plain shuffle.")
    var balanced = false

    @Option(help: "Augmentation: a preset (\(AugmentChain.presetNames.joined(separator: ", "))) or a chain YAML file.")
    var augment = "none"

    @Option(name: .customLong("val-split"), help: "Fraction held out for validation when the dataset has no val/ folder (0: none).")
    var valSplit = 0.1

    @Option(help: "Early stopping: epochs without improvement of --monitor before stopping (0: off).")
    var patience = 0

    @Option(help: "The figure that picks best.safetensors and drives early stopping.")
    var monitor = MonitorChoice.valAccuracy

    @Option(name: .customLong("clip-norm"), help: "Clip the global gradient norm (0: off).")
    var clipNorm: Float = 0

    @Option(help: "Seed for initialisation, split, order, augmentation and dropout.")
    var seed: UInt64 = 0

    @Option(name: .customLong("checkpoint-every"), help: "Also save the resume checkpoint every N steps (0: each epoch only).")
    var checkpointEvery = 0

    @Option(name: .customLong("log-format"), help: "Metrics log format.")
    var logFormat = LogFormat.csv

    @Flag(help: "Continue the run saved in --out (same options, data and seed; same --threads for identical weights).")
    var resume = false

    @Flag(name: .customLong("cache-images"), help: "Keep decoded images in memory across epochs.")
    var cacheImages = false

    @Option(help: "Threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("max-steps"), help: .hidden)
    var maxSteps: Int?

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    /// Options with the command's defaults for anything not given.
    func options(epochs defEpochs: Int, batch defBatch: Int, optimizer defOpt: OptimizerKind, lr defLR: Float, weightDecay defWD: Float) throws -> TrainOptions {
        var o = TrainOptions()
        o.epochs = epochs ?? defEpochs
        o.batchSize = batch ?? defBatch
        o.optimizer = optimizer ?? defOpt
        o.learningRate = lr ?? defLR
        o.momentum = momentum
        o.nesterov = nesterov
        o.weightDecay = weightDecay ?? (o.optimizer == .adamw ? defWD : (o.optimizer == .sgd ? 5e-4 : 0))
        o.schedule = schedule
        o.warmupEpochs = warmup
        o.stepEpochs = stepEpochs
        o.stepGamma = stepGamma
        o.labelSmoothing = labelSmoothing
        o.classWeighted = classWeighted
        o.balanced = balanced
        o.augment = augment
        o.validationFraction = valSplit
        o.patience = patience
        o.monitor = monitor
        o.clipNorm = clipNorm
        o.seed = seed
        o.checkpointEverySteps = checkpointEvery
        do { try o.validate() } catch let e as TrainError { throw ValidationError(e.message) }
        return o
    }

    /// Runs (or resumes) training, evaluates the best model on the test part, writes
    /// summary.json and prints a line per epoch.
    func train(command: String, model: Model?, source: DatasetSource, options: TrainOptions) throws {
        // A resumed run splits its data as it did when it started.
        let splitBy = resume ? try Trainer.savedOptions(folder: out) : options
        let parts = trainingParts(source, validationFraction: splitBy.validationFraction, seed: splitBy.seed)
        let trainer: Trainer
        if resume {
            trainer = try Trainer.resume(folder: out, train: parts.train, validation: parts.validation, threads: threads)
            let (e, p, s) = trainer.startingPoint
            printError("resuming \(out) at epoch \(e + 1), sample \(p) of that epoch, step \(s)")
            let saved = trainer.options
            var ignored: [String] = []
            if let epochs, epochs != saved.epochs { ignored.append("--epochs \(epochs) (run: \(saved.epochs))") }
            if let batch, batch != saved.batchSize { ignored.append("--batch \(batch) (run: \(saved.batchSize))") }
            if let optimizer, optimizer != saved.optimizer { ignored.append("--optimizer \(optimizer.rawValue) (run: \(saved.optimizer.rawValue))") }
            if let lr, lr != saved.learningRate { ignored.append("--lr \(lr) (run: \(saved.learningRate))") }
            if let weightDecay, weightDecay != saved.weightDecay { ignored.append("--weight-decay \(weightDecay) (run: \(saved.weightDecay))") }
            if !ignored.isEmpty {
                printError("note: a resumed run keeps the options it started with; ignoring " + ignored.joined(separator: ", "))
            }
            if trainer.checkpointThreads != threads {
                printError("note: the checkpoint was written with --threads \(trainer.checkpointThreads); with \(threads) the result can differ in the last bits")
            }
        } else {
            guard let model else { throw TrainError(message: "internal: no model") }
            if FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors") {
                throw TrainError(message: "\(out) already holds a run; pass --resume to continue it or choose another --out")
            }
            trainer = try Trainer(model: model, train: parts.train, validation: parts.validation, options: options, folder: out, threads: threads)
        }
        trainer.logFormat = logFormat
        trainer.cacheImages = cacheImages
        trainer.maxSteps = maxSteps
        let o = trainer.options
        printError("\(command): \(trainer.model.card.architecture), \(parts.train.count) training images in \(parts.train.classes.count) classes"
                   + (parts.validation.map { ", \($0.count) validation" } ?? "") + (parts.test.map { ", \($0.count) test" } ?? "")
                   + "; \(o.epochs) epochs of batch \(o.batchSize), \(o.optimizer.rawValue) lr \(o.learningRate) \(o.schedule.rawValue), \(threads) threads")
        let start = Date()
        trainer.onNote = { printError($0) }
        // ETA from the wall time per epoch since the first epoch ended (the first epoch alone
        // would count start-up and any frozen-feature pass).
        var firstEnd: (Date, Int)?
        trainer.onEpoch = { r, s in
            var line = String(format: "epoch %3d/%d  loss %.4f  acc %.4f", r.epoch, o.epochs, r.trainLoss, r.trainAccuracy)
            if let vl = r.valLoss, let va = r.valAccuracy { line += String(format: "  val_loss %.4f  val_acc %.4f", vl, va) }
            line += String(format: "  lr %.2e  %.1f s  %.0f img/s", r.learningRate, r.seconds, r.imagesPerSecond)
            if s.bestEpoch == r.epoch { line += "  *" }
            let now = Date()
            var perEpoch = r.seconds
            if let (t, e) = firstEnd, r.epoch > e { perEpoch = now.timeIntervalSince(t) / Double(r.epoch - e) } else { firstEnd = (now, r.epoch) }
            if r.epoch < o.epochs { line += "  ETA " + clock(perEpoch * Double(o.epochs - r.epoch)) }
            print(line)
            fflush(stdout)
        }
        let summary = try trainer.run()
        if summary.interrupted {
            printError("stopped after step \(maxSteps ?? 0) as asked (--max-steps); continue with --resume")
            return
        }
        var report: [String: Any] = [
            "architecture": trainer.model.card.architecture, "classes": parts.train.classes, "train_images": parts.train.count,
            "validation_images": parts.validation?.count ?? 0, "epochs_run": summary.history.count, "monitor": summary.monitor,
            "best_epoch": summary.bestEpoch ?? 0, "best": summary.best ?? 0, "stopped_early": summary.stoppedEarly, "threads": threads,
            "train_seconds": summary.history.reduce(0) { $0 + $1.seconds }, "wall_seconds": Date().timeIntervalSince(start),
            "history": summary.history.map { ["epoch": $0.epoch, "train_loss": $0.trainLoss, "train_accuracy": $0.trainAccuracy,
                                               "val_loss": $0.valLoss ?? NSNull(), "val_accuracy": $0.valAccuracy ?? NSNull(),
                                               "seconds": $0.seconds] as [String: Any] },
        ]
        if let f = summary.featureSeconds { report["feature_seconds"] = f }
        if let test = parts.test {
            // The test part is scored once, with the model best.safetensors holds.
            let best = try Trainer(model: try Model.load(path: trainer.bestModelPath), train: parts.train, validation: nil,
                                   options: trainer.options, folder: out, threads: threads)
            let r = try best.evaluate(test)
            let (loss, metrics) = (r.loss, r.metrics)
            print(String(format: "test: accuracy %.4f  loss %.4f  (%d images, best.safetensors from epoch %d)",
                         metrics.accuracy, loss, metrics.total, summary.bestEpoch ?? 0))
            report["test_accuracy"] = metrics.accuracy
            report["test_loss"] = loss
            report["test_images"] = metrics.total
        }
        try writeAtomically(JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]), to: out + "/summary.json")
        printError("wrote \(trainer.bestModelPath) (epoch \(summary.bestEpoch ?? 0), \(summary.monitor) \(String(format: "%.4f", summary.best ?? 0))), \(trainer.lastModelPath), \(trainer.metricsPath), \(trainer.curvesPath)")
    }
}

func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
}
