import XCTest
import Kernels
import TensorCore
@testable import Layers
@testable import Optim

/// A small CNN: conv-BN-ReLU-pool, conv-BN-ReLU, global pool, linear.
func smallCNN(seed: UInt64, classes: Int = 2) -> Sequential {
    var rng = SeededRNG(seed: seed)
    return Sequential("", [
        Conv2d("conv1", 1, 8, kernel: 3, padding: .symmetric(1), bias: false, rng: &rng), BatchNorm2d("bn1", 8),
        Activation("relu1", .relu), MaxPool2d("pool", kernel: 2),
        Conv2d("conv2", 8, 16, kernel: 3, padding: .symmetric(1), bias: false, rng: &rng), BatchNorm2d("bn2", 16),
        Activation("relu2", .relu), GlobalAvgPool("gap"), Linear("fc", 16, classes, rng: &rng),
    ])
}

/// 12×12 images: class 0 horizontal stripes, class 1 vertical, random phase, period and noise.
func stripes(count: Int, seed: UInt64) -> (Tensor, [Int]) {
    var rng = SeededRNG(seed: seed)
    var x = Tensor([count, 12, 12, 1])
    var labels: [Int] = []
    for n in 0..<count {
        let label = n % 2
        let period = 2 + Int(rng.next() % 3), phase = Int(rng.next() % 4)
        for y in 0..<12 {
            for xx in 0..<12 {
                let t = label == 0 ? y : xx
                x[n, y, xx, 0] = ((t + phase) / period) % 2 == 0 ? 1 : -1
                x[n, y, xx, 0] += rng.uniform(-0.3, 0.3)
            }
        }
        labels.append(label)
    }
    return (x, labels)
}

func accuracy(_ logits: Tensor, _ labels: [Int]) -> Double {
    let k = logits.shape[1]
    var right = 0
    for (i, y) in labels.enumerated() {
        let row = Array(logits.data[(i * k)..<((i + 1) * k)])
        if row.firstIndex(of: row.max()!) == y { right += 1 }
    }
    return Double(right) / Double(labels.count)
}

final class TrainingTests: XCTestCase {
    func train(_ model: Sequential, _ opt: Optimizer, _ x: Tensor, _ y: [Int], steps: Range<Int>, ctx: Context,
               schedule: Schedule? = nil) {
        let loss = SoftmaxCrossEntropy()
        for s in steps {
            if let schedule { opt.learningRate = schedule.rate(at: s) }
            model.zeroGradients()
            let out = model.forward(x, context: ctx, training: true)
            let l = loss(out, labels: y)
            _ = model.backward(l.gradient, context: ctx)
            clipGradientNorm(model, maxNorm: 5)
            opt.update(model)
        }
    }

    func testSmallCNNReachesFullTrainingAccuracy() {
        let (x, y) = stripes(count: 48, seed: 1)
        let model = smallCNN(seed: 3)
        let ctx = Context(threads: 2, seed: 5)
        let before = accuracy(model.forward(x, context: ctx, training: false), y)
        train(model, Adam(learningRate: 0.02), x, y, steps: 0..<60, ctx: ctx)
        let after = accuracy(model.forward(x, context: ctx, training: false), y)
        XCTAssertEqual(after, 1.0, "training accuracy (was \(before) before training)")
        let (tx, ty) = stripes(count: 40, seed: 77)
        XCTAssertGreaterThanOrEqual(accuracy(model.forward(tx, context: ctx, training: false), ty), 0.9, "held-out accuracy")
    }

    func testResumeFromSavedStateGivesIdenticalWeights() throws {
        let (x, y) = stripes(count: 16, seed: 2)
        let ctx = Context(threads: 1)
        let schedule = Schedule.warmup(steps: 2, then: .cosine(base: 0.05, total: 6, floor: 0.001))
        for makeOpt in [{ SGD(learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4) as Optimizer },
                        { Adam.adamW(learningRate: 0.01) as Optimizer }] {
            let a = smallCNN(seed: 9), optA = makeOpt()
            train(a, optA, x, y, steps: 0..<6, ctx: ctx, schedule: schedule)

            let b = smallCNN(seed: 9), optB = makeOpt()
            train(b, optB, x, y, steps: 0..<3, ctx: ctx, schedule: schedule)
            let saved = (b.namedParameters().map { $0.parameter.value }, optB.state())
            let encoded = try JSONEncoder().encode(saved.1)

            let c = smallCNN(seed: 1234), optC = makeOpt()  // different init: everything must come from the save
            for ((_, p), v) in zip(c.namedParameters(), saved.0) { p.value = v }
            try optC.load(JSONDecoder().decode(OptimizerState.self, from: encoded))
            XCTAssertEqual(optC.step, 3)
            train(c, optC, x, y, steps: 3..<6, ctx: ctx, schedule: schedule)
            for ((n, pa), (_, pc)) in zip(a.namedParameters(), c.namedParameters()) {
                XCTAssertEqual(pa.value, pc.value, "\(n) differs after resume")
            }
        }
    }

    func testOneAndTwoThreadsAgree() {
        let (x, y) = stripes(count: 8, seed: 4)
        var results: [[Float]] = []
        for threads in [1, 2] {
            let model = smallCNN(seed: 11)
            let ctx = Context(threads: threads)
            train(model, SGD(learningRate: 0.1, momentum: 0.9), x, y, steps: 0..<3, ctx: ctx)
            results.append(model.forward(x, context: ctx, training: false).data + model.namedParameters().flatMap { $0.parameter.value.data })
        }
        for (a, b) in zip(results[0], results[1]) {
            XCTAssertLessThanOrEqual(abs(a - b), 1e-5 * max(1, abs(a)))
        }
    }

    func testInferenceFusionMatchesAndReusesBuffers() {
        let (x, y) = stripes(count: 8, seed: 6)
        let model = smallCNN(seed: 12)
        let ctx = Context(threads: 2)
        train(model, Adam(learningRate: 0.01), x, y, steps: 0..<5, ctx: ctx)  // non-trivial running statistics
        let reference = model.forward(x, context: ctx, training: false)
        let fused = model.fuseForInference()
        XCTAssertEqual(fused.batchNorms, 2)
        XCTAssertEqual(fused.activations, 2)
        XCTAssertEqual(model.layers.count, 5)
        XCTAssertFalse(model.namedParameters().contains { $0.name.hasPrefix("bn") })
        XCTAssertTrue(model.namedParameters().allSatisfy { $0.parameter.grad.count == 0 }, "no gradient buffers kept")
        var out = model.forward(x, context: ctx, training: false)
        for (a, b) in zip(out.data, reference.data) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        // After the first call, each layer writes into the same buffer and the arena stays put.
        out = Tensor(shape: [0])
        let arena = ctx.scratchBytes
        let conv = model.layers[0] as! Conv2d
        let firstBuffer = conv.output.data.withUnsafeBufferPointer { $0.baseAddress }
        _ = model.forward(x, context: ctx, training: false)
        XCTAssertEqual(conv.output.data.withUnsafeBufferPointer { $0.baseAddress }, firstBuffer)
        XCTAssertEqual(ctx.scratchBytes, arena)
    }

    func testFrozenParametersAreNotUpdated() {
        let (x, y) = stripes(count: 8, seed: 8)
        let model = smallCNN(seed: 13)
        model.setTrainable(false) { !$0.hasPrefix("fc.") }
        let before = model.namedParameters().map { ($0.name, $0.parameter.value) }
        train(model, SGD(learningRate: 0.1), x, y, steps: 0..<2, ctx: Context(threads: 1))
        for ((n, v), (_, p)) in zip(before, model.namedParameters()) where !p.isBuffer {
            if n.hasPrefix("fc.") { XCTAssertNotEqual(v, p.value, n) } else { XCTAssertEqual(v, p.value, n) }
        }
    }
}

final class OptimizerTests: XCTestCase {
    /// One scalar parameter w with loss ½w² (gradient w), stepped by `opt`.
    func run(_ opt: Optimizer, steps: Int, w0: Float = 1) -> [Float] {
        let p = Linear("p", 1, 1, bias: false, rng: &dummyRNG)
        p.weight.value.data[0] = w0
        var ws: [Float] = []
        for _ in 0..<steps {
            p.weight.grad.data[0] = p.weight.value.data[0]
            opt.update(p)
            ws.append(p.weight.value.data[0])
        }
        return ws
    }
    var dummyRNG = SeededRNG(seed: 0)

    func testSGDMomentumAndNesterovByHand() {
        // Momentum 0.9, lr 0.1: v1 = g1 = 1, w1 = 0.9; g2 = 0.9, v2 = 0.9·1 + 0.9 = 1.8, w2 = 0.9 − 0.18 = 0.72.
        let m = run(SGD(learningRate: 0.1, momentum: 0.9), steps: 2)
        XCTAssertEqual(m[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(m[1], 0.72, accuracy: 1e-6)
        // Nesterov: step uses g + μ·v: w1 = 1 − 0.1·(1 + 0.9) = 0.81.
        XCTAssertEqual(run(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), steps: 1)[0], 0.81, accuracy: 1e-6)
        // Weight decay 0.5 adds 0.5·w to the gradient: w1 = 1 − 0.1·1.5.
        XCTAssertEqual(run(SGD(learningRate: 0.1, weightDecay: 0.5), steps: 1)[0], 0.85, accuracy: 1e-6)
    }

    func testAdamFirstStepIsLearningRateAndAdamWDecouples() {
        // With bias correction the first Adam step is lr · g/|g| (up to ε).
        XCTAssertEqual(run(Adam(learningRate: 0.01), steps: 1, w0: 3)[0], 2.99, accuracy: 1e-5)
        // AdamW: w ← w − lr·wd·w, then the Adam step: 3 − 0.01·0.1·3 − 0.01.
        XCTAssertEqual(run(Adam(learningRate: 0.01, weightDecay: 0.1, decoupled: true), steps: 1, w0: 3)[0], 3 - 0.003 - 0.01, accuracy: 1e-5)
        // Adam with L2 decay folds it into g; the first step is still lr·sign(g).
        XCTAssertEqual(run(Adam(learningRate: 0.01, weightDecay: 0.1), steps: 1, w0: 3)[0], 2.99, accuracy: 1e-5)
    }

    func testSchedules() {
        XCTAssertEqual(Schedule.step(base: 1, every: 10, gamma: 0.1).rate(at: 25), 0.01, accuracy: 1e-7)
        let cos = Schedule.cosine(base: 1, total: 100, floor: 0)
        XCTAssertEqual(cos.rate(at: 0), 1, accuracy: 1e-6)
        XCTAssertEqual(cos.rate(at: 50), 0.5, accuracy: 1e-6)
        XCTAssertEqual(cos.rate(at: 100), 0, accuracy: 1e-6)
        let warm = Schedule.warmup(steps: 4, then: .constant(0.8))
        XCTAssertEqual((0..<5).map { warm.rate(at: $0) }, [0.2, 0.4, 0.6, 0.8, 0.8])
        let one = Schedule.oneCycle(max: 1, total: 100, pct: 0.3, div: 25, finalDiv: 1e4)
        XCTAssertEqual(one.rate(at: 0), 0.04, accuracy: 1e-6)
        XCTAssertEqual(one.rate(at: 29), 1, accuracy: 1e-6)
        XCTAssertEqual(one.rate(at: 99), 0.04 / 1e4, accuracy: 1e-8)
        XCTAssertGreaterThan(one.rate(at: 20), one.rate(at: 10))
        XCTAssertLessThan(one.rate(at: 60), one.rate(at: 40))
    }

    func testGlobalNormClipping() {
        var rng = SeededRNG(seed: 1)
        let model = Sequential("", [Linear("a", 2, 2, rng: &rng), Linear("b", 2, 1, rng: &rng)])
        for (_, p) in model.namedParameters() { for i in 0..<p.grad.count { p.grad.data[i] = 3 } }
        let total = Float(model.namedParameters().reduce(0) { $0 + $1.parameter.grad.count })
        let norm = clipGradientNorm(model, maxNorm: 1)
        XCTAssertEqual(norm, 3 * total.squareRoot(), accuracy: 1e-4)
        let after = model.namedParameters().reduce(Float(0)) { $0 + $1.parameter.grad.data.reduce(0) { $0 + $1 * $1 } }.squareRoot()
        XCTAssertEqual(after, 1, accuracy: 1e-4)
    }
}
