import CKernels
import TensorCore

/// Winograd F(2×2, 3×3) for 3×3, stride-1, ungrouped convolutions (Lavin & Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2016).
///
/// Each 2×2 output tile comes from a 4×4 input patch d as Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A.
/// Summed over input channels, the element-wise product becomes 16 independent GEMMs,
/// one per position p of the 4×4 transformed tile:
///
///     M_p (tiles × Cout) = V_p (tiles × Cin) · U_p (Cin × Cout)
///
/// so the multiply count is 16 per tile and channel pair against 36 for the direct form
/// (2.25× fewer). Transforms run in CKernels, vectorised over the contiguous NHWC channels;
/// tiles go in blocks sized to stay in cache, one block per thread, each with a one-thread
/// GEMM. Rounding differs from direct convolution by a few ulps of the inputs' scale (the
/// tests allow 1e-4 relative).
///
/// The data gradient of such a convolution is itself one (of dy, with the weight flipped
/// and its channel axes swapped), so backward runs it through the same code; the weight
/// gradient keeps its direct form.
enum Winograd {
    /// 3×3, stride 1, no dilation, one group, enough channels for the GEMMs to pay, and
    /// enough tiles (below that the GEMMs are too thin and the transforms do not pay back).
    static func suits(_ k: Conv2dKernel) -> Bool {
        let g = k.geometry
        return k.winograd && k.groups == 1 && g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1
            && g.dilationH == 1 && g.dilationW == 1 && k.inC >= 16 && k.outC >= 16
            && k.batch * ((g.outH + 1) / 2) * ((g.outW + 1) / 2) >= k.winogradMinTiles
    }

    /// The (16, Cout, Cin) transformed weight of `weight` (Cout, 3, 3, Cin).
    static func transformWeights(_ weight: UnsafePointer<Float>, cout: Int, cin: Int, into u: UnsafeMutablePointer<Float>) {
        vigil_winograd_weights(weight, Int32(cout), Int32(cin), u)
    }

    /// `transformed`: the weight already through `transformWeights` (layers keep it between
    /// inference calls); nil transforms it here.
    static func forward(_ k: Conv2dKernel, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, transformed: UnsafePointer<Float>?,
                        epilogue: Epilogue, y: UnsafeMutablePointer<Float>, context: Context) {
        let g = k.geometry, cin = k.inC, cout = k.outC
        let tilesH = (g.outH + 1) / 2, tilesW = (g.outW + 1) / 2
        let tiles = k.batch * tilesH * tilesW
        // Blocks of 256 tiles, one at a time per worker: measured on ResNet-18's shapes at
        // batch 32 (`vigil-bench conv`), 128–512 were within noise of each other and far
        // ahead of whole-map blocks, whose transformed tiles no longer stay in cache. Too
        // few tiles for a block per thread: one worker, with the GEMMs threaded instead.
        let share = (tiles + context.threads - 1) / context.threads
        let threadedBlocks = share >= 256
        let block = k.winogradTileBlock > 0 ? k.winogradTileBlock : (threadedBlocks ? 256 : tiles)
        let blocks = (tiles + block - 1) / block
        let workers = threadedBlocks || k.winogradTileBlock > 0 ? min(context.threads, blocks) : 1

        let u: UnsafePointer<Float>
        if let transformed {
            u = transformed
        } else {
            let scratch = context.scratch(40, count: 16 * cin * cout).baseAddress!
            transformWeights(weight, cout: cout, cin: cin, into: scratch)
            u = UnsafePointer(scratch)
        }
        let zeros = context.scratch(41, count: cin + workers * cout).baseAddress!
        zeros.update(repeating: 0, count: cin)
        let perWorker = 16 * block * (cin + cout)
        let work = context.scratch(42, count: workers * perWorker).baseAddress!

        var inWin = vigil_window(g, channels: cin)
        var outWin = inWin
        outWin.channels = Int32(cout)
        let fused = fusedActivationCode(epilogue.activation)
        let rest = fused == nil ? epilogue.activation : nil
        // Workers share one one-thread Context for their GEMMs (gemm reads only its thread count).
        let blas = workers > 1 ? Context(threads: 1) : context

        withUnsafePointer(to: &inWin) { inP in
            withUnsafePointer(to: &outWin) { outP in
                context.parallelFor(workers) { w in
                    let v = work + w * perWorker, m = v + 16 * block * cin
                    let sink = zeros + cin + w * cout
                    var b = w
                    while b < blocks {
                        let t0 = b * block, t1 = min(tiles, t0 + block), tb = t1 - t0
                        vigil_winograd_input(x, inP, Int32(tilesH), Int32(tilesW), t0, t1, zeros, v)
                        for p in 0..<16 {
                            // M_p (tb × Cout) = V_p (tb × Cin) · U_pᵀ, U_p stored (Cout × Cin).
                            gemm(transB: true, m: tb, n: cout, k: cin, a: v + p * tb * cin, lda: cin, b: u + p * cout * cin, ldb: cin,
                                 c: m + p * tb * cout, ldc: cout, context: blas)
                        }
                        vigil_winograd_output(m, outP, Int32(tilesH), Int32(tilesW), t0, t1, epilogue.bias, fused ?? 0, sink, y)
                        b += workers
                    }
                }
            }
        }
        if let rest { rest.forward(y, y, count: k.batch * g.outH * g.outW * cout) }
    }

    /// Backward data qualifies when forward does and no side is padded by more than 2 (the
    /// gradient's convolution pads by 2 − p).
    static func suitsBackwardData(_ k: Conv2dKernel) -> Bool {
        let g = k.geometry
        return suits(k) && [g.padTop, g.padLeft, g.padBottom, g.padRight].allSatisfy { $0 <= 2 }
    }

    /// dx (overwritten) = conv(dy, w′) with w′[ci, ky, kx, co] = w[co, 2 − ky, 2 − kx, ci],
    /// padded by 2 − p on each side, so that dx has the input's size.
    static func backwardData(_ k: Conv2dKernel, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                             dx: UnsafeMutablePointer<Float>, context: Context) {
        let g = k.geometry, cin = k.inC, cout = k.outC
        let flipped = context.scratch(43, count: 9 * cin * cout).baseAddress!
        for co in 0..<cout {
            for t in 0..<9 {
                let src = weight + (co * 9 + t) * cin, r = 8 - t
                for ci in 0..<cin { flipped[(ci * 9 + r) * cout + co] = src[ci] }
            }
        }
        let dg = ConvGeometry(inH: g.outH, inW: g.outW, kernel: (3, 3),
                              padding: (2 - g.padTop, 2 - g.padLeft, 2 - g.padBottom, 2 - g.padRight))
        precondition(dg.outH == g.inH && dg.outW == g.inW, "Winograd backward: gradient geometry does not give the input size")
        var dk = Conv2dKernel(batch: k.batch, inC: cout, outC: cin, geometry: dg)
        dk.winogradTileBlock = k.winogradTileBlock
        forward(dk, x: dy, weight: flipped, transformed: nil, epilogue: Epilogue(bias: nil, activation: nil, channels: cin), y: dx, context: context)
    }
}
