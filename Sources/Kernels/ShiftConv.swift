import TensorCore

/// Stride-1 convolution without im2col ("shifted GEMMs").
///
/// Pad each image once into `P (Hp, Wp, Cin)` and compute outputs on the same padded grid,
/// `O (Hp, Wp, Cout)`, of which the top-left `OH × OW` block is the real output. In
/// flattened padded-pixel index q, tap (ky, kx) reads input pixel q + s with
/// s = ky·d·Wp + kx·d, so the whole convolution is one GEMM per tap over all pixels at once:
///
///     O[q] += P[q + s] · W_tapᵀ      (M = pixels, K = Cin, N = Cout)
///
/// and the tap's weight slice is read in place from `(Cout, KH, KW, Cin)` with row stride
/// KH·KW·Cin. Backward uses the same shifts: dW_tap += dOᵀ · P[· + s] and dP[· + s] += dO · W_tap.
/// The rows of O outside the real output are wasted work, so this path is used only where
/// padding adds little (large feature maps, where im2col's KH·KW-fold copy hurts most).
enum ShiftConv {
    /// Whether `k` qualifies, and is worth it: stride 1, one group, not already a plain GEMM,
    /// and the padded grid at most `shiftedGEMMMaxGrowth` times the output.
    static func suits(_ k: Conv2dKernel) -> Bool {
        let g = k.geometry
        guard g.strideH == 1 && g.strideW == 1 && k.groups == 1 && !k.isPointwise else { return false }
        let hp = g.inH + g.padTop + g.padBottom, wp = g.inW + g.padLeft + g.padRight
        return Double(hp * wp) <= k.shiftedGEMMMaxGrowth * Double(g.outH * g.outW)
    }

    struct Grid {
        let hp: Int, wp: Int, taps: [Int], span: Int
        init(_ g: ConvGeometry) {
            hp = g.inH + g.padTop + g.padBottom
            wp = g.inW + g.padLeft + g.padRight
            var t: [Int] = []
            for ky in 0..<g.kernelH { for kx in 0..<g.kernelW { t.append(ky * g.dilationH * wp + kx * g.dilationW) } }
            taps = t
            span = t.last!
        }
        /// Rows of O computed per image block: every real output row lies below it.
        func rows(images: Int) -> Int { images * hp * wp - span }
    }

    static func imagesPerChunk(_ k: Conv2dKernel, _ grid: Grid) -> Int {
        // Keep P and O of a chunk around 4 MB so the per-tap passes over O stay in cache.
        let perImage = grid.hp * grid.wp * (k.inC + k.outC)
        return max(1, min(k.batch, (1 << 19) / max(perImage, 1)))
    }

    /// Copies images n0..<n0+nb of x into the zero-bordered grid P.
    static func pad(_ x: UnsafePointer<Float>, _ k: Conv2dKernel, _ grid: Grid, n0: Int, nb: Int,
                    into p: UnsafeMutablePointer<Float>) {
        let g = k.geometry, c = k.inC
        p.update(repeating: 0, count: nb * grid.hp * grid.wp * c)
        for i in 0..<nb {
            for y in 0..<g.inH {
                let src = x + ((n0 + i) * g.inH + y) * g.inW * c
                let dst = p + ((i * grid.hp + y + g.padTop) * grid.wp + g.padLeft) * c
                dst.update(from: src, count: g.inW * c)
            }
        }
    }

    /// With several threads, each worker takes whole images with its own scratch and
    /// single-threaded GEMMs: the per-image GEMMs are too small to split well, and
    /// independent images keep both cores busy through the padding copies too.
    static func workers(_ k: Conv2dKernel, _ context: Context) -> Int { min(context.threads, k.batch) }

    static func forward(_ k: Conv2dKernel, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epilogue: Epilogue,
                        y: UnsafeMutablePointer<Float>, context: Context) {
        let g = k.geometry, grid = Grid(g)
        let per = imagesPerChunk(k, grid)
        let nw = workers(k, context)
        let serial = Context(threads: 1)
        let buffers = (0..<nw).map { w in
            (context.scratch(4 + 2 * w, count: per * grid.hp * grid.wp * k.inC).baseAddress!,
             context.scratch(5 + 2 * w, count: per * grid.hp * grid.wp * k.outC).baseAddress!)
        }
        let ldw = grid.taps.count * k.inC
        let chunks = (k.batch + per - 1) / per
        let blas = nw > 1 ? serial : context
        context.parallelFor(nw) { w in
            let (p, o) = buffers[w]
            var chunk = w
            while chunk < chunks {
                let n0 = chunk * per, nb = min(per, k.batch - n0)
                pad(x, k, grid, n0: n0, nb: nb, into: p)
                let m = grid.rows(images: nb)
                for (t, s) in grid.taps.enumerated() {
                    gemm(transB: true, m: m, n: k.outC, k: k.inC, a: p + s * k.inC, lda: k.inC, b: weight + t * k.inC, ldb: ldw,
                         beta: t == 0 ? 0 : 1, c: o, ldc: k.outC, context: blas)
                }
                for i in 0..<nb {
                    for oy in 0..<g.outH {
                        let row = y + ((n0 + i) * g.outH + oy) * g.outW * k.outC
                        row.update(from: o + (i * grid.hp + oy) * grid.wp * k.outC, count: g.outW * k.outC)
                        epilogue.apply(row, rows: g.outW)
                    }
                }
                chunk += nw
            }
        }
    }

    /// dw accumulated, dx overwritten when given.
    static func backward(_ k: Conv2dKernel, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, context: Context) {
        let g = k.geometry, grid = Grid(g)
        let per = imagesPerChunk(k, grid)
        let nw = workers(k, context)
        let serial = Context(threads: 1)
        let wCount = k.outC * grid.taps.count * k.inC
        let buffers = (0..<nw).map { w in
            (context.scratch(4 + 2 * w, count: per * grid.hp * grid.wp * k.inC).baseAddress!,
             context.scratch(5 + 2 * w, count: per * grid.hp * grid.wp * k.outC).baseAddress!)
        }
        // Each worker accumulates its own weight gradient; they are summed into dw at the end.
        let partial = context.scratch(3, count: nw * wCount).baseAddress!
        partial.update(repeating: 0, count: nw * wCount)
        let ldw = grid.taps.count * k.inC
        let chunks = (k.batch + per - 1) / per
        let blas = nw > 1 ? serial : context
        context.parallelFor(nw) { w in
            let (p, o) = buffers[w]
            let dwPart = partial + w * wCount
            var chunk = w
            while chunk < chunks {
                let n0 = chunk * per, nb = min(per, k.batch - n0)
                pad(x, k, grid, n0: n0, nb: nb, into: p)
                // dO on the padded grid: the real output block, zeros elsewhere.
                o.update(repeating: 0, count: nb * grid.hp * grid.wp * k.outC)
                for i in 0..<nb {
                    for oy in 0..<g.outH {
                        (o + (i * grid.hp + oy) * grid.wp * k.outC)
                            .update(from: dy + ((n0 + i) * g.outH + oy) * g.outW * k.outC, count: g.outW * k.outC)
                    }
                }
                let m = grid.rows(images: nb)
                for (t, s) in grid.taps.enumerated() {
                    // dW_tap (Cout × Cin) += dOᵀ · P[· + s]
                    gemm(transA: true, m: k.outC, n: k.inC, k: m, a: o, lda: k.outC, b: p + s * k.inC, ldb: k.inC,
                         beta: 1, c: dwPart + t * k.inC, ldc: ldw, context: blas)
                }
                if let dx {
                    // Reuse P as dP: dP[· + s] += dO · W_tap, then take the interior.
                    p.update(repeating: 0, count: nb * grid.hp * grid.wp * k.inC)
                    for (t, s) in grid.taps.enumerated() {
                        gemm(m: m, n: k.inC, k: k.outC, a: o, lda: k.outC, b: weight + t * k.inC, ldb: ldw,
                             beta: 1, c: p + s * k.inC, ldc: k.inC, context: blas)
                    }
                    for i in 0..<nb {
                        for yy in 0..<g.inH {
                            (dx + ((n0 + i) * g.inH + yy) * g.inW * k.inC)
                                .update(from: p + ((i * grid.hp + yy + g.padTop) * grid.wp + g.padLeft) * k.inC, count: g.inW * k.inC)
                        }
                    }
                }
                chunk += nw
            }
        }
        for w in 0..<nw {
            let src = partial + w * wCount
            for i in 0..<wCount { dw[i] += src[i] }
        }
    }
}
