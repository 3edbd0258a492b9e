import Foundation
import TensorCore

/// Softmax cross-entropy on logits `(N, K)` and integer labels, PyTorch semantics:
/// target q = (1 − ε)·onehot + ε/K (label smoothing ε), per-sample loss −Σ_k w_k q_k log p_k,
/// averaged with Σ_i w_{y_i} as the denominator (class weights w, default 1).
public struct SoftmaxCrossEntropy {
    public var classWeights: [Float]?
    public var labelSmoothing: Float

    public init(classWeights: [Float]? = nil, labelSmoothing: Float = 0) {
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing must be in [0, 1)")
        self.classWeights = classWeights
        self.labelSmoothing = labelSmoothing
    }

    public func callAsFunction(_ logits: Tensor, labels: [Int]) -> LossResult {
        precondition(logits.shape.rank == 2 && logits.shape[0] == labels.count, "logits \(logits.shape) for \(labels.count) labels")
        let n = labels.count, k = logits.shape[1]
        if let w = classWeights { precondition(w.count == k, "need one class weight per class") }
        var grad = Tensor(shape: logits.shape)
        var total = 0.0, denom = 0.0
        let eps = labelSmoothing
        var p = [Float](repeating: 0, count: k)
        for i in 0..<n {
            let y = labels[i]
            precondition(y >= 0 && y < k, "label \(y) out of range 0..<\(k)")
            logits.data.withUnsafeBufferPointer { lp in
                p.withUnsafeMutableBufferPointer { Softmax.apply(lp.baseAddress! + i * k, $0.baseAddress!, k: k) }
            }
            var wq = 0.0  // Σ_k w_k q_k
            for j in 0..<k {
                let q = Double((j == y ? 1 - eps : 0) + eps / Float(k))
                let wj = Double(classWeights?[j] ?? 1)
                if q > 0 { total -= wj * q * log(max(Double(p[j]), 1e-45)) }
                wq += wj * q
            }
            denom += Double(classWeights?[y] ?? 1)
            for j in 0..<k {
                let q = Double((j == y ? 1 - eps : 0) + eps / Float(k))
                grad.data[i * k + j] = Float(Double(p[j]) * wq - Double(classWeights?[j] ?? 1) * q)
            }
        }
        let scale = denom > 0 ? 1 / denom : 0
        for i in 0..<grad.count { grad.data[i] = Float(Double(grad.data[i]) * scale) }
        return LossResult(value: Float(total * scale), gradient: grad)
    }
}

/// Binary cross-entropy on logits (any shape), averaged over all elements:
/// l = max(z, 0) − z·t + log(1 + e^{−|z|}); ∂l/∂z = σ(z) − t. `positiveWeight` scales the
/// positive term as PyTorch's pos_weight.
public struct BCEWithLogits {
    public var positiveWeight: Float
    public init(positiveWeight: Float = 1) { self.positiveWeight = positiveWeight }

    public func callAsFunction(_ logits: Tensor, targets: Tensor) -> LossResult {
        precondition(logits.shape == targets.shape, "logits \(logits.shape) vs targets \(targets.shape)")
        var grad = Tensor(shape: logits.shape)
        var total = 0.0
        let n = Float(logits.count), pw = positiveWeight
        for i in 0..<logits.count {
            let z = logits.data[i], t = targets.data[i]
            // −[pw·t·log σ(z) + (1 − t)·log(1 − σ(z))], with log σ(z) = −softplus(−z).
            let spNeg = max(-z, 0) + log1p(exp(-abs(z)))   // softplus(−z) = −log σ(z)
            let spPos = spNeg + z                            // softplus(z) = −log(1 − σ(z))
            total += Double(pw * t * spNeg + (1 - t) * spPos)
            let s = 1 / (1 + exp(-z))
            grad.data[i] = (pw * t * (s - 1) + (1 - t) * s) / n
        }
        return LossResult(value: Float(total / Double(n)), gradient: grad)
    }
}

/// Mean squared error over all elements.
public struct MSELoss {
    public init() {}
    public func callAsFunction(_ y: Tensor, targets: Tensor) -> LossResult {
        precondition(y.shape == targets.shape, "prediction \(y.shape) vs targets \(targets.shape)")
        var grad = Tensor(shape: y.shape)
        var total = 0.0
        let n = Float(y.count)
        for i in 0..<y.count {
            let d = y.data[i] - targets.data[i]
            total += Double(d * d)
            grad.data[i] = 2 * d / n
        }
        return LossResult(value: Float(total / Double(n)), gradient: grad)
    }
}

/// Mean absolute error over all elements (subgradient 0 at equality).
public struct L1Loss {
    public init() {}
    public func callAsFunction(_ y: Tensor, targets: Tensor) -> LossResult {
        precondition(y.shape == targets.shape, "prediction \(y.shape) vs targets \(targets.shape)")
        var grad = Tensor(shape: y.shape)
        var total = 0.0
        let n = Float(y.count)
        for i in 0..<y.count {
            let d = y.data[i] - targets.data[i]
            total += Double(abs(d))
            grad.data[i] = (d > 0 ? 1 : (d < 0 ? -1 : 0)) / n
        }
        return LossResult(value: Float(total / Double(n)), gradient: grad)
    }
}
