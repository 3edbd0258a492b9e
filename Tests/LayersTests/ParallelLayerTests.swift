import XCTest
import Kernels
import TensorCore
@testable import Layers

/// BatchNorm and activations split large tensors into row ranges across threads: the
/// result must match the single-thread pass (up to summation order).
final class ParallelLayerTests: XCTestCase {
    func testBatchNormAndReLUAgreeAcrossThreadCounts() {
        var rng = SeededRNG(seed: 8)
        let x = Tensor.uniform([4, 32, 32, 24], -2, 3, rng: &rng)  // 98,304 values: 3 parts of 32K
        let dy = Tensor.uniform([4, 32, 32, 24], -1, 1, rng: &rng)
        var outputs: [[Float]] = [], grads: [[Float]] = [], gammaGrads: [[Float]] = [], running: [[Float]] = []
        for threads in [1, 3] {
            let context = Context(threads: threads)
            XCTAssertEqual(BatchNorm2d.parts(rows: 4 * 32 * 32, channels: 24, context: context), threads)
            let bn = BatchNorm2d("bn", 24), act = Activation("relu", .relu)
            for i in 0..<24 { bn.gamma.value.data[i] = 0.5 + Float(i) / 24; bn.beta.value.data[i] = Float(i % 5) / 10 }
            let y = act.forward(bn.forward(x, context: context, training: true), context: context, training: true)
            let dx = bn.backward(act.backward(dy, context: context), context: context)
            outputs.append(y.data)
            grads.append(dx.data)
            gammaGrads.append(bn.gamma.grad.data)
            running.append(bn.runningVar.value.data)
        }
        func maxDiff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }
        XCTAssertLessThan(maxDiff(outputs[0], outputs[1]), 1e-5)
        XCTAssertLessThan(maxDiff(grads[0], grads[1]), 1e-5)
        XCTAssertLessThan(maxDiff(gammaGrads[0], gammaGrads[1]), 1e-2)  // sums of ~4K products
        XCTAssertLessThan(maxDiff(running[0], running[1]), 1e-6)
        XCTAssertFalse(outputs[1].contains { $0.isNaN }, "every output written")
    }
}
