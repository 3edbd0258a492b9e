import Checkpoint
import Foundation
import Layers
import Optim
import TensorCore
import XCTest
@testable import Training

/// A layer that only holds parameters (the toy tasks compute their own gradients).
final class Holder: Layer {
    let name: String
    let parameters: [Parameter]
    init(_ name: String, _ values: [String: Float]) {
        self.name = name
        parameters = values.keys.sorted().map { Parameter($0, Tensor(shape: [1], data: [values[$0]!])) }
    }
    func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor { x }
    func backward(_ dy: Tensor, context: Context) -> Tensor { dy }
    var value: Float { parameters[0].value.data[0] }
}

/// Sequences of different lengths (1…7 values around `mean`): the kind of batch a text reader has.
func sequences(count: Int, mean: Float, seed: UInt64) -> [[Float]] {
    var rng = SeededRNG(seed: seed)
    return (0..<count).map { _ in (0..<(1 + Int(rng.next() % 7))).map { _ in mean + rng.normal() } }
}

/// Batches of positions in a seeded per-epoch order, shared by the toy tasks.
func toyBatches(count: Int, batch: Int, seed: UInt64, epoch: Int, from position: Int, _ body: ([Int], Int) throws -> Void) throws {
    let order = SeededShuffle.permutation(count, seed: seed, stream: UInt64(epoch))
    var p = position
    while p < count {
        let end = min(p + batch, count)
        try body(Array(order[p..<end]), end)
        p = end
    }
}

/// Two networks, two optimizers, one step — the shape of a GAN's: the critic `d` learns the
/// mean of each variable-length sequence, then the generator `g` learns to match the critic.
final class PairTask: TrainingTask {
    typealias Batch = [[Float]]
    let data: [[Float]]
    let options: TrainOptions
    let critic = Holder("critic", ["d": 0])
    let generator = Holder("generator", ["g": -1])
    let optD: Optimizer, optG: Optimizer

    init(data: [[Float]], options: TrainOptions) {
        self.data = data
        self.options = options
        optD = options.makeOptimizer()
        optG = options.makeOptimizer()
    }

    var kind: TaskKind { .experiment }
    var trainColumns: [String] { ["train_loss", "critic_loss", "generator_loss"] }
    var validationColumns: [String] { [] }
    var monitor: Monitor { Monitor(name: "train_loss", maximise: false) }
    var sampleCount: Int { data.count }
    var optimizers: [(name: String, optimizer: Optimizer)] { [("critic", optD), ("generator", optG)] }
    var title: String { "pair" }
    var checkpointMetadata: [String: String] { [:] }
    func stateTensors() -> [(name: String, tensor: Tensor)] { [("critic.d", critic.parameters[0].value), ("generator.g", generator.parameters[0].value)] }
    func prepare(context: Context, note: @escaping (String) -> Void) throws {}
    func forEachBatch(epoch: Int, from position: Int, context: Context, _ body: ([[Float]], Int) throws -> Void) throws {
        try toyBatches(count: data.count, batch: options.batchSize, seed: options.seed, epoch: epoch, from: position) { idx, end in
            try body(idx.map { data[$0] }, end)
        }
    }
    func step(_ batch: [[Float]], _ step: TrainingStep) throws -> StepFigures {
        let means = batch.map { $0.reduce(0, +) / Float($0.count) }
        let d = critic.value
        critic.zeroGradients()
        critic.parameters[0].grad.data[0] = means.map { 2 * (d - $0) }.reduce(0, +) / Float(batch.count)
        let lossD = means.map { (d - $0) * (d - $0) }.reduce(0, +) / Float(batch.count)
        step.update(optD, critic)
        let g = generator.value, target = critic.value
        generator.zeroGradients()
        generator.parameters[0].grad.data[0] = 2 * (g - target)
        let lossG = (g - target) * (g - target)
        step.update(optG, generator)
        return StepFigures(count: batch.count, means: ["train_loss": Double(lossD + lossG), "critic_loss": Double(lossD), "generator_loss": Double(lossG)])
    }
    func validate(context: Context) throws -> [String: Double] { [:] }
    func saveModel(to path: String, epochs: Int, seed: UInt64) throws {
        try SafeTensorsFile(tensors: stateTensors(), metadata: [:]).write(to: path)
    }
    func restore(from folder: String) throws {
        for (name, t) in try TrainingLoop<PairTask>.savedRun(folder: folder).weights {
            (name == "critic.d" ? critic : generator).parameters[0].value = t
        }
    }
}

/// An update that is no gradient step, as contrastive divergence is not: a running centroid
/// moved halfway to each batch's mean, written straight into its parameter. No optimizer.
final class CentroidTask: TrainingTask {
    typealias Batch = [Float]
    let data: [Float]
    let options: TrainOptions
    let centroid = Holder("centroid", ["c": 0])

    init(data: [Float], options: TrainOptions) {
        self.data = data
        self.options = options
    }

    var kind: TaskKind { .experiment }
    var trainColumns: [String] { ["train_loss"] }
    var validationColumns: [String] { [] }
    var monitor: Monitor { Monitor(name: "train_loss", maximise: false) }
    var sampleCount: Int { data.count }
    var optimizers: [(name: String, optimizer: Optimizer)] { [] }
    var title: String { "centroid" }
    var checkpointMetadata: [String: String] { [:] }
    func stateTensors() -> [(name: String, tensor: Tensor)] { [("c", centroid.parameters[0].value)] }
    func prepare(context: Context, note: @escaping (String) -> Void) throws {}
    func forEachBatch(epoch: Int, from position: Int, context: Context, _ body: ([Float], Int) throws -> Void) throws {
        try toyBatches(count: data.count, batch: options.batchSize, seed: options.seed, epoch: epoch, from: position) { idx, end in
            try body(idx.map { data[$0] }, end)
        }
    }
    func step(_ batch: [Float], _ step: TrainingStep) throws -> StepFigures {
        let mean = batch.reduce(0, +) / Float(batch.count)
        let c = centroid.value
        centroid.parameters[0].value.data[0] = c + 0.5 * (mean - c)
        return StepFigures(count: batch.count, means: ["train_loss": Double(batch.map { ($0 - c) * ($0 - c) }.reduce(0, +) / Float(batch.count))])
    }
    func validate(context: Context) throws -> [String: Double] { [:] }
    func saveModel(to path: String, epochs: Int, seed: UInt64) throws {
        try SafeTensorsFile(tensors: stateTensors(), metadata: [:]).write(to: path)
    }
}

final class TrainingLoopTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = NSTemporaryDirectory() + "vigil-loop-\(UUID().uuidString)" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func options(_ optimizer: OptimizerKind = .adam, lr: Float = 0.05, epochs: Int = 6) -> TrainOptions {
        var o = TrainOptions()
        o.epochs = epochs
        o.batchSize = 4
        o.optimizer = optimizer
        o.learningRate = lr
        o.weightDecay = 0
        o.momentum = 0
        o.schedule = .constant
        o.seed = 5
        return o
    }

    let fingerprint = DataFingerprint(count: 30, classes: [])

    func testTwoOptimizersOnSequenceBatchesLearnAndResumeExactly() throws {
        let data = sequences(count: 30, mean: 3, seed: 1)
        var o = options(epochs: 40)
        o.checkpointEverySteps = 3
        let straight = PairTask(data: data, options: o)
        let loopA = try TrainingLoop(task: straight, options: o, data: fingerprint, folder: dir + "/a", threads: 1)
        loopA.progress = false
        let s = try loopA.run()
        let seqMeans: [Float] = data.map { (s: [Float]) -> Float in s.reduce(0, +) / Float(s.count) }
        let truth: Float = seqMeans.reduce(0, +) / 30
        XCTAssertEqual(straight.critic.value, truth, accuracy: 0.3, "the critic learns the mean of sequence means")
        XCTAssertEqual(straight.generator.value, straight.critic.value, accuracy: 0.3, "the generator follows the critic")
        XCTAssertEqual(straight.optD.step, 40 * 8)
        XCTAssertEqual(straight.optG.step, 40 * 8)
        XCTAssertLessThan(s.history.last!["generator_loss"]!, s.history.first!["generator_loss"]!)
        let header = try String(contentsOfFile: dir + "/a/metrics.csv", encoding: .utf8).split(separator: "\n")[0]
        XCTAssertEqual(String(header), "epoch,train_loss,critic_loss,generator_loss,lr,seconds,images_per_second")

        // Stopped at step 10 (last checkpoint at step 9) and resumed: the same numbers, bit for bit.
        let first = PairTask(data: data, options: o)
        let loopB = try TrainingLoop(task: first, options: o, data: fingerprint, folder: dir + "/b", threads: 1)
        loopB.progress = false
        loopB.maxSteps = 10
        XCTAssertTrue(try loopB.run().interrupted)
        let second = PairTask(data: data, options: o)
        try second.restore(from: dir + "/b")
        let loopC = try TrainingLoop(resuming: second, data: fingerprint, folder: dir + "/b", threads: 1)
        XCTAssertEqual(loopC.startingPoint.step, 9)
        XCTAssertEqual(second.optD.step, 9, "each optimizer's own state comes back")
        loopC.progress = false
        try loopC.run()
        XCTAssertEqual(second.critic.value, straight.critic.value)
        XCTAssertEqual(second.generator.value, straight.generator.value)
        XCTAssertEqual(second.optG.step, straight.optG.step)
    }

    func testNonGradientUpdatesRunAndResume() throws {
        var rng = SeededRNG(seed: 3)
        let data = (0..<30).map { _ in 7 + rng.normal() }
        var o = options(epochs: 3)
        o.checkpointEverySteps = 2
        let task = CentroidTask(data: data, options: o)
        let loop = try TrainingLoop(task: task, options: o, data: fingerprint, folder: dir + "/a", threads: 1)
        loop.progress = false
        let s = try loop.run()
        XCTAssertEqual(task.centroid.value, data.reduce(0, +) / 30, accuracy: 1, "halfway steps towards batch means settle near the mean")
        XCTAssertEqual(s.history.count, 3)
        XCTAssertLessThan(s.history.last!["train_loss"]!, s.history.first!["train_loss"]!)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/a/last.safetensors"))

        let stopped = CentroidTask(data: data, options: o)
        let l2 = try TrainingLoop(task: stopped, options: o, data: fingerprint, folder: dir + "/b", threads: 1)
        l2.progress = false
        l2.maxSteps = 13
        try l2.run()
        let resumed = CentroidTask(data: data, options: o)
        resumed.centroid.parameters[0].value = try TrainingLoop<CentroidTask>.savedRun(folder: dir + "/b").weights[0].tensor
        let l3 = try TrainingLoop(resuming: resumed, data: fingerprint, folder: dir + "/b", threads: 1)
        l3.progress = false
        try l3.run()
        XCTAssertEqual(resumed.centroid.value, task.centroid.value)
    }

    /// The hook sees every update's gradients before the optimizer: doubling them under plain SGD
    /// is exactly a doubled learning rate; zeroing them leaves the weights where they started.
    func testGradientHookChangesTheUpdateAsExpected() throws {
        let data = sequences(count: 30, mean: 3, seed: 2)
        let o = options(.sgd, lr: 0.05, epochs: 2)
        let hooked = PairTask(data: data, options: o)
        let l1 = try TrainingLoop(task: hooked, options: o, data: fingerprint, folder: dir + "/h", threads: 1)
        l1.progress = false
        var calls: [Int] = []
        l1.gradientHook = { params, step in
            calls.append(step)
            for p in params { for i in 0..<p.grad.count { p.grad.data[i] *= 2 } }
        }
        try l1.run()
        XCTAssertEqual(calls.count, 2 * 2 * 8, "once per optimizer step")
        XCTAssertEqual(Array(calls.prefix(4)), [0, 0, 1, 1])

        let doubled = PairTask(data: data, options: options(.sgd, lr: 0.1, epochs: 2))
        let l2 = try TrainingLoop(task: doubled, options: options(.sgd, lr: 0.1, epochs: 2), data: fingerprint, folder: dir + "/d", threads: 1)
        l2.progress = false
        try l2.run()
        XCTAssertEqual(hooked.critic.value, doubled.critic.value)
        XCTAssertEqual(hooked.generator.value, doubled.generator.value)

        let plain = PairTask(data: data, options: o)
        let l3 = try TrainingLoop(task: plain, options: o, data: fingerprint, folder: dir + "/p", threads: 1)
        l3.progress = false
        try l3.run()
        XCTAssertNotEqual(plain.critic.value, hooked.critic.value, "the hook really changed the run")

        let frozen = PairTask(data: data, options: o)
        let l4 = try TrainingLoop(task: frozen, options: o, data: fingerprint, folder: dir + "/z", threads: 1)
        l4.progress = false
        l4.gradientHook = { params, _ in for p in params { p.zeroGrad() } }
        try l4.run()
        XCTAssertEqual(frozen.critic.value, 0)
        XCTAssertEqual(frozen.generator.value, -1)
    }

    func testResumeRefusesOtherData() throws {
        let data = sequences(count: 30, mean: 3, seed: 1)
        let o = options(epochs: 1)
        let loop = try TrainingLoop(task: PairTask(data: data, options: o), options: o, data: fingerprint, folder: dir, threads: 1)
        loop.progress = false
        try loop.run()
        XCTAssertThrowsError(try TrainingLoop(resuming: PairTask(data: data, options: o), data: DataFingerprint(count: 31, classes: []), folder: dir, threads: 1)) {
            XCTAssertTrue("\($0)".contains("30 samples"), "\($0)")
        }
    }
}
