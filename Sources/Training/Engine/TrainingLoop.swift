import Checkpoint
import Foundation
import ImageIO
import Jobs
import Optim
import Reports
import TensorCore

/// How a run ended.
public struct RunSummary: Sendable {
    public var history: [EpochRow]
    /// The figure that picked the best epoch.
    public var monitor: Monitor
    public var best: Double?
    public var bestEpoch: Int?
    public var stoppedEarly: Bool
    /// `maxSteps` stopped the run before its end, the way a kill would (nothing saved).
    public var interrupted: Bool
    public var lastModelPath: String
    public var bestModelPath: String
}

/// Format of the per-epoch metrics log.
public enum LogFormat: String, Choice {
    case csv, jsonl
}

/// The one epoch loop under every training task. It writes into `folder`:
///
/// - `last.safetensors` after every epoch and `best.safetensors` whenever the task's monitored
///   figure improves (the task's model files);
/// - `checkpoint.safetensors`: the task's tensors, every optimizer's buffers and the run's
///   state, at epoch ends and every `checkpointEverySteps` steps, for `resume`;
/// - `metrics.csv` (or `.jsonl`): one row per epoch; `curves.png` at the end;
/// - `run.yaml` when a `RunRecord` is given: every setting, so the run can be repeated.
///
/// Every file is written to a temporary name and renamed. A run is a pure function of its
/// options, data and thread count: the task draws sample order and augmentation from
/// (seed, epoch, sample), the loop seeds the context's RNG from (seed, step) before each step
/// and takes the learning rate from the step, so a run resumed from any checkpoint ends with
/// the same weights as one that was never stopped.
public final class TrainingLoop<Task: TrainingTask> {
    public let task: Task
    public let folder: String
    /// Stop after this many steps in total, without saving (tests, benchmarks).
    public var maxSteps: Int?
    public var logFormat = LogFormat.csv
    /// Draw progress bars on standard error; without them, `onNote` gets a line every tenth of an epoch.
    public var progress = isatty(STDERR_FILENO) == 1
    /// Between backward and each optimizer step (data-parallel all-reduce, gradient scaling).
    public var gradientHook: GradientHook?
    /// Called after each epoch with its row.
    public var onEpoch: (EpochRow) -> Void = { _ in }
    /// Lines worth logging (progress without a terminal, early stop, the task's notes).
    public var onNote: (String) -> Void = { _ in }
    /// Written as `run.yaml` when the run starts.
    public var record: RunRecord?

    var state: RunState
    public var options: TrainOptions { state.options }
    public var threads: Int { state.threads }

    public var resumeCheckpointPath: String { folder + "/checkpoint.safetensors" }
    public var lastModelPath: String { folder + "/last.safetensors" }
    public var bestModelPath: String { folder + "/best.safetensors" }
    public var metricsPath: String { folder + "/metrics." + logFormat.rawValue }
    public var curvesPath: String { folder + "/curves.png" }
    public var runRecordPath: String { folder + "/run.yaml" }

    /// A fresh run. `taskSettings` is the task's own settings as JSON (saved for resume).
    public init(task: Task, options: TrainOptions, taskSettings: String = "{}", data: DataFingerprint, folder: String, threads: Int) throws {
        try options.validate()
        guard task.sampleCount > 0 else { throw TrainError(message: "no training samples") }
        self.task = task
        self.folder = folder
        state = RunState(task: task.kind, options: options, taskSettings: taskSettings, data: data, threads: threads)
    }

    /// Continues the run whose checkpoint is in `folder`. The task must have been built from the
    /// same checkpoint (`TrainingLoop.savedRun`) and the same data.
    public init(resuming task: Task, data: DataFingerprint, folder: String, threads: Int) throws {
        let path = folder + "/checkpoint.safetensors"
        let file = try SafeTensorsFile.read(path: path)
        var s = try RunCheckpoint.state(of: file, path: path)
        guard s.task == task.kind else { throw TrainError(message: "\(path): a \(s.task.rawValue) run, not \(task.kind.rawValue)") }
        guard s.data.count == data.count, s.data.classes == data.classes else {
            throw TrainError(message: "\(path): the run trained on \(s.data.count) samples of \(s.data.classes.count) classes; this data has \(data.count) of \(data.classes.count)")
        }
        try RunCheckpoint.restore(optimizers: task.optimizers, from: file, state: s)
        s.threads = threads
        self.task = task
        self.folder = folder
        state = s
    }

    /// What a saved run started with: its options, the task's settings (JSON) and the weights
    /// and metadata to rebuild its task from.
    public static func savedRun(folder: String) throws -> (options: TrainOptions, taskSettings: String, metadata: [String: String],
                                                            weights: [(name: String, tensor: Tensor)]) {
        let path = folder + "/checkpoint.safetensors"
        let s = try RunCheckpoint.readState(path: path)
        let file = try SafeTensorsFile.read(path: path)
        return (s.options, s.taskSettings, file.metadata, RunCheckpoint.weights(of: file))
    }

    /// The options a saved run started with (to split its data the same way before resuming).
    public static func savedOptions(folder: String) throws -> TrainOptions {
        try RunCheckpoint.readState(path: folder + "/checkpoint.safetensors").options
    }

    /// The epoch the run will start or continue at (0-based), its position in that epoch and the step.
    public var startingPoint: (epoch: Int, position: Int, step: Int) { (state.epoch, state.position, state.step) }
    /// Thread count the checkpoint was written with (same count → bit-identical continuation).
    public var checkpointThreads: Int { state.threads }
    public var history: [EpochRow] { state.history }

    private struct Stop: Error {}

    /// Trains until the last epoch, early stopping, or `maxSteps`.
    @discardableResult
    public func run() throws -> RunSummary {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw TrainError(message: "\(folder): cannot create the output folder: \(error.localizedDescription)")
        }
        if let record { try record.write(to: runRecordPath) }
        let o = options
        let context = Context(threads: threads, seed: o.seed)
        try task.prepare(context: context, note: onNote)
        let stepsPerEpoch = (task.sampleCount + o.batchSize - 1) / o.batchSize
        let schedule = o.makeSchedule(stepsPerEpoch: stepsPerEpoch)
        var interrupted = false
        while state.epoch < o.epochs && !state.stoppedEarly {
            let epoch = state.epoch
            do {
                try trainEpoch(epoch, stepsPerEpoch: stepsPerEpoch, schedule: schedule, context: context)
            } catch is Stop {
                interrupted = true
                break
            }
            try endEpoch(epoch, schedule: schedule, context: context)
        }
        if !interrupted && !state.history.isEmpty { try writeCurves() }
        return RunSummary(history: state.history, monitor: task.monitor, best: state.best, bestEpoch: state.bestEpoch,
                          stoppedEarly: state.stoppedEarly, interrupted: interrupted, lastModelPath: lastModelPath, bestModelPath: bestModelPath)
    }

    func trainEpoch(_ epoch: Int, stepsPerEpoch: Int, schedule: Schedule, context: Context) throws {
        let o = options
        let bar = ProgressBar(total: stepsPerEpoch, label: "epoch \(epoch + 1)/\(o.epochs)", enabled: progress)
        defer { bar.finish() }
        bar.advance(by: state.position / o.batchSize)
        var mark = Date()
        try task.forEachBatch(epoch: epoch, from: state.position, context: context) { batch, end in
            // Dropout and other step noise draw from a stream fixed by (seed, step): resumable anywhere.
            context.rng = SeededRNG(seed: o.seed ^ 0xD50F_0A7E).derived(UInt64(state.step))
            let step = TrainingStep(epoch: epoch, index: state.step, context: context, learningRate: schedule.rate(at: state.step),
                                    clipNorm: o.clipNorm, hook: gradientHook)
            let figures = try task.step(batch, step)
            if let loss = figures.sums["train_loss"], !loss.isFinite {
                throw TrainError(message: "the loss is \(loss) at epoch \(epoch + 1), step \(state.step + 1): training diverged; lower --lr or set --clip-norm (the last checkpoint is still in \(folder))")
            }
            state.step += 1
            state.position = end
            for (k, v) in figures.sums { state.sums[k, default: 0] += v }
            state.seen += figures.count
            bar.advance()
            let done = (state.position + o.batchSize - 1) / o.batchSize
            if !progress && done % max(1, stepsPerEpoch / 10) == 0 && done < stepsPerEpoch {
                let elapsed = state.seconds + Date().timeIntervalSince(mark)
                let rate = Double(state.seen) / max(elapsed, 1e-9)
                let left = Double(task.sampleCount - state.position) / max(rate, 1e-9)
                onNote(String(format: "epoch %d/%d: %d/%d steps, loss %.4f, %.1f samples/s, epoch ETA %.0f s", epoch + 1, o.epochs, done,
                              stepsPerEpoch, (state.sums["train_loss"] ?? 0) / Double(max(state.seen, 1)), rate, left))
            }
            if o.checkpointEverySteps > 0 && state.step % o.checkpointEverySteps == 0 {
                let now = Date()
                state.seconds += now.timeIntervalSince(mark)
                mark = now
                try writeCheckpoint()
            }
            if let m = maxSteps, state.step >= m { throw Stop() }
        }
        state.seconds += Date().timeIntervalSince(mark)
    }

    func endEpoch(_ epoch: Int, schedule: Schedule, context: Context) throws {
        let o = options
        let n = Double(max(state.seen, 1))
        var row = EpochRow(epoch: epoch + 1, values: state.sums.mapValues { $0 / n },
                           learningRate: Double(schedule.rate(at: max(state.step - 1, 0))), seconds: state.seconds,
                           imagesPerSecond: state.seconds > 0 ? Double(state.seen) / state.seconds : 0)
        for (k, v) in try task.validate(context: context) { row.values[k] = v }
        state.history.append(row)
        let monitor = task.monitor
        let value = row[monitor.name] ?? row["train_loss"] ?? 0
        let (improved, stopsNow) = state.endEpoch(epoch + 1, value: value, maximise: monitor.maximise, patience: o.patience)
        if stopsNow {
            onNote("early stop: \(monitor.name) has not improved for \(state.badEpochs) epochs (best \(String(format: "%.4f", state.best!)) at epoch \(state.bestEpoch!))")
        }
        state.epoch += 1
        state.position = 0
        state.sums = [:]
        state.seen = 0
        state.seconds = 0
        try task.saveModel(to: lastModelPath, epochs: state.epoch, seed: o.seed)
        if improved { try task.saveModel(to: bestModelPath, epochs: state.epoch, seed: o.seed) }
        try writeMetrics()
        try writeCheckpoint()
        onEpoch(row)
    }

    func writeCheckpoint() throws {
        try RunCheckpoint.write(tensors: task.stateTensors(), metadata: task.checkpointMetadata, optimizers: task.optimizers,
                                state: state, to: resumeCheckpointPath)
    }

    var columns: [String] { task.trainColumns + task.validationColumns }

    func writeMetrics() throws {
        let cols = columns
        let text = logFormat == .jsonl ? state.history.map { $0.jsonLine + "\n" }.joined()
            : EpochRow.csvHeader(columns: cols) + "\n" + state.history.map { $0.csvRow(columns: cols) + "\n" }.joined()
        try writeAtomically(Data(text.utf8), to: metricsPath)
    }

    /// Losses in one panel, every other figure in a second, training and validation together.
    func writeCurves() throws {
        let h = state.history
        func series(_ name: String) -> LineChart.Series? {
            let points = h.compactMap { r in r[name].map { (x: Double(r.epoch), y: $0) } }
            return points.isEmpty ? nil : LineChart.Series(name: name, points: points)
        }
        let losses = columns.filter { $0.hasSuffix("loss") }, others = columns.filter { !$0.hasSuffix("loss") }
        var panels = [LineChart.Panel(title: "\(task.title): loss", xLabel: "epoch", yLabel: "loss", series: losses.compactMap(series))]
        let rest = others.compactMap(series)
        if !rest.isEmpty {
            panels.append(LineChart.Panel(title: "\(task.title): " + others.joined(separator: ", "), xLabel: "epoch", yLabel: "", series: rest))
        }
        try writeAtomically(Data(ImageCodec.encodePNG(LineChart.render(panels: panels))), to: curvesPath)
    }
}
