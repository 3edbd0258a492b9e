import XCTest
import TensorCore
@testable import Kernels

final class PoolingActivationTests: XCTestCase {
    /// Naive pooling reference: visit every window position directly.
    func reference(_ x: [Float], n: Int, h: Int, w: Int, c: Int, g: ConvGeometry, max isMax: Bool, countPadding: Bool) -> [Float] {
        var out: [Float] = []
        for b in 0..<n {
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    for ch in 0..<c {
                        var best = -Float.infinity, sum: Float = 0, inside = 0
                        for ky in 0..<g.kernelH {
                            for kx in 0..<g.kernelW {
                                let iy = oy * g.strideH - g.padTop + ky, ix = ox * g.strideW - g.padLeft + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                let v = x[((b * h + iy) * w + ix) * c + ch]
                                best = max(best, v); sum += v; inside += 1
                            }
                        }
                        out.append(isMax ? best : sum / Float(countPadding ? g.kernelH * g.kernelW : inside))
                    }
                }
            }
        }
        return out
    }

    func testPoolingAgainstNaiveReference() {
        var rng = SeededRNG(seed: 3)
        let ctx = Context(threads: 2)
        for (n, h, w, c, k, s, p) in [(2, 7, 6, 3, 3, 2, 1), (1, 8, 8, 4, 2, 2, 0), (3, 5, 9, 2, 3, 1, 1)] {
            let x = Tensor.uniform([n * h * w * c], -1, 1, rng: &rng).data
            let g = ConvGeometry(inH: h, inW: w, kernel: (k, k), stride: (s, s), padding: (p, p, p, p))
            var y = [Float](repeating: 0, count: n * g.outH * g.outW * c)
            var arg = [Int32](repeating: 0, count: y.count)
            y.withUnsafeMutableBufferPointer { yp in
                arg.withUnsafeMutableBufferPointer { Pooling.maxForward(x, batch: n, channels: c, geometry: g, y: yp.baseAddress!, argmax: $0.baseAddress!, context: ctx) }
            }
            XCTAssertEqual(y, reference(x, n: n, h: h, w: w, c: c, g: g, max: true, countPadding: true))
            for i in 0..<y.count { XCTAssertEqual(x[Int(arg[i])], y[i]) }
            for countPadding in [true, false] {
                y.withUnsafeMutableBufferPointer {
                    Pooling.averageForward(x, batch: n, channels: c, geometry: g, countPadding: countPadding, y: $0.baseAddress!, context: ctx)
                }
                let r = reference(x, n: n, h: h, w: w, c: c, g: g, max: false, countPadding: countPadding)
                for (a, b) in zip(y, r) { XCTAssertEqual(a, b, accuracy: 1e-6) }
            }
        }
    }

    func testActivationValues() {
        let x: [Float] = [-4, -1, 0.5, 2, 7]
        func apply(_ k: ActivationKind) -> [Float] {
            var y = [Float](repeating: 0, count: x.count)
            y.withUnsafeMutableBufferPointer { k.forward(x, $0.baseAddress!, count: x.count) }
            return y
        }
        XCTAssertEqual(apply(.relu), [0, 0, 0.5, 2, 7])
        XCTAssertEqual(apply(.relu6), [0, 0, 0.5, 2, 6])
        XCTAssertEqual(apply(.leakyRelu(slope: 0.1)), [-0.4, -0.1, 0.5, 2, 7])
        let hs = apply(.hardswish)  // x·min(max(x+3,0),6)/6
        for (a, b) in zip(hs, [0, -1 * 2 / 6, 0.5 * 3.5 / 6, 2 * 5 / 6, 7] as [Float]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let si = apply(.silu)
        for (a, v) in zip(si, x) { XCTAssertEqual(a, v / (1 + exp(-v)), accuracy: 1e-6) }
        let sg = apply(.sigmoid), th = apply(.tanh)
        XCTAssertEqual(sg[2], 1 / (1 + exp(-0.5)), accuracy: 1e-6)
        XCTAssertEqual(th[3], tanh(2), accuracy: 1e-6)
    }
}
