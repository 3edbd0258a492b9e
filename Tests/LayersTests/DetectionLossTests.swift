import XCTest
import TensorCore
import TestSupport
@testable import Layers

/// CenterNet's focal loss and the GIoU + L1 box regression loss: finite-difference gradient
/// checks at random configurations and hand-computed values.
final class DetectionLossTests: XCTestCase {
    var rng = SeededRNG(seed: 77)

    // MARK: Focal loss

    /// Heat targets (N, H, W, C): about a fifth exactly 1, the rest Gaussian-like values in [0, 0.95].
    func heatTargets(_ dims: [Int]) -> Tensor {
        var t = Tensor(dims)
        for i in 0..<t.count { t.data[i] = rng.uniform(0, 1) < 0.2 ? 1 : rng.uniform(0, 0.95) }
        return t
    }

    func testFocalLossGradients() {
        let checker = GradientCheck()
        let configs: [(dims: [Int], channels: Range<Int>, alpha: Float, beta: Float)] = [
            ([2, 3, 4, 6], 0..<2, 2, 4),
            ([1, 4, 3, 7], 2..<5, 2, 4),
            ([2, 2, 3, 3], 0..<3, 1.5, 3),
            ([1, 3, 3, 5], 1..<2, 3, 2),
        ]
        for cfg in configs {
            let output = Tensor.uniform(cfg.dims, -3, 3, rng: &rng)
            let targets = heatTargets([cfg.dims[0], cfg.dims[1], cfg.dims[2], cfg.channels.count])
            let focal = CenterNetFocalLoss(alpha: cfg.alpha, beta: cfg.beta)
            let failures = checker.check(loss: { focal($0, targets: targets, channels: cfg.channels) }, at: output)
            XCTAssertTrue(failures.isEmpty, "\(cfg): \(failures.prefix(5))")
            // Zero outside the heat channels.
            let g = focal(output, targets: targets, channels: cfg.channels).gradient
            XCTAssertEqual(g.shape, output.shape)
            for i in 0..<g.count where !cfg.channels.contains(i % cfg.dims[3]) { XCTAssertEqual(g.data[i], 0) }
        }
        // No positives: divided by 1.
        let output = Tensor.uniform([1, 3, 3, 2], -2, 2, rng: &rng)
        let none = Tensor.uniform([1, 3, 3, 2], 0, 0.9, rng: &rng)
        XCTAssertTrue(checker.check(loss: { CenterNetFocalLoss()($0, targets: none, channels: 0..<2) }, at: output).isEmpty)
    }

    func testFocalLossHandComputed() {
        // 1×1×2×1: a centre at z = 0 (p = 1/2) and a cell with t = 1/2 at z = ln 3 (p = 3/4).
        // Centre: −(1/2)²·log(1/2) = ln2/4. Other: −(1/2)⁴·(3/4)²·log(1/4) = (9/256)·2 ln2. One positive.
        let output = Tensor(shape: [1, 1, 2, 1], data: [0, Float(log(3.0))])
        let targets = Tensor(shape: [1, 1, 2, 1], data: [1, 0.5])
        let r = CenterNetFocalLoss()(output, targets: targets, channels: 0..<1)
        XCTAssertEqual(Double(r.value), log(2.0) * (0.25 + 18.0 / 256), accuracy: 1e-6)
        // ∂/∂z at the centre: −(1−p)²·[2p·ln2 + (1−p)] = −(1/4)(ln2 + 1/2).
        XCTAssertEqual(Double(r.gradient.data[0]), -0.25 * (log(2.0) + 0.5), accuracy: 1e-6)

        // Two positives halve the sum; a cell at t = 1 loses nothing when very sure.
        let two = CenterNetFocalLoss()(Tensor(shape: [1, 1, 2, 1], data: [0, 0]), targets: Tensor(shape: [1, 1, 2, 1], data: [1, 1]),
                                       channels: 0..<1)
        XCTAssertEqual(Double(two.value), log(2.0) / 4, accuracy: 1e-6)
        let sure = CenterNetFocalLoss()(Tensor(shape: [1, 1, 1, 1], data: [40]), targets: Tensor(shape: [1, 1, 1, 1], data: [1]),
                                        channels: 0..<1)
        XCTAssertEqual(sure.value, 0, accuracy: 1e-12)
    }

    func testFocalLossSaturatedLogitsStayFinite() {
        // Confidently wrong everywhere: a centre at −60 costs 60 (softplus), with gradient −1; a
        // background cell at +60 costs 60·(1 − t)^β, gradient (1 − t)^β.
        let output = Tensor(shape: [1, 1, 2, 1], data: [-60, 60])
        let targets = Tensor(shape: [1, 1, 2, 1], data: [1, 0])
        let r = CenterNetFocalLoss()(output, targets: targets, channels: 0..<1)
        XCTAssertEqual(r.value, 120, accuracy: 1e-3)
        XCTAssertEqual(r.gradient.data[0], -1, accuracy: 1e-6)
        XCTAssertEqual(r.gradient.data[1], 1, accuracy: 1e-6)
    }

    // MARK: Box regression loss

    /// A random head output (N, H, W, K) and targets whose boxes, under the output's
    /// predictions, stay `margin` cells away from every kink (equal edges, touching boxes,
    /// |·| at 0) so that central differences never straddle one.
    func boxCase(dims: [Int], channel: Int, count: Int, disjoint: Bool, margin: Double = 0.08) -> (Tensor, [BoxRegressionLoss.Target]) {
        var output = Tensor.uniform(dims, -1, 1, rng: &rng)
        var targets: [BoxRegressionLoss.Target] = []
        while targets.count < count {
            let n = Int(rng.next() % UInt64(dims[0])), i = Int(rng.next() % UInt64(dims[1])), j = Int(rng.next() % UInt64(dims[2]))
            let o = ((n * dims[1] + i) * dims[2] + j) * dims[3] + channel
            let ox = rng.uniform(-0.5, 1.5), oy = rng.uniform(-0.5, 1.5), lw = rng.uniform(-0.5, 1.2), lh = rng.uniform(-0.5, 1.2)
            let pw = exp(Double(lw)), ph = exp(Double(lh))
            let pcx = Double(j) + Double(ox), pcy = Double(i) + Double(oy)
            let tw = Double(rng.uniform(0.5, 3.5)), th = Double(rng.uniform(0.5, 3.5))
            var tcx = pcx + Double(rng.uniform(-1.5, 1.5)), tcy = pcy + Double(rng.uniform(-1.5, 1.5))
            if disjoint {   // beside the prediction on a random side
                let gap = Double(rng.uniform(0.2, 2)), side = rng.next() % 4
                switch side {
                case 0: tcx = pcx + (pw + tw) / 2 + gap
                case 1: tcx = pcx - (pw + tw) / 2 - gap
                case 2: tcy = pcy + (ph + th) / 2 + gap
                default: tcy = pcy - (ph + th) / 2 - gap
                }
            }
            let p = [pcx - pw / 2, pcx + pw / 2, pcy - ph / 2, pcy + ph / 2]
            let t = [tcx - tw / 2, tcx + tw / 2, tcy - th / 2, tcy + th / 2]
            let iw = min(p[1], t[1]) - max(p[0], t[0]), ih = min(p[3], t[3]) - max(p[2], t[2])
            let gaps = [p[0] - t[0], p[1] - t[1], p[2] - t[2], p[3] - t[3], iw, ih,
                        Double(ox) - (tcx - Double(j)), Double(oy) - (tcy - Double(i)), Double(lw) - log(tw), Double(lh) - log(th)]
            guard gaps.allSatisfy({ abs($0) > margin }) else { continue }
            output.data[o] = ox; output.data[o + 1] = oy; output.data[o + 2] = lw; output.data[o + 3] = lh
            targets.append(.init(n: n, i: i, j: j, x0: Float(t[0]), y0: Float(t[2]), x1: Float(t[1]), y1: Float(t[3]),
                                 weight: rng.uniform(0.2, 2)))
        }
        return (output, targets)
    }

    func testBoxRegressionGradients() {
        let checker = GradientCheck()
        let cases: [(dims: [Int], channel: Int, count: Int, disjoint: Bool, loss: BoxRegressionLoss)] = [
            ([2, 3, 4, 6], 2, 3, false, BoxRegressionLoss()),
            ([1, 4, 4, 7], 3, 4, false, BoxRegressionLoss(giouWeight: 2, l1Weight: 0.5)),
            ([2, 3, 3, 5], 1, 3, true, BoxRegressionLoss()),
            ([1, 3, 4, 4], 0, 4, true, BoxRegressionLoss(giouWeight: 1, l1Weight: 0)),
            ([2, 4, 4, 4], 0, 6, true, BoxRegressionLoss(giouWeight: 1, l1Weight: 0)),
            ([1, 2, 3, 5], 1, 5, false, BoxRegressionLoss(giouWeight: 1, l1Weight: 0)),
            ([1, 4, 4, 4], 0, 8, false, BoxRegressionLoss(giouWeight: 1, l1Weight: 0)),
        ]
        for (index, cfg) in cases.enumerated() {
            let (output, targets) = boxCase(dims: cfg.dims, channel: cfg.channel, count: cfg.count, disjoint: cfg.disjoint)
            let failures = checker.check(loss: { cfg.loss($0, targets: targets, channel: cfg.channel) }, at: output)
            XCTAssertTrue(failures.isEmpty, "case \(index): \(failures.prefix(5))")
            // Non-zero only in the targets' cells and regression channels.
            let g = cfg.loss(output, targets: targets, channel: cfg.channel).gradient
            let k = cfg.dims[3]
            let cells = Set(targets.map { ($0.n * cfg.dims[1] + $0.i) * cfg.dims[2] + $0.j })
            for e in 0..<g.count where g.data[e] != 0 {
                XCTAssertTrue(cells.contains(e / k) && (cfg.channel..<cfg.channel + 4).contains(e % k), "case \(index): gradient at \(e)")
            }
        }
    }

    func testDisjointBoxesStillPullTogether() {
        // Prediction [0, 2]² at cell (0, 0), target [3, 5] × [0, 2]: no overlap, but the
        // enclosing-box term gives the centre a push to the right.
        let output = Tensor(shape: [1, 1, 1, 4], data: [1, 1, Float(log(2.0)), Float(log(2.0))])
        let target = BoxRegressionLoss.Target(n: 0, i: 0, j: 0, x0: 3, y0: 0, x1: 5, y1: 2)
        let r = BoxRegressionLoss(giouWeight: 1, l1Weight: 0)(output, targets: [target], channel: 0)
        // I = 0, U = 8, C = 5·2 = 10: 1 − GIoU = 1 + 2/10.
        XCTAssertEqual(r.value, 1.2, accuracy: 1e-5)
        XCTAssertLessThan(r.gradient.data[0], 0)
        XCTAssertEqual(r.gradient.data[1], 0, accuracy: 1e-7)
    }

    func testGIoULossKnownValues() {
        let loss = BoxRegressionLoss()
        // Prediction exactly the target: zero loss (a kink: the gradient there is a subgradient).
        let t = BoxRegressionLoss.Target(n: 0, i: 1, j: 2, x0: 1.5, y0: 0.5, x1: 4.5, y1: 2.5)
        var exact = Tensor([1, 3, 4, 5])
        exact[0, 1, 2, 1] = 1; exact[0, 1, 2, 2] = 0.5; exact[0, 1, 2, 3] = Float(log(3.0)); exact[0, 1, 2, 4] = Float(log(2.0))
        let e = loss(exact, targets: [t], channel: 1)
        XCTAssertEqual(e.value, 0, accuracy: 1e-5)

        // Prediction [0, 2]² (cell (0, 0), offsets 1, size 2) against [1, 3]²: I = 1, U = 7, C = 9,
        // GIoU = 1/7 − 2/9 = −5/63, so 1 − GIoU = 68/63; L1 = |1 − 2| + |1 − 2| + 0 + 0 = 2.
        let pred = Tensor(shape: [1, 1, 1, 4], data: [1, 1, Float(log(2.0)), Float(log(2.0))])
        let pair = BoxRegressionLoss.Target(n: 0, i: 0, j: 0, x0: 1, y0: 1, x1: 3, y1: 3)
        XCTAssertEqual(Double(BoxRegressionLoss(giouWeight: 1, l1Weight: 0)(pred, targets: [pair], channel: 0).value), 68.0 / 63, accuracy: 1e-5)
        XCTAssertEqual(Double(loss(pred, targets: [pair], channel: 0).value), 68.0 / 63 + 2, accuracy: 1e-5)
        XCTAssertEqual(Double(BoxRegressionLoss(giouWeight: 0.5, l1Weight: 2)(pred, targets: [pair], channel: 0).value),
                       0.5 * 68.0 / 63 + 4, accuracy: 1e-5)

        // Weights: (1·(68/63 + 2) + 3·0) / 4 with the second target predicted exactly.
        var two = Tensor([1, 1, 2, 4])
        two.data = [1, 1, Float(log(2.0)), Float(log(2.0)), 0.5, 0.5, 0, 0]
        let exactSecond = BoxRegressionLoss.Target(n: 0, i: 0, j: 1, x0: 1, y0: 0, x1: 2, y1: 1, weight: 3)
        XCTAssertEqual(Double(loss(two, targets: [pair, exactSecond], channel: 0).value), (68.0 / 63 + 2) / 4, accuracy: 1e-5)

        // No targets: zero loss, zero gradient.
        let none = loss(two, targets: [], channel: 0)
        XCTAssertEqual(none.value, 0)
        XCTAssertEqual(none.gradient, Tensor([1, 1, 2, 4]))
    }
}
