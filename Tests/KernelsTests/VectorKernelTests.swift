import XCTest
import TensorCore
@testable import Kernels

/// The vectorised C kernels against the naive references, at channel counts that exercise
/// full 64-channel blocks, their tails, and odd widths.
final class VectorKernelTests: XCTestCase {
    func testDepthwiseAgainstReferenceAcrossBlocksAndActivations() {
        var rng = SeededRNG(seed: 21)
        let ctx = Context(threads: 2)
        let shapes: [(n: Int, h: Int, w: Int, c: Int, k: Int, s: Int, pad: (Int, Int, Int, Int))] = [
            (2, 9, 7, 144, 3, 1, (1, 1, 1, 1)), (1, 8, 8, 64, 3, 2, (0, 0, 1, 1)), (3, 5, 6, 7, 5, 2, (2, 2, 2, 2)),
            (1, 6, 6, 200, 3, 1, (1, 1, 1, 1)), (1, 4, 4, 1, 3, 1, (1, 1, 1, 1)),
            // 16-channel register path with 5×5 windows (EfficientNet-Lite), TF-SAME-like padding.
            (2, 9, 8, 32, 5, 1, (2, 2, 2, 2)), (1, 11, 10, 48, 5, 2, (1, 1, 2, 2)), (1, 3, 3, 16, 5, 1, (2, 2, 2, 2)),
        ]
        for sh in shapes {
            let g = ConvGeometry(inH: sh.h, inW: sh.w, kernel: (sh.k, sh.k), stride: (sh.s, sh.s), padding: sh.pad)
            let k = Conv2dKernel(batch: sh.n, inC: sh.c, outC: sh.c, groups: sh.c, geometry: g)
            XCTAssertTrue(sh.c == 1 || k.isDepthwise)
            let x = Tensor.uniform([sh.n * sh.h * sh.w * sh.c], -1, 1, rng: &rng).data
            let w = Tensor.uniform([sh.c * sh.k * sh.k], -1, 1, rng: &rng).data
            let b = Tensor.uniform([sh.c], -1, 1, rng: &rng).data
            for act in [nil, ActivationKind.relu, .relu6, .silu] {
                for bias in [true, false] {
                    var y = [Float](repeating: .nan, count: sh.n * g.outH * g.outW * sh.c)
                    var ref = y
                    b.withUnsafeBufferPointer { bp in
                        let e = Epilogue(bias: bias ? bp.baseAddress : nil, activation: act, channels: sh.c)
                        y.withUnsafeMutableBufferPointer { Depthwise.forward(k, x: x, weight: w, epilogue: e, y: $0.baseAddress!, context: ctx) }
                        ref.withUnsafeMutableBufferPointer { Depthwise.forwardReference(k, x: x, weight: w, epilogue: e, y: $0.baseAddress!) }
                    }
                    assertClose(y, ref, rtol: 1e-5, atol: 1e-5, "depthwise \(sh) \(String(describing: act)) bias \(bias)")
                }
            }
        }
        XCTAssertTrue(["avx512", "avx2", "baseline"].contains(vectorKernelLevel))
    }

    func testWinogradAgainstDirectConvolution() {
        var rng = SeededRNG(seed: 31)
        // (batch, h, w, cin, cout, pad): odd sizes leave half tiles at the edges; pad 0 and 2
        // move the patches; small blocks force several per thread.
        let shapes: [(Int, Int, Int, Int, Int, (Int, Int, Int, Int))] = [
            (2, 7, 9, 16, 24, (1, 1, 1, 1)), (1, 8, 8, 32, 16, (0, 0, 0, 0)), (3, 5, 6, 20, 17, (2, 2, 2, 2)),
            (1, 14, 14, 64, 64, (1, 1, 1, 1)), (2, 6, 5, 16, 16, (0, 1, 1, 0)),
        ]
        for threads in [1, 2] {
            let ctx = Context(threads: threads)
            for (n, h, w, cin, cout, pad) in shapes {
                let g = ConvGeometry(inH: h, inW: w, kernel: (3, 3), stride: (1, 1), padding: pad)
                var k = Conv2dKernel(batch: n, inC: cin, outC: cout, geometry: g)
                k.winogradMinTiles = 1
                XCTAssertTrue(Winograd.suits(k))
                let x = Tensor.uniform([n * h * w * cin], -1, 1, rng: &rng).data
                let wt = Tensor.uniform([cout * 9 * cin], -1, 1, rng: &rng).data
                let b = Tensor.uniform([cout], -1, 1, rng: &rng).data
                let direct = ConvReference.forward(k, x: x, w: wt, bias: b)
                for (block, act) in [(0, nil), (3, ActivationKind.relu), (5, .silu), (7, .relu6)] as [(Int, ActivationKind?)] {
                    k.winogradTileBlock = block
                    var y = [Float](repeating: .nan, count: direct.count)
                    y.withUnsafeMutableBufferPointer { k.forward(x: x, weight: wt, bias: b, activation: act, y: $0.baseAddress!, context: ctx) }
                    var want = direct
                    if let act { want.withUnsafeMutableBufferPointer { act.forward($0.baseAddress!, $0.baseAddress!, count: $0.count) } }
                    assertClose(y, want, rtol: 1e-4, atol: 1e-4, "winograd \(n)x\(h)x\(w) \(cin)→\(cout) pad \(pad) block \(block) threads \(threads)")
                }
            }
        }
        var off = Conv2dKernel(batch: 1, inC: 16, outC: 16, geometry: ConvGeometry(inH: 8, inW: 8, kernel: (3, 3), padding: (1, 1, 1, 1)))
        XCTAssertFalse(Winograd.suits(off), "16 tiles: below the default minimum")
        off.winogradMinTiles = 1
        XCTAssertTrue(Winograd.suits(off))
        off.winograd = false
        XCTAssertFalse(Winograd.suits(off))
        XCTAssertFalse(Winograd.suits(Conv2dKernel(batch: 1, inC: 16, outC: 16, geometry: ConvGeometry(inH: 8, inW: 8, kernel: (3, 3), stride: (2, 2)))))
    }

    func testWinogradBackwardDataAgainstReference() {
        var rng = SeededRNG(seed: 32)
        let shapes: [(Int, Int, Int, Int, Int, (Int, Int, Int, Int))] = [
            (2, 7, 9, 16, 24, (1, 1, 1, 1)), (1, 8, 8, 32, 16, (0, 0, 0, 0)), (2, 5, 6, 20, 17, (2, 2, 2, 2)),
            (2, 6, 5, 16, 16, (0, 1, 2, 0)),
        ]
        for threads in [1, 2] {
            let ctx = Context(threads: threads)
            for (n, h, w, cin, cout, pad) in shapes {
                let g = ConvGeometry(inH: h, inW: w, kernel: (3, 3), stride: (1, 1), padding: pad)
                var k = Conv2dKernel(batch: n, inC: cin, outC: cout, geometry: g)
                k.winogradTileBlock = 4
                k.winogradMinTiles = 1
                XCTAssertTrue(Winograd.suitsBackwardData(k))
                let x = Tensor.uniform([n * h * w * cin], -1, 1, rng: &rng).data
                let wt = Tensor.uniform([cout * 9 * cin], -1, 1, rng: &rng).data
                let dy = Tensor.uniform([n * g.outH * g.outW * cout], -1, 1, rng: &rng).data
                var dx = [Float](repeating: .nan, count: x.count)
                var dw = [Float](repeating: 0, count: wt.count), db = [Float](repeating: 0, count: cout)
                dx.withUnsafeMutableBufferPointer { dxp in
                    dw.withUnsafeMutableBufferPointer { dwp in
                        db.withUnsafeMutableBufferPointer { dbp in
                            k.backward(x: x, weight: wt, dy: dy, dx: dxp.baseAddress!, dw: dwp.baseAddress!, db: dbp.baseAddress!, context: ctx)
                        }
                    }
                }
                let (rdx, rdw, rdb) = ConvReference.backward(k, x: x, w: wt, dy: dy)
                let what = "\(n)x\(h)x\(w) \(cin)→\(cout) pad \(pad) threads \(threads)"
                assertClose(dx, rdx, rtol: 1e-4, atol: 1e-4, "winograd dx " + what)
                assertClose(dw, rdw, "dw " + what)
                assertClose(db, rdb, "db " + what)
            }
        }
        var deep = Conv2dKernel(batch: 1, inC: 16, outC: 16, geometry: ConvGeometry(inH: 8, inW: 8, kernel: (3, 3), padding: (3, 3, 3, 3)))
        deep.winogradMinTiles = 1
        XCTAssertTrue(Winograd.suits(deep))
        XCTAssertFalse(Winograd.suitsBackwardData(deep), "padding 3 would need a negative gradient padding")
    }

    func testMaxPoolInferenceEqualsTrainingPath() {
        var rng = SeededRNG(seed: 4)
        let ctx = Context(threads: 2)
        for (n, h, w, c, k, s, p) in [(2, 112, 12, 64, 3, 2, 1), (1, 7, 9, 70, 2, 2, 0), (3, 5, 5, 3, 3, 1, 1)] {
            // Rounded values make ties, so the tie rule is checked too.
            let x = Tensor.uniform([n * h * w * c], -5, 5, rng: &rng).data.map { ($0 * 2).rounded() / 2 }
            let g = ConvGeometry(inH: h, inW: w, kernel: (k, k), stride: (s, s), padding: (p, p, p, p))
            var y = [Float](repeating: .nan, count: n * g.outH * g.outW * c), fast = y
            var arg = [Int32](repeating: 0, count: y.count)
            y.withUnsafeMutableBufferPointer { yp in
                arg.withUnsafeMutableBufferPointer { Pooling.maxForward(x, batch: n, channels: c, geometry: g, y: yp.baseAddress!, argmax: $0.baseAddress!, context: ctx) }
            }
            fast.withUnsafeMutableBufferPointer { Pooling.maxForwardInference(x, batch: n, channels: c, geometry: g, y: $0.baseAddress!, context: ctx) }
            XCTAssertEqual(fast, y)
            var ref = y, refArg = arg
            ref.withUnsafeMutableBufferPointer { yp in
                refArg.withUnsafeMutableBufferPointer { Pooling.maxForwardReference(x, batch: n, channels: c, geometry: g, y: yp.baseAddress!, argmax: $0.baseAddress!) }
            }
            XCTAssertEqual(y, ref)
            XCTAssertEqual(arg, refArg, "the same maximum's offset, first in window order")
        }
    }

    func testAddActivate() {
        let a: [Float] = [-3, -1, 0.5, 4, 7, 2], b: [Float] = [1, 0.5, 0.25, 3, 0, -10]
        var y = [Float](repeating: 0, count: 6)
        for (act, want) in [(nil, [-2, -0.5, 0.75, 7, 7, -8]), (ActivationKind.relu, [0, 0, 0.75, 7, 7, 0]),
                            (.relu6, [0, 0, 0.75, 6, 6, 0]), (.leakyRelu(slope: 0.5), [-1, -0.25, 0.75, 7, 7, -4])] as [(ActivationKind?, [Float])] {
            y.withUnsafeMutableBufferPointer { addActivate(a, b, $0.baseAddress!, count: 6, activation: act) }
            XCTAssertEqual(y, want, "\(String(describing: act))")
        }
    }
}
