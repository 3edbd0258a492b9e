import XCTest
import TensorCore
@testable import Kernels

func assertClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-4, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, what, file: file, line: line)
    var worst: Float = 0, at = 0
    for i in 0..<min(a.count, b.count) {
        let err = abs(a[i] - b[i]) - (atol + rtol * abs(b[i]))
        if err > worst { worst = err; at = i }
    }
    XCTAssertEqual(worst, 0, "\(what): first bad index \(at): \(a.isEmpty ? 0 : a[at]) vs \(b.isEmpty ? 0 : b[at])", file: file, line: line)
}

final class GEMMTests: XCTestCase {
    func testAllTransposesAgainstReference() {
        var rng = SeededRNG(seed: 1)
        let ctx = Context(threads: 2)
        for (m, n, k) in [(1, 1, 1), (7, 5, 3), (33, 17, 65), (64, 3, 129)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = Tensor.uniform([m * k], -1, 1, rng: &rng).data
                    let b = Tensor.uniform([k * n], -1, 1, rng: &rng).data
                    var c = Tensor.uniform([m * n], -1, 1, rng: &rng).data
                    var ref = c
                    let lda = ta ? m : k, ldb = tb ? k : n
                    gemmReference(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
                                  beta: 2, c: &ref, ldc: n)
                    c.withUnsafeMutableBufferPointer { cp in
                        gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb,
                             beta: 2, c: cp.baseAddress!, ldc: n, context: ctx)
                    }
                    assertClose(c, ref, "gemm \(m)x\(n)x\(k) tA=\(ta) tB=\(tb)")
                }
            }
        }
    }
}

final class ConvKernelTests: XCTestCase {
    struct Case {
        var n, h, w, cin, cout, kh, kw, stride, pad, dil, groups: Int
        var padBottomExtra = 0
    }

    static let cases: [Case] = [
        Case(n: 1, h: 5, w: 5, cin: 3, cout: 4, kh: 3, kw: 3, stride: 1, pad: 1, dil: 1, groups: 1),
        Case(n: 2, h: 7, w: 6, cin: 5, cout: 3, kh: 3, kw: 3, stride: 2, pad: 1, dil: 1, groups: 1),
        Case(n: 3, h: 9, w: 8, cin: 4, cout: 6, kh: 3, kw: 2, stride: 1, pad: 2, dil: 2, groups: 2),
        Case(n: 2, h: 6, w: 7, cin: 6, cout: 6, kh: 3, kw: 3, stride: 2, pad: 1, dil: 1, groups: 6),  // depthwise
        Case(n: 2, h: 4, w: 5, cin: 8, cout: 5, kh: 1, kw: 1, stride: 1, pad: 0, dil: 1, groups: 1),  // pointwise
        Case(n: 2, h: 7, w: 7, cin: 3, cout: 2, kh: 7, kw: 7, stride: 2, pad: 3, dil: 1, groups: 1),
        Case(n: 1, h: 8, w: 8, cin: 2, cout: 3, kh: 3, kw: 3, stride: 2, pad: 0, dil: 1, groups: 1, padBottomExtra: 1),
        Case(n: 2, h: 5, w: 5, cin: 4, cout: 8, kh: 3, kw: 3, stride: 1, pad: 1, dil: 1, groups: 4),  // multiplier 2
        // Shifted-GEMM path (stride 1, one group, little padding): plain, dilated, asymmetric, many images.
        Case(n: 3, h: 12, w: 11, cin: 3, cout: 5, kh: 3, kw: 3, stride: 1, pad: 1, dil: 1, groups: 1),
        Case(n: 2, h: 16, w: 15, cin: 2, cout: 3, kh: 3, kw: 3, stride: 1, pad: 2, dil: 2, groups: 1),
        Case(n: 2, h: 13, w: 14, cin: 4, cout: 2, kh: 2, kw: 2, stride: 1, pad: 0, dil: 1, groups: 1, padBottomExtra: 1),
        Case(n: 5, h: 20, w: 20, cin: 3, cout: 4, kh: 5, kw: 5, stride: 1, pad: 2, dil: 1, groups: 1),
    ]

    func kernel(_ c: Case, shift: Double = 1.2) -> Conv2dKernel {
        let g = ConvGeometry(inH: c.h, inW: c.w, kernel: (c.kh, c.kw), stride: (c.stride, c.stride),
                             padding: (c.pad, c.pad, c.pad + c.padBottomExtra, c.pad + c.padBottomExtra), dilation: (c.dil, c.dil))
        var k = Conv2dKernel(batch: c.n, inC: c.cin, outC: c.cout, groups: c.groups, geometry: g)
        k.scratchLimit = 200  // force several chunks
        k.shiftedGEMMMaxGrowth = shift
        return k
    }

    func testForwardAndBackwardMatchNaiveReference() {
        var rng = SeededRNG(seed: 7)
        // shift 0: every convolution through im2col; 10: every eligible one through shifted GEMMs.
        for (threads, shift) in [(1, 0.0), (2, 0.0), (1, 10.0), (2, 10.0)] {
            let ctx = Context(threads: threads)
            for c in Self.cases {
                let k = kernel(c, shift: shift)
                let x = Tensor.uniform([c.n * c.h * c.w * c.cin], -1, 1, rng: &rng).data
                let w = Tensor.uniform([c.cout * c.kh * c.kw * (c.cin / c.groups)], -1, 1, rng: &rng).data
                let b = Tensor.uniform([c.cout], -1, 1, rng: &rng).data
                var y = [Float](repeating: .nan, count: c.n * k.pixelsOut * c.cout)
                y.withUnsafeMutableBufferPointer { yp in
                    k.forward(x: x, weight: w, bias: b, y: yp.baseAddress!, context: ctx)
                }
                assertClose(y, ConvReference.forward(k, x: x, w: w, bias: b), "forward \(c)")

                let dy = Tensor.uniform([y.count], -1, 1, rng: &rng).data
                var dx = [Float](repeating: .nan, count: x.count)
                var dw = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: c.cout)
                dx.withUnsafeMutableBufferPointer { dxp in
                    dw.withUnsafeMutableBufferPointer { dwp in
                        db.withUnsafeMutableBufferPointer { dbp in
                            k.backward(x: x, weight: w, dy: dy, dx: dxp.baseAddress!, dw: dwp.baseAddress!, db: dbp.baseAddress!, context: ctx)
                        }
                    }
                }
                let (rdx, rdw, rdb) = ConvReference.backward(k, x: x, w: w, dy: dy)
                assertClose(dx, rdx, "dx \(c)")
                assertClose(dw, rdw, "dw \(c)")
                assertClose(db, rdb, "db \(c)")
            }
        }
    }

    func testFusedBiasAndActivationEpilogue() {
        var rng = SeededRNG(seed: 8)
        let ctx = Context(threads: 2)
        for c in Self.cases {
            for shift in [0.0, 10.0] {
                let k = kernel(c, shift: shift)
                let x = Tensor.uniform([c.n * c.h * c.w * c.cin], -1, 1, rng: &rng).data
                let w = Tensor.uniform([c.cout * c.kh * c.kw * (c.cin / c.groups)], -1, 1, rng: &rng).data
                let b = Tensor.uniform([c.cout], -1, 1, rng: &rng).data
                var y = [Float](repeating: .nan, count: c.n * k.pixelsOut * c.cout)
                y.withUnsafeMutableBufferPointer { k.forward(x: x, weight: w, bias: b, activation: .relu6, y: $0.baseAddress!, context: ctx) }
                let ref = ConvReference.forward(k, x: x, w: w, bias: b).map { min(max($0, 0), 6) }
                assertClose(y, ref, "fused relu6 \(c) shift \(shift)")
            }
        }
    }

    func testShiftedGEMMPathIsTaken() {
        for c in Self.cases.suffix(4) { XCTAssertTrue(ShiftConv.suits(kernel(c, shift: 10)), "\(c)") }
        XCTAssertFalse(ShiftConv.suits(kernel(Self.cases[0])), "5×5 with padding 1: too much waste at the default limit")
        XCTAssertFalse(ShiftConv.suits(kernel(Self.cases[1], shift: 10)), "stride 2 never qualifies")
        XCTAssertFalse(ShiftConv.suits(kernel(Self.cases[2], shift: 10)), "groups never qualify")
    }

    func testOutputSizeArithmetic() {
        // ResNet stem: 224, k7 s2 p3 → 112; pool k3 s2 p1 → 56.
        XCTAssertEqual(ConvGeometry(inH: 224, inW: 224, kernel: (7, 7), stride: (2, 2), padding: (3, 3, 3, 3)).outH, 112)
        XCTAssertEqual(ConvGeometry(inH: 112, inW: 112, kernel: (3, 3), stride: (2, 2), padding: (1, 1, 1, 1)).outW, 56)
        XCTAssertEqual(ConvGeometry(inH: 9, inW: 9, kernel: (3, 3), dilation: (2, 2)).outH, 5)
    }
}
