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
            var sum = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
            x.data.withUnsafeBufferPointer { xp in
                for r in 0..<rows { for ch in 0..<c { sum[ch] += Double(xp[r * c + ch]) } }
                for ch in 0..<c { mean[ch] = Float(sum[ch] / Double(rows)) }
                for r in 0..<rows { for ch in 0..<c { let d = Double(xp[r * c + ch] - mean[ch]); sq[ch] += d * d } }
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
        prepare(&output, x.shape)
        if training {
            input = x
            usedBatchStats = batchStats
            self.invStd = invStd
            if xhat.count != x.count { xhat = [Float](repeating: 0, count: x.count) }
        }
        let g = gamma.value.data, b = beta.value.data
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                for r in 0..<rows {
                    let o = r * c
                    for ch in 0..<c {
                        let h = (xp[o + ch] - mean[ch]) * invStd[ch]
                        yp[o + ch] = h * g[ch] + b[ch]
                    }
                }
            }
            if training {
                xhat.withUnsafeMutableBufferPointer { hp in
                    for r in 0..<rows { for ch in 0..<c { hp[r * c + ch] = (xp[r * c + ch] - mean[ch]) * invStd[ch] } }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        precondition(dy.shape == input.shape, "\(name): backward without a matching training forward")
        let c = channels, rows = dy.count / c
        var sumDy = [Float](repeating: 0, count: c), sumDyH = [Float](repeating: 0, count: c)
        dy.data.withUnsafeBufferPointer { dp in
            xhat.withUnsafeBufferPointer { hp in
                for r in 0..<rows { for ch in 0..<c { sumDy[ch] += dp[r * c + ch]; sumDyH[ch] += dp[r * c + ch] * hp[r * c + ch] } }
            }
        }
        for ch in 0..<c {
            gamma.grad.data[ch] += sumDyH[ch]
            beta.grad.data[ch] += sumDy[ch]
        }
        var dx = Tensor(shape: dy.shape)
        let g = gamma.value.data
        let n = Float(rows)
        dy.data.withUnsafeBufferPointer { dp in
            xhat.withUnsafeBufferPointer { hp in
                dx.data.withUnsafeMutableBufferPointer { dxp in
                    for r in 0..<rows {
                        for ch in 0..<c {
                            let i = r * c + ch
                            let k = g[ch] * invStd[ch]
                            if usedBatchStats {
                                dxp[i] = k * (dp[i] - sumDy[ch] / n - hp[i] * sumDyH[ch] / n)
                            } else {
                                dxp[i] = k * dp[i]  // statistics are constants
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
