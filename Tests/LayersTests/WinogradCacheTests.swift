import XCTest
import Kernels
import TensorCore
@testable import Layers

/// The inference-time Winograd weight a Conv2d keeps must follow its weight.
final class WinogradCacheTests: XCTestCase {
    func direct(_ conv: Conv2d, _ x: Tensor) -> [Float] {
        var k = conv.kernelFor(x.shape)
        k.winograd = false
        let g = k.geometry
        var y = [Float](repeating: 0, count: x.shape[0] * g.outH * g.outW * conv.outChannels)
        y.withUnsafeMutableBufferPointer { yp in
            k.forward(x: x.data, weight: conv.weight.value.data, bias: conv.bias!.value.data, y: yp.baseAddress!, context: Context(threads: 1))
        }
        return y
    }

    func maxDiff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

    func testKeptTransformFollowsTheWeight() {
        var rng = SeededRNG(seed: 5)
        let conv = Conv2d("c", 16, 16, kernel: 3, padding: .symmetric(1), rng: &rng)
        let x = Tensor.uniform([1, 16, 16, 16], -1, 1, rng: &rng)
        let ctx = Context(threads: 2)
        XCTAssertTrue(conv.kernelFor(x.shape).usesWinograd)
        XCTAssertLessThan(maxDiff(conv.forward(x, context: ctx, training: false).data, direct(conv, x)), 1e-4)
        XCTAssertFalse(conv.winogradWeights.isEmpty)
        // A new weight tensor: the kept transform must be rebuilt.
        conv.weight.value = Tensor.uniform(conv.weight.value.shape.dims, -1, 1, rng: &rng)
        XCTAssertLessThan(maxDiff(conv.forward(x, context: ctx, training: false).data, direct(conv, x)), 1e-4)
        // Weights changed in place (as an optimizer does) after a training pass.
        _ = conv.forward(x, context: ctx, training: true)
        XCTAssertTrue(conv.winogradWeights.isEmpty)
        for i in 0..<conv.weight.value.count { conv.weight.value.data[i] *= 0.5 }
        XCTAssertLessThan(maxDiff(conv.forward(x, context: ctx, training: false).data, direct(conv, x)), 1e-4)
        // A fold changes the weight in place too.
        let bn = BatchNorm2d("bn", 16)
        for i in 0..<16 { bn.runningVar.value.data[i] = 0.25; bn.runningMean.value.data[i] = 0.1 }
        conv.fold(bn)
        XCTAssertLessThan(maxDiff(conv.forward(x, context: ctx, training: false).data, direct(conv, x)), 1e-4)
    }
}
