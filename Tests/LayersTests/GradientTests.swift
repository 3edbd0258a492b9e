import XCTest
import Kernels
import TensorCore
import TestSupport
@testable import Layers

/// A finite-difference gradient check for every layer and loss, on several shapes.
final class GradientTests: XCTestCase {
    var rng = SeededRNG(seed: 2024)

    func assertGradients(_ layer: Layer, _ x: Tensor, training: Bool = true, checker: GradientCheck = GradientCheck(),
                         file: StaticString = #filePath, line: UInt = #line) {
        let failures = checker.check(layer, input: x, training: training)
        XCTAssertTrue(failures.isEmpty, "\(layer.name): \(failures.prefix(5))", file: file, line: line)
    }

    func random(_ dims: [Int]) -> Tensor { Tensor.uniform(dims, -1, 1, rng: &rng) }

    func testConv2dShapes() {
        let cases: [(String, [Int], Int, Int, Int, Conv2d.Padding, Int, Int)] = [
            // name, input NHWC, cout, kernel, stride, padding, dilation, groups
            ("odd", [1, 5, 7, 3], 4, 3, 1, .symmetric(1), 1, 1),
            ("stride2", [2, 7, 6, 2], 3, 3, 2, .symmetric(1), 1, 1),
            ("dilated", [2, 9, 8, 2], 2, 3, 1, .symmetric(2), 2, 1),
            ("groups", [2, 5, 5, 4], 6, 3, 1, .symmetric(1), 1, 2),
            ("depthwise", [2, 6, 5, 3], 3, 3, 2, .symmetric(1), 1, 3),
            ("pointwise", [3, 4, 4, 5], 4, 1, 1, .symmetric(0), 1, 1),
            ("same-asymmetric", [1, 6, 6, 2], 3, 3, 2, .same, 1, 1),
            ("7x7 stem", [1, 9, 9, 3], 2, 7, 2, .symmetric(3), 1, 1),
        ]
        for (name, shape, cout, k, s, p, d, g) in cases {
            let conv = Conv2d(name, shape[3], cout, kernel: k, stride: s, padding: p, dilation: d, groups: g, rng: &rng)
            assertGradients(conv, random(shape))
        }
        let noBias = Conv2d("nobias", 3, 2, kernel: 3, padding: .symmetric(1), bias: false, rng: &rng)
        assertGradients(noBias, random([2, 4, 4, 3]))
    }

    func testConvTranspose2d() {
        for (k, s, p, op) in [(3, 2, 1, 1), (4, 2, 1, 0), (3, 1, 1, 0), (2, 2, 0, 0)] {
            let layer = ConvTranspose2d("up\(k)\(s)", 3, 2, kernel: k, stride: s, padding: p, outputPadding: op, rng: &rng)
            assertGradients(layer, random([2, 4, 3, 3]))
        }
    }

    func testBatchNormTrainingAndEval() {
        let bn = BatchNorm2d("bn", 3)
        for i in 0..<3 { bn.gamma.value.data[i] = 0.5 + Float(i); bn.beta.value.data[i] = Float(i) - 1 }
        assertGradients(bn, random([2, 3, 4, 3]))
        assertGradients(bn, random([5, 3]))  // (N, C)
        for i in 0..<3 { bn.runningMean.value.data[i] = 0.1 * Float(i); bn.runningVar.value.data[i] = 0.5 + Float(i) }
        // Frozen: running statistics are constants in the backward pass (fine-tuning with a frozen backbone).
        bn.frozen = true
        assertGradients(bn, random([2, 3, 3, 3]), training: true)
    }

    func testEveryActivation() {
        let kinds: [ActivationKind] = [.relu, .relu6, .leakyRelu(slope: 0.1), .sigmoid, .tanh, .hardswish, .silu]
        for kind in kinds {
            // Values spaced 0.05 apart in [-4.5, 4.5) avoid the kinks at 0, ±3 and 6 by more than ε.
            var v = distinctValues(180, spacing: 0.05, rng: &rng).map { $0 + 0.025 }
            v = v.map { abs(abs($0) - 3) < 0.02 ? $0 + 0.03 : $0 }
            assertGradients(Activation(kind.name, kind), Tensor(shape: [2, 3, 5, 6], data: v))
        }
        // ReLU6's upper kink.
        let high = distinctValues(24, spacing: 0.05, rng: &rng).map { $0 + 6.025 }
        assertGradients(Activation("relu6-high", .relu6), Tensor(shape: [1, 2, 2, 6], data: high))
    }

    func testPooling() {
        let x = Tensor(shape: [2, 7, 6, 3], data: distinctValues(252, rng: &rng))
        assertGradients(MaxPool2d("max", kernel: 3, stride: 2, padding: 1), x)
        assertGradients(MaxPool2d("max2", kernel: 2), x)
        assertGradients(AvgPool2d("avg", kernel: 3, stride: 2, padding: 1), x)
        assertGradients(AvgPool2d("avg-nopad", kernel: 3, stride: 2, padding: 1, countPadding: false), x)
        assertGradients(GlobalAvgPool("gap"), x)
    }

    func testLinearDropoutFlattenSoftmax() {
        assertGradients(Linear("fc", 6, 4, rng: &rng), random([3, 6]))
        assertGradients(Linear("fc-nobias", 5, 2, bias: false, rng: &rng), random([4, 5]))
        assertGradients(Dropout("drop", p: 0.3), random([4, 10]))
        assertGradients(Flatten("flat"), random([2, 3, 2, 2]))
        assertGradients(Softmax("softmax"), random([3, 5]))
    }

    func testContainersResidualConcatUpsample() {
        let body = Sequential("", [
            Conv2d("conv1", 3, 3, kernel: 3, padding: .symmetric(1), bias: false, rng: &rng), BatchNorm2d("bn1", 3),
            Activation("act", .tanh),  // smooth: ReLU kinks under BatchNorm make central differences unreliable
            Conv2d("conv2", 3, 4, kernel: 3, stride: 2, padding: .symmetric(1), bias: false, rng: &rng), BatchNorm2d("bn2", 4),
        ])
        let down = Sequential("downsample", [Conv2d("0", 3, 4, kernel: 1, stride: 2, bias: false, rng: &rng), BatchNorm2d("1", 4)])
        let block = Residual("block", body: body, shortcut: down, activation: .silu)
        let checker = { () -> GradientCheck in var c = GradientCheck(); c.eps = 3e-3; c.rtol = 5e-2; c.atol = 1e-2; return c }()
        assertGradients(block, random([2, 5, 5, 3]), checker: checker)
        XCTAssertTrue(block.namedParameters().map(\.name).contains("downsample.0.weight"))
        XCTAssertTrue(block.namedParameters().map(\.name).contains("conv1.weight"))

        let identity = Residual("inv", body: Conv2d("c", 2, 2, kernel: 3, padding: .symmetric(1), rng: &rng))
        assertGradients(identity, random([1, 4, 4, 2]))

        let cat = Concat("cat", [Conv2d("a", 2, 3, kernel: 1, rng: &rng), Conv2d("b", 2, 2, kernel: 3, padding: .symmetric(1), rng: &rng)])
        assertGradients(cat, random([2, 3, 3, 2]))

        assertGradients(Upsample("near", scale: 2, mode: .nearest), random([2, 3, 2, 2]))
        assertGradients(Upsample("bilinear", scale: 2, mode: .bilinear), random([1, 3, 4, 2]))
        assertGradients(Upsample("bilinear3", scale: 3, mode: .bilinear), random([1, 2, 3, 1]))
    }

    func testLosses() {
        let logits = random([4, 5])
        let labels = [0, 3, 4, 3]
        let c = GradientCheck()
        for ce in [SoftmaxCrossEntropy(), SoftmaxCrossEntropy(labelSmoothing: 0.1),
                   SoftmaxCrossEntropy(classWeights: [1, 2, 0.5, 1.5, 3], labelSmoothing: 0.2)] {
            XCTAssertTrue(c.check(loss: { ce($0, labels: labels) }, at: logits).isEmpty)
        }
        let targets = Tensor(shape: [4, 5], data: (0..<20).map { Float($0 % 3) / 2 })
        XCTAssertTrue(c.check(loss: { BCEWithLogits()($0, targets: targets) }, at: logits).isEmpty)
        XCTAssertTrue(c.check(loss: { BCEWithLogits(positiveWeight: 3)($0, targets: targets) }, at: logits).isEmpty)
        XCTAssertTrue(c.check(loss: { MSELoss()($0, targets: targets) }, at: logits).isEmpty)
        let away = Tensor(shape: [4, 5], data: targets.data.enumerated().map { $1 + ($0 % 2 == 0 ? 0.3 : -0.3) })
        XCTAssertTrue(c.check(loss: { L1Loss()($0, targets: targets) }, at: away).isEmpty)
    }

    func testLossValuesAgainstHandComputedNumbers() {
        // Uniform logits over 4 classes: CE = log 4 whatever the label.
        let ce = SoftmaxCrossEntropy()(Tensor([2, 4]), labels: [1, 3])
        XCTAssertEqual(ce.value, log(4), accuracy: 1e-6)
        // BCE at z = 0 is log 2.
        XCTAssertEqual(BCEWithLogits()(Tensor([1, 3]), targets: Tensor([1, 3], repeating: 1)).value, log(2), accuracy: 1e-6)
        // Weighted mean: PyTorch divides by the summed weights of the targets.
        var z = Tensor([2, 2]); z[0, 0] = 2
        let w = SoftmaxCrossEntropy(classWeights: [1, 3])(z, labels: [0, 1])
        let l0 = -log(exp(2.0) / (exp(2.0) + 1)), l1 = log(2.0)
        XCTAssertEqual(Double(w.value), (1 * l0 + 3 * l1) / 4, accuracy: 1e-5)
    }
}
