import TensorCore

/// Batch normalisation over the channel axis (the last one): `(N, H, W, C)` or `(N, C)`.
///
/// Training: normalise with the batch's mean and (biased) variance and update the running
/// averages (`momentum` as in PyTorch: new = (1 − m)·old + m·batch, unbiased variance).
/// Evaluation — or a BatchNorm marked `frozen` — uses the running statistics.
public final class BatchNorm2d: Layer {
    public let name: String
    public let channels: Int
    public let eps: Float
    public let momentum: Float
    /// Always use running statistics and never update them (frozen backbone).
    public var frozen = false
    public let gamma: Parameter, beta: Parameter
    public let runningMean: Parameter, runningVar: Parameter

    var input = Tensor(shape: [0])
    var output = Tensor(shape: [0])
    var xhat: [Float] = []
    var invStd: [Float] = []
    var usedBatchStats = false

    public init(_ name: String, _ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        self.name = name
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        gamma = Parameter("weight", Tensor([channels], repeating: 1))
        beta = Parameter("bias", Tensor([channels]))
        runningMean = Parameter("running_mean", Tensor([channels]), isBuffer: true)
        runningVar = Parameter("running_var", Tensor([channels], repeating: 1), isBuffer: true)
    }

    public var parameters: [Parameter] { [gamma, beta, runningMean, runningVar] }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        let c = channels
        precondition(x.shape.dims.last == c, "\(name): expected \(c) channels last, got \(x.shape)")
        let rows = x.count / c
        let batchStats = training && !frozen
        var mean = [Float](repeating: 0, count: c), invStd = [Float](repeating: 0, count: c)
        let parts = Self.parts(rows: rows, channels: c, context: context)
        if batchStats {
            var sum = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
            x.data.withUnsafeBufferPointer { xp in
                let x0 = xp.baseAddress!
                Self.reduce(parts: parts, rows: rows, channels: c, context: context, into: &sum) { r, acc in
                    Self.columnSums(x0, rows: r, channels: c, center: nil, into: acc)
                }
                for ch in 0..<c { mean[ch] = Float(sum[ch] / Double(rows)) }
                mean.withUnsafeBufferPointer { mp in
                    let m0 = mp.baseAddress!
                    Self.reduce(parts: parts, rows: rows, channels: c, context: context, into: &sq) { r, acc in
                        Self.columnSums(x0, rows: r, channels: c, center: m0, into: acc)
                    }
                }
            }
            for ch in 0..<c {
                let v = sq[ch] / Double(rows)
                invStd[ch] = Float(1 / (v + Double(eps)).squareRoot())
                let unbiased = rows > 1 ? v * Double(rows) / Double(rows - 1) : v
                runningMean.value.data[ch] = (1 - momentum) * runningMean.value.data[ch] + momentum * mean[ch]
                runningVar.value.data[ch] = (1 - momentum) * runningVar.value.data[ch] + momentum * Float(unbiased)
            }
        } else {
            for ch in 0..<c {
                mean[ch] = runningMean.value.data[ch]
                invStd[ch] = 1 / (runningVar.value.data[ch] + eps).squareRoot()
            }
        }
        prepare(&output, x.shape, training: training)
        if training {
            input = x
            usedBatchStats = batchStats
            self.invStd = invStd
            if xhat.count != x.count { xhat = [Float](repeating: 0, count: x.count) }
        }
        // y = x̂·γ + β with x̂ = (x − μ)·invStd, folded to y = x·scale + shift.
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            scale[ch] = invStd[ch] * gamma.value.data[ch]
            shift[ch] = beta.value.data[ch] - mean[ch] * scale[ch]
        }
        let keep = training
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                xhat.withUnsafeMutableBufferPointer { hp in
                    let (x0, y0, h0) = (xp.baseAddress!, yp.baseAddress!, hp.baseAddress)
                    scale.withUnsafeBufferPointer { kp in
                        shift.withUnsafeBufferPointer { bp in
                            mean.withUnsafeBufferPointer { mp in
                                invStd.withUnsafeBufferPointer { ip in
                                    let (k, b, m, inv) = (kp.baseAddress!, bp.baseAddress!, mp.baseAddress!, ip.baseAddress!)
                                    context.parallelFor(parts) { p in
                                        for r in Self.range(p, of: parts, rows: rows) {
                                            let xr = x0 + r &* c, yr = y0 + r &* c
                                            for ch in 0..<c { yr[ch] = xr[ch] * k[ch] + b[ch] }
                                            if keep, let h0 {
                                                let hr = h0 + r &* c
                                                for ch in 0..<c { hr[ch] = (xr[ch] - m[ch]) * inv[ch] }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        precondition(dy.shape == input.shape, "\(name): backward without a matching training forward")
        let c = channels, rows = dy.count / c
        var sumDy = [Double](repeating: 0, count: c), sumDyH = [Double](repeating: 0, count: c)
        var dx = Tensor(uninitialized: dy.shape)
        let n = Double(rows)
        let parts = Self.parts(rows: rows, channels: c, context: context)
        var k = [Float](repeating: 0, count: c)
        for ch in 0..<c { k[ch] = gamma.value.data[ch] * invStd[ch] }
        dy.data.withUnsafeBufferPointer { dp in
            xhat.withUnsafeBufferPointer { hp in
                let (d0, h0) = (dp.baseAddress!, hp.baseAddress!)
                Self.reduce(parts: parts, rows: rows, channels: c, context: context, into: &sumDy) { r, acc in
                    Self.columnSums(d0, rows: r, channels: c, center: nil, into: acc)
                }
                Self.reduce(parts: parts, rows: rows, channels: c, context: context, into: &sumDyH) { r, acc in
                    Self.productSums(d0, h0, rows: r, channels: c, into: acc)
                }
                for ch in 0..<c {
                    gamma.grad.data[ch] += Float(sumDyH[ch])
                    beta.grad.data[ch] += Float(sumDy[ch])
                }
                // Batch statistics: dx = k·(dy − mean(dy) − x̂·mean(dy·x̂)); running statistics
                // are constants: dx = k·dy.
                var m1 = [Float](repeating: 0, count: c), m2 = [Float](repeating: 0, count: c)
                if usedBatchStats { for ch in 0..<c { m1[ch] = Float(sumDy[ch] / n); m2[ch] = Float(sumDyH[ch] / n) } }
                k.withUnsafeBufferPointer { kp in
                    m1.withUnsafeBufferPointer { ap in
                        m2.withUnsafeBufferPointer { bp in
                            dx.data.withUnsafeMutableBufferPointer { dxp in
                                let (kk, a, b, x0) = (kp.baseAddress!, ap.baseAddress!, bp.baseAddress!, dxp.baseAddress!)
                                context.parallelFor(parts) { p in
                                    for r in Self.range(p, of: parts, rows: rows) {
                                        let dr = d0 + r &* c, hr = h0 + r &* c, xr = x0 + r &* c
                                        for ch in 0..<c { xr[ch] = kk[ch] * (dr[ch] - a[ch] - hr[ch] * b[ch]) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    // MARK: row-parallel kernels (channels are the contiguous axis, so each row is a vector
    // of c values and the inner loops vectorise)

    /// Row ranges worth a thread each: at least 32K values per part.
    static func parts(rows: Int, channels: Int, context: Context) -> Int {
        max(1, min(context.threads, rows * channels / 32_768))
    }

    static func range(_ p: Int, of parts: Int, rows: Int) -> Range<Int> { (rows * p / parts)..<(rows * (p + 1) / parts) }

    /// Per-channel sums over all rows, one partial sum per part, added in part order (the
    /// result depends on the thread count only, never on scheduling).
    static func reduce(parts: Int, rows: Int, channels c: Int, context: Context, into total: inout [Double],
                       _ partial: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) {
        var acc = [Double](repeating: 0, count: parts * c)
        acc.withUnsafeMutableBufferPointer { ap in
            let a0 = ap.baseAddress!
            context.parallelFor(parts) { p in partial(range(p, of: parts, rows: rows), a0 + p * c) }
        }
        for p in 0..<parts { for ch in 0..<c { total[ch] += acc[p * c + ch] } }
    }

    /// Σ x (or Σ (x − center)² when `center` is given) per channel over `rows`, in 64-row
    /// Float blocks added up in Double.
    static func columnSums(_ x: UnsafePointer<Float>, rows: Range<Int>, channels c: Int, center: UnsafePointer<Float>?,
                           into acc: UnsafeMutablePointer<Double>) {
        let block = UnsafeMutablePointer<Float>.allocate(capacity: c)
        defer { block.deallocate() }
        var r = rows.lowerBound
        while r < rows.upperBound {
            let end = min(r + 64, rows.upperBound)
            block.update(repeating: 0, count: c)
            if let m = center {
                for rr in r..<end { let row = x + rr &* c; for ch in 0..<c { let d = row[ch] - m[ch]; block[ch] += d * d } }
            } else {
                for rr in r..<end { let row = x + rr &* c; for ch in 0..<c { block[ch] += row[ch] } }
            }
            for ch in 0..<c { acc[ch] += Double(block[ch]) }
            r = end
        }
    }

    /// Σ a·b per channel over `rows`, blocked as `columnSums`.
    static func productSums(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, rows: Range<Int>, channels c: Int,
                            into acc: UnsafeMutablePointer<Double>) {
        let block = UnsafeMutablePointer<Float>.allocate(capacity: c)
        defer { block.deallocate() }
        var r = rows.lowerBound
        while r < rows.upperBound {
            let end = min(r + 64, rows.upperBound)
            block.update(repeating: 0, count: c)
            for rr in r..<end { let ar = a + rr &* c, br = b + rr &* c; for ch in 0..<c { block[ch] += ar[ch] * br[ch] } }
            for ch in 0..<c { acc[ch] += Double(block[ch]) }
            r = end
        }
    }
}
