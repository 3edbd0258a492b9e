import TensorCore

/// Inverted dropout: in training, zero each value with probability p and scale the rest by
/// 1/(1 − p); identity in evaluation. Draws from the Context's seeded generator.
public final class Dropout: Layer {
    public let name: String
    public let p: Float
    var mask: [Float] = []

    public init(_ name: String, p: Float) {
        precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1)")
        self.name = name
        self.p = p
    }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        guard training && p > 0 else { mask = []; return x }
        let keep = 1 / (1 - p)
        mask = (0..<x.count).map { _ in context.rng.unit() < p ? 0 : keep }
        var y = x
        for i in 0..<y.count { y.data[i] *= mask[i] }
        return y
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        guard !mask.isEmpty else { return dy }
        var dx = dy
        for i in 0..<dx.count { dx.data[i] *= mask[i] }
        return dx
    }
}
