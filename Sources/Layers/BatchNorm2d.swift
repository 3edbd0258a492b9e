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
        if batchStats {
            // Channels are the contiguous axis, so each row adds a vector of c values: the
            // inner loops vectorise. Blocks of rows sum in Float, blocks add up in Double.
            var sum = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
            var block = [Float](repeating: 0, count: c)
            x.data.withUnsafeBufferPointer { xp in
                block.withUnsafeMutableBufferPointer { bp in
                    sum.withUnsafeMutableBufferPointer { sp in
                        mean.withUnsafeMutableBufferPointer { mp in
                            sq.withUnsafeMutableBufferPointer { qp in
                                var r = 0
                                while r < rows {
                                    let end = min(r + 64, rows)
                                    for ch in 0..<c { bp[ch] = 0 }
                                    for rr in r..<end { let row = xp.baseAddress! + rr &* c; for ch in 0..<c { bp[ch] += row[ch] } }
                                    for ch in 0..<c { sp[ch] += Double(bp[ch]) }
                                    r = end
                                }
                                for ch in 0..<c { mp[ch] = Float(sp[ch] / Double(rows)) }
                                r = 0
                                while r < rows {
                                    let end = min(r + 64, rows)
                                    for ch in 0..<c { bp[ch] = 0 }
                                    for rr in r..<end { let row = xp.baseAddress! + rr &* c; for ch in 0..<c { let d = row[ch] - mp[ch]; bp[ch] += d * d } }
                                    for ch in 0..<c { qp[ch] += Double(bp[ch]) }
                                    r = end
                                }
                            }
                        }
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
        x.data.withUnsafeBufferPointer { xp in
            scale.withUnsafeBufferPointer { kp in
                shift.withUnsafeBufferPointer { bp in
                    output.data.withUnsafeMutableBufferPointer { yp in
                        for r in 0..<rows { let xr = xp.baseAddress! + r &* c, yr = yp.baseAddress! + r &* c; for ch in 0..<c { yr[ch] = xr[ch] * kp[ch] + bp[ch] } }
                    }
                    if training {
                        mean.withUnsafeBufferPointer { mp in
                            invStd.withUnsafeBufferPointer { ip in
                                xhat.withUnsafeMutableBufferPointer { hp in
                                    for r in 0..<rows { let xr = xp.baseAddress! + r &* c, hr = hp.baseAddress! + r &* c; for ch in 0..<c { hr[ch] = (xr[ch] - mp[ch]) * ip[ch] } }
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
        var sumDy = [Float](repeating: 0, count: c), sumDyH = [Float](repeating: 0, count: c)
        var dx = Tensor(uninitialized: dy.shape)
        let n = Float(rows)
        let batchStats = usedBatchStats
        var k = [Float](repeating: 0, count: c)
        for ch in 0..<c { k[ch] = gamma.value.data[ch] * invStd[ch] }
        dy.data.withUnsafeBufferPointer { dp in
            xhat.withUnsafeBufferPointer { hp in
                sumDy.withUnsafeMutableBufferPointer { s1 in
                    sumDyH.withUnsafeMutableBufferPointer { s2 in
                        // Row blocks summed in Float, then accumulated, as in forward.
                        var b1 = [Float](repeating: 0, count: c), b2 = [Float](repeating: 0, count: c)
                        b1.withUnsafeMutableBufferPointer { p1 in
                            b2.withUnsafeMutableBufferPointer { p2 in
                                var r = 0
                                while r < rows {
                                    let end = min(r + 64, rows)
                                    for ch in 0..<c { p1[ch] = 0; p2[ch] = 0 }
                                    for rr in r..<end {
                                        let dr = dp.baseAddress! + rr &* c, hr = hp.baseAddress! + rr &* c
                                        for ch in 0..<c { p1[ch] += dr[ch]; p2[ch] += dr[ch] * hr[ch] }
                                    }
                                    for ch in 0..<c { s1[ch] += p1[ch]; s2[ch] += p2[ch] }
                                    r = end
                                }
                            }
                        }
                    }
                }
                for ch in 0..<c {
                    gamma.grad.data[ch] += sumDyH[ch]
                    beta.grad.data[ch] += sumDy[ch]
                }
                // Batch statistics: dx = k·(dy − mean(dy) − x̂·mean(dy·x̂)); running statistics
                // are constants: dx = k·dy.
                var m1 = [Float](repeating: 0, count: c), m2 = [Float](repeating: 0, count: c)
                if batchStats { for ch in 0..<c { m1[ch] = sumDy[ch] / n; m2[ch] = sumDyH[ch] / n } }
                k.withUnsafeBufferPointer { kp in
                    m1.withUnsafeBufferPointer { a in
                        m2.withUnsafeBufferPointer { b in
                            dx.data.withUnsafeMutableBufferPointer { dxp in
                                for r in 0..<rows {
                                    let dr = dp.baseAddress! + r &* c, hr = hp.baseAddress! + r &* c, xr = dxp.baseAddress! + r &* c
                                    for ch in 0..<c { xr[ch] = kp[ch] * (dr[ch] - a[ch] - hr[ch] * b[ch]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
