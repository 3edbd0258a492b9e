import CKernels
import Foundation
import TensorCore

/// A 2-D convolution over NHWC data as im2col + GEMM.
///
/// Layouts: input `(N, H, W, Cin)`, weight `(Cout, KH, KW, Cin/groups)`, bias `(Cout)`,
/// output `(N, OH, OW, Cout)`. Group g reads input channels `g·Cin/G ..< (g+1)·Cin/G` and
/// writes output channels `g·Cout/G ..< (g+1)·Cout/G`.
///
/// Images are processed in chunks whose im2col matrix fits the scratch budget, so small
/// late-stage feature maps still make one tall GEMM per chunk instead of a thin one per
/// image. A 1×1, stride-1, unpadded, ungrouped convolution skips im2col: the NHWC input
/// already is the `(N·H·W) × Cin` matrix.
public struct Conv2dKernel: Sendable, Hashable {
    public var batch: Int
    public var inC: Int
    public var outC: Int
    public var groups: Int
    public var geometry: ConvGeometry
    /// Largest im2col matrix, in floats, built at once (default 8 M floats = 32 MB).
    public var scratchLimit = 8 << 20
    /// Stride-1 convolutions use shifted GEMMs instead of im2col when the padded grid is at
    /// most this many times the output (see `ShiftConv`); 0 turns the path off.
    public var shiftedGEMMMaxGrowth = 1.2
    /// 3×3 stride-1 convolutions run Winograd F(2×2, 3×3) in the forward pass (see `Winograd`).
    public var winograd = Conv2dKernel.winogradDefault
    /// Tiles per Winograd block; 0 sizes blocks by memory and thread count.
    public var winogradTileBlock = 0
    /// Fewer 2×2 output tiles than this in a call: direct convolution instead.
    public var winogradMinTiles = 64

    /// Whether the forward pass runs Winograd (3×3, stride 1, enough channels and tiles).
    public var usesWinograd: Bool { Winograd.suits(self) }
    /// Floats of the transformed weight that `forward` can take ready-made.
    public var winogradWeightCount: Int { 16 * inC * outC }
    /// The transformed weight (16, Cout, Cin) of `weight` (Cout, 3, 3, Cin), for a layer to
    /// keep between inference calls.
    public func transformWinogradWeights(_ weight: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        Winograd.transformWeights(weight, cout: outC, cin: inC, into: u)
    }
    /// The process-wide default for `winograd` (VIGIL_WINOGRAD=0 turns it off, for comparisons).
    public static let winogradDefault = ProcessInfo.processInfo.environment["VIGIL_WINOGRAD"] != "0"

    public init(batch: Int, inC: Int, outC: Int, groups: Int = 1, geometry: ConvGeometry) {
        precondition(groups >= 1 && inC % groups == 0 && outC % groups == 0, "channels must divide into groups")
        self.batch = batch; self.inC = inC; self.outC = outC; self.groups = groups; self.geometry = geometry
    }

    public var cg: Int { inC / groups }
    public var og: Int { outC / groups }
    public var patch: Int { geometry.kernelH * geometry.kernelW * cg }
    public var pixelsOut: Int { geometry.outH * geometry.outW }
    public var isPointwise: Bool {
        let g = geometry
        return groups == 1 && g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1
            && g.padTop == 0 && g.padLeft == 0 && g.padBottom == 0 && g.padRight == 0
    }

    /// Depthwise (one input channel per group, one output per input) runs the direct kernel.
    public var isDepthwise: Bool { groups > 1 && groups == inC && groups == outC }

    /// Multiply-adds × 2 of the forward pass.
    public var flops: Double { 2 * Double(batch * pixelsOut * outC) * Double(patch) }

    /// Images per im2col chunk: as many as the scratch budget allows, but no more than an
    /// equal share per thread so every worker gets a chunk.
    func imagesPerChunk(threads: Int) -> Int {
        let byMemory = scratchLimit / max(1, pixelsOut * patch)
        let share = (batch + threads - 1) / threads
        return max(1, min(batch, byMemory, share))
    }

    /// y = act(conv(x, w) + bias), bias and activation optional. `y` is overwritten.
    ///
    /// Bias and activation run as an epilogue on each block of output rows right after the
    /// GEMM that wrote it, while the block is still in cache, instead of as extra passes over
    /// the whole output.
    public func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, winogradWeights: UnsafePointer<Float>? = nil, bias: UnsafePointer<Float>?,
                        activation: ActivationKind? = nil, y: UnsafeMutablePointer<Float>, context: Context) {
        let epilogue = Epilogue(bias: bias, activation: activation, channels: outC)
        if isDepthwise {
            Depthwise.forward(self, x: x, weight: weight, epilogue: epilogue, y: y, context: context)
        } else if Winograd.suits(self) {
            Winograd.forward(self, x: x, weight: weight, transformed: winogradWeights, epilogue: epilogue, y: y, context: context)
        } else if ShiftConv.suits(self) {
            ShiftConv.forward(self, x: x, weight: weight, epilogue: epilogue, y: y, context: context)
        } else if isPointwise {
            // The rows (pixels) split into one contiguous part per thread, each worker running
            // one-thread GEMMs over blocks of its part: no OpenBLAS thread hand-offs, which cost
            // more than small GEMMs themselves. The bias is laid down first and the GEMM adds
            // to it (β = 1): one pass over the output instead of OpenBLAS zeroing it and the
            // epilogue adding the bias.
            let rows = batch * pixelsOut, block = 2048
            let workers = max(1, min(context.threads, rows / 64))
            let blas = workers > 1 ? Context(threads: 1) : context
            let activationOnly = Epilogue(bias: nil, activation: activation, channels: outC)
            context.parallelFor(workers) { w in
                var r0 = rows * w / workers
                let end = rows * (w + 1) / workers
                while r0 < end {
                    let n = min(block, end - r0)
                    if let bias { vigil_fill_rows(y + r0 * outC, bias, n, Int32(outC)) }
                    gemm(transB: true, m: n, n: outC, k: inC, a: x + r0 * inC, lda: inC, b: weight, ldb: inC,
                         beta: bias == nil ? 0 : 1, c: y + r0 * outC, ldc: outC, context: blas)
                    activationOnly.apply(y + r0 * outC, rows: n)
                    r0 += n
                }
            }
        } else {
            let inImage = geometry.inH * geometry.inW * inC, outImage = pixelsOut * outC
            forEachChunk(context) { _, n0, nb, cols, blas in
                for g in 0..<groups {
                    for i in 0..<nb {
                        im2col(x + (n0 + i) * inImage, inC: inC, c0: g * cg, cg: cg, geometry: geometry, cols: cols + i * pixelsOut * patch)
                    }
                    gemm(transB: true, m: nb * pixelsOut, n: og, k: patch, a: cols, lda: patch, b: weight + g * og * patch, ldb: patch,
                         c: y + n0 * outImage + g * og, ldc: outC, context: blas)
                }
                epilogue.apply(y + n0 * outImage, rows: nb * pixelsOut)
            }
        }
    }

    /// Runs `body(worker, firstImage, imageCount, cols, blasContext)` over image chunks. With several
    /// threads each worker takes whole chunks with its own im2col buffer and single-threaded
    /// GEMMs, so im2col and GEMM of different chunks overlap instead of alternating.
    func forEachChunk(_ context: Context, _ body: (Int, Int, Int, UnsafeMutablePointer<Float>, Context) -> Void) {
        let per = imagesPerChunk(threads: context.threads)
        let chunks = (batch + per - 1) / per
        let workers = min(context.threads, chunks)
        let buffers = (0..<workers).map { w in context.scratch(16 + w, count: per * pixelsOut * patch).baseAddress! }
        let blas = workers > 1 ? Context(threads: 1) : context
        context.parallelFor(workers) { w in
            var c = w
            while c < chunks {
                body(w, c * per, min(per, batch - c * per), buffers[w], blas)
                c += workers
            }
        }
    }

    /// Gradients: `dx` is overwritten (when given); `dw` and `db` are accumulated into.
    public func backward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                         context: Context) {
        if let db { sumRows(dy, rows: batch * pixelsOut, channels: outC, into: db) }
        if isDepthwise {
            Depthwise.backward(self, x: x, weight: weight, dy: dy, dx: dx, dw: dw, context: context)
            return
        }
        if let dx, Winograd.suitsBackwardData(self) {
            // The weight gradient keeps its direct form; the data gradient is a Winograd
            // convolution of dy with the flipped, transposed weight.
            if ShiftConv.suits(self) {
                ShiftConv.backward(self, x: x, weight: weight, dy: dy, dx: nil, dw: dw, context: context)
            } else {
                backwardWeights(x: x, dy: dy, dw: dw, context: context)
            }
            Winograd.backwardData(self, weight: weight, dy: dy, dx: dx, context: context)
            return
        }
        if ShiftConv.suits(self) {
            ShiftConv.backward(self, x: x, weight: weight, dy: dy, dx: dx, dw: dw, context: context)
            return
        }
        backwardWeights(x: x, dy: dy, dw: dw, context: context)
        if let dx { backwardData(weight: weight, dy: dy, dx: dx, context: context) }
    }

    /// dw += ∂L/∂w given the input x and upstream gradient dy (no bias).
    public func backwardWeights(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                                context: Context) {
        if isPointwise {
            // dW (Cout × Cin) += dYᵀ · X
            gemm(transA: true, m: outC, n: inC, k: batch * pixelsOut, a: dy, lda: outC, b: x, ldb: inC,
                 beta: 1, c: dw, ldc: inC, context: context)
            return
        }
        let inImage = geometry.inH * geometry.inW * inC, outImage = pixelsOut * outC
        let wCount = outC * patch
        let per = imagesPerChunk(threads: context.threads)
        let workers = min(context.threads, (batch + per - 1) / per)
        // One weight-gradient accumulator per worker, summed into dw at the end.
        let partial = context.scratch(15, count: workers * wCount).baseAddress!
        partial.update(repeating: 0, count: workers * wCount)
        forEachChunk(context) { worker, n0, nb, cols, blas in
            let mine = partial + worker * wCount
            for g in 0..<groups {
                for i in 0..<nb {
                    im2col(x + (n0 + i) * inImage, inC: inC, c0: g * cg, cg: cg, geometry: geometry, cols: cols + i * pixelsOut * patch)
                }
                // dW_g (og × patch) += dY_gᵀ (og × M) · cols (M × patch)
                gemm(transA: true, m: og, n: patch, k: nb * pixelsOut, a: dy + n0 * outImage + g * og, lda: outC,
                     b: cols, ldb: patch, beta: 1, c: mine + g * og * patch, ldc: patch, context: blas)
            }
        }
        for w in 0..<workers {
            let src = partial + w * wCount
            for i in 0..<wCount { dw[i] += src[i] }
        }
    }

    /// dx = ∂L/∂x given the weight and upstream gradient dy (dx is overwritten).
    public func backwardData(weight: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                             context: Context) {
        if isPointwise {
            gemm(m: batch * pixelsOut, n: inC, k: outC, a: dy, lda: outC, b: weight, ldb: inC, c: dx, ldc: inC, context: context)
            return
        }
        let inImage = geometry.inH * geometry.inW * inC, outImage = pixelsOut * outC
        forEachChunk(context) { _, n0, nb, cols, blas in
            (dx + n0 * inImage).update(repeating: 0, count: nb * inImage)
            for g in 0..<groups {
                // dcols (M × patch) = dY_g (M × og) · W_g (og × patch), then scattered back.
                gemm(m: nb * pixelsOut, n: patch, k: og, a: dy + n0 * outImage + g * og, lda: outC,
                     b: weight + g * og * patch, ldb: patch, c: cols, ldc: patch, context: blas)
                for i in 0..<nb {
                    col2im(cols + i * pixelsOut * patch, inC: inC, c0: g * cg, cg: cg, geometry: geometry, dx: dx + (n0 + i) * inImage)
                }
            }
        }
    }
}

/// y = act(y + bias) over rows of `channels` values; a no-op when there is neither.
public struct Epilogue {
    public let bias: UnsafePointer<Float>?
    public let activation: ActivationKind?
    public let channels: Int

    public init(bias: UnsafePointer<Float>?, activation: ActivationKind?, channels: Int) {
        self.bias = bias
        self.activation = activation
        self.channels = channels
    }

    @inline(__always)
    public func apply(_ y: UnsafeMutablePointer<Float>, rows: Int) {
        if bias == nil && activation == nil { return }
        if let code = fusedActivationCode(activation) {
            vigil_bias_act(y, bias, rows, Int32(channels), code)
            return
        }
        for r in 0..<rows {
            let row = y + r * channels
            if let bias { for c in 0..<channels { row[c] += bias[c] } }
            activation?.forward(row, row, count: channels)
        }
    }
}

/// y[r, c] += bias[c] for an (rows × channels) matrix.
public func addBias(_ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, channels: Int) {
    for r in 0..<rows {
        let row = y + r * channels
        for c in 0..<channels { row[c] += bias[c] }
    }
}

/// out[c] += Σ_r m[r, c] for an (rows × channels) matrix.
public func sumRows(_ m: UnsafePointer<Float>, rows: Int, channels: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = m + r * channels
        for c in 0..<channels { out[c] += row[c] }
    }
}
