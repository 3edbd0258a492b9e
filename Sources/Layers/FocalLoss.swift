import Foundation
import TensorCore

/// CenterNet's penalty-reduced pixel-wise focal loss on heat-map logits (Zhou et al. 2019,
/// "Objects as Points", after CornerNet). With p = σ(z) and target t ∈ [0, 1]:
///
/// - at object centres (t == 1 exactly): −(1 − p)^α · log p
/// - elsewhere: −(1 − t)^β · p^α · log(1 − p), so cells near a centre (t close to 1) are
///   penalised less for firing
///
/// summed over every cell and class and divided by max(number of centres, 1).
///
/// The logs are softplus forms, log p = −softplus(−z) and log(1 − p) = −softplus(z), and
/// 1 − p is computed as σ(−z), so saturated logits give finite losses and gradients without
/// clamping (a centre at z → −∞ costs −z with gradient −1). Sums run in Double.
///
/// ```swift
/// let focal = CenterNetFocalLoss()
/// let r = focal(headOutput, targets: heat, channels: 0..<classCount)  // heat (N, H, W, classCount)
/// ```
public struct CenterNetFocalLoss {
    /// The focusing exponent α on (1 − p) at centres and on p elsewhere.
    public var alpha: Float
    /// The exponent β of the penalty reduction (1 − t)^β near centres.
    public var beta: Float

    public init(alpha: Float = 2, beta: Float = 4) {
        self.alpha = alpha
        self.beta = beta
    }

    /// The loss of `output`'s channels `channels` against `targets`.
    /// - Parameters:
    ///   - output: the full head output `(N, H, W, K)`.
    ///   - targets: `(N, H, W, channels.count)`, values in [0, 1], exactly 1 at object centres.
    ///   - channels: the heat-map channels of `output`, within `0..<K`.
    /// - Returns: the loss and ∂loss/∂output, shaped like `output` and zero outside `channels`.
    public func callAsFunction(_ output: Tensor, targets: Tensor, channels: Range<Int>) -> LossResult {
        precondition(output.shape.rank == 4, "head output must be (N, H, W, K), got \(output.shape)")
        let k = output.shape[3], c = channels.count
        precondition(channels.lowerBound >= 0 && channels.upperBound <= k, "channels \(channels) outside 0..<\(k)")
        precondition(targets.shape == Shape([output.shape[0], output.shape[1], output.shape[2], c]),
                     "targets \(targets.shape) for output \(output.shape) and \(c) channels")
        let cells = output.shape[0] * output.shape[1] * output.shape[2]
        let a = Double(alpha), b = Double(beta)
        let positives = targets.data.reduce(0) { $1 == 1 ? $0 + 1 : $0 }
        let scale = 1 / Double(max(positives, 1))
        var grad = Tensor(shape: output.shape)
        var total = 0.0
        output.data.withUnsafeBufferPointer { zp in
            targets.data.withUnsafeBufferPointer { tp in
                grad.data.withUnsafeMutableBufferPointer { gp in
                    for cell in 0..<cells {
                        for ch in 0..<c {
                            let o = cell * k + channels.lowerBound + ch
                            let z = Double(zp[o]), t = Double(tp[cell * c + ch])
                            // One exponential serves σ(z), 1 − σ(z) = σ(−z) and both softplus terms.
                            let e = exp(-abs(z)), r = 1 / (1 + e), l = log1p(e)
                            let p = z >= 0 ? r : e * r         // σ(z)
                            let q = z >= 0 ? e * r : r         // 1 − p, accurate when p ≈ 1
                            if t == 1 {
                                // L = (1 − p)^α · softplus(−z);  ∂L/∂z = −(1 − p)^α · [α·p·softplus(−z) + (1 − p)]
                                let sp = max(-z, 0) + l, qa = power(q, a)
                                total += qa * sp
                                gp[o] = Float(-qa * (a * p * sp + q) * scale)
                            } else {
                                // L = (1 − t)^β · p^α · softplus(z);  ∂L/∂z = (1 − t)^β · p^α · [α·(1 − p)·softplus(z) + p]
                                let sp = max(z, 0) + l, w = power(1 - t, b) * power(p, a)
                                total += w * sp
                                gp[o] = Float(w * (a * q * sp + p) * scale)
                            }
                        }
                    }
                }
            }
        }
        return LossResult(value: Float(total * scale), gradient: grad)
    }
}

/// xᵉ, with the default exponents 2 and 4 as plain products.
@inline(__always)
private func power(_ x: Double, _ e: Double) -> Double {
    if e == 2 { return x * x }
    if e == 4 { let s = x * x; return s * s }
    return pow(x, e)
}
