import CKernels
import TensorCore

/// Direct depthwise convolution (groups == Cin == Cout) over NHWC data: each output
/// channel sees only its own input channel, so im2col would copy KH·KW× the input for
/// a GEMM with K = KH·KW. Working in place, the inner loop runs over channels, which
/// are contiguous in NHWC.
///
/// Weight layout as for every convolution, `(C, KH, KW, 1)`; it is transposed once per
/// call to `(KH, KW, C)` in scratch so the channel loop reads it contiguously.
enum Depthwise {
    static func transposed(_ w: UnsafePointer<Float>, c: Int, taps: Int, into t: UnsafeMutablePointer<Float>) {
        for ch in 0..<c { for k in 0..<taps { t[k * c + ch] = w[ch * taps + k] } }
    }

    /// The vectorised kernel (CKernels) with bias and ReLU/ReLU6 fused into its store; other
    /// activations run over each finished row.
    static func forward(_ k: Conv2dKernel, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epilogue: Epilogue,
                        y: UnsafeMutablePointer<Float>, context: Context) {
        let g = k.geometry, c = k.inC, taps = g.kernelH * g.kernelW
        let wt = context.scratch(1, count: taps * c).baseAddress!
        transposed(weight, c: c, taps: taps, into: wt)
        var win = vigil_window(g, channels: c)
        let fused = fusedActivationCode(epilogue.activation)
        let rest = fused == nil ? epilogue.activation : nil
        let rowWidth = g.outW * c
        withUnsafePointer(to: &win) { wp in
            context.parallelFor(k.batch * g.outH) { row in
                vigil_depthwise_rows(x, wt, epilogue.bias, fused ?? 0, wp, y, Int32(row), Int32(row + 1))
                if let rest { let r = y + row * rowWidth; rest.forward(r, r, count: rowWidth) }
            }
        }
    }

    /// Naive reference of the forward pass (the kernel tests compare against it and the
    /// convolution reference).
    static func forwardReference(_ k: Conv2dKernel, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epilogue: Epilogue,
                                 y: UnsafeMutablePointer<Float>) {
        let g = k.geometry, c = k.inC
        let oh = g.outH, ow = g.outW
        for row in 0..<(k.batch * oh) {
            let n = row / oh, oy = row % oh
            let xin = x + n * g.inH * g.inW * c
            for ox in 0..<ow {
                let out = y + ((n * oh + oy) * ow + ox) * c
                out.update(repeating: 0, count: c)
                for ky in 0..<g.kernelH {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    if iy < 0 || iy >= g.inH { continue }
                    for kx in 0..<g.kernelW {
                        let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                        if ix < 0 || ix >= g.inW { continue }
                        let src = xin + (iy * g.inW + ix) * c
                        for ch in 0..<c { out[ch] += src[ch] * weight[ch * g.kernelH * g.kernelW + ky * g.kernelW + kx] }
                    }
                }
                epilogue.apply(out, rows: 1)
            }
        }
    }

    /// dx overwritten (when given), dw accumulated.
    static func backward(_ k: Conv2dKernel, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, context: Context) {
        let g = k.geometry, c = k.inC, taps = g.kernelH * g.kernelW
        let wt = context.scratch(1, count: taps * c).baseAddress!
        transposed(weight, c: c, taps: taps, into: wt)
        let oh = g.outH, ow = g.outW, inImage = g.inH * g.inW * c
        let workers = min(context.threads, k.batch)
        // One partial (KH, KW, C) weight gradient per worker, summed at the end.
        let partial = context.scratch(2, count: workers * taps * c).baseAddress!
        partial.update(repeating: 0, count: workers * taps * c)
        if let dx { dx.update(repeating: 0, count: k.batch * inImage) }
        context.parallelFor(workers) { worker in
            let dwt = partial + worker * taps * c
            var n = worker
            while n < k.batch {
                let xin = x + n * inImage
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let d = dy + ((n * oh + oy) * ow + ox) * c
                        for ky in 0..<g.kernelH {
                            let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                            if iy < 0 || iy >= g.inH { continue }
                            for kx in 0..<g.kernelW {
                                let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                                if ix < 0 || ix >= g.inW { continue }
                                let off = (iy * g.inW + ix) * c
                                let src = xin + off
                                let t = (ky * g.kernelW + kx) * c
                                let wk = wt + t, gk = dwt + t
                                if let dx {
                                    let dst = dx + n * inImage + off
                                    for ch in 0..<c { dst[ch] += d[ch] * wk[ch] }
                                }
                                for ch in 0..<c { gk[ch] += d[ch] * src[ch] }
                            }
                        }
                    }
                }
                n += workers
            }
        }
        for w in 0..<workers {
            let p = partial + w * taps * c
            for ch in 0..<c { for t in 0..<taps { dw[ch * taps + t] += p[t * c + ch] } }
        }
    }
}
