import Layers
import TensorCore

/// Finite-difference gradient checking for layers and losses.
///
/// For a layer f and a fixed random "upstream" tensor r, the scalar L(x, θ) = Σ f(x; θ)·r has
/// ∂L/∂x = backward(r). The checker compares that (and every trainable parameter's
/// accumulated grad) with central differences (L(v + ε) − L(v − ε)) / 2ε at sampled entries.
public struct GradientCheck {
    public var eps: Float = 1e-2
    public var rtol: Float = 2e-2
    public var atol: Float = 5e-3
    /// Entries checked per tensor (sampled without replacement when the tensor is larger).
    public var samples = 24
    public var seed: UInt64 = 99

    public init() {}

    public struct Failure: CustomStringConvertible {
        public var tensor: String
        public var index: Int
        public var analytic: Float
        public var numeric: Float
        public var description: String { "\(tensor)[\(index)]: analytic \(analytic) vs numeric \(numeric)" }
    }

    /// Returns every mismatch (empty when the gradients agree). Each forward runs with a
    /// fresh Context seeded the same way, so layers that draw (dropout) draw identically.
    public func check(_ layer: Layer, input: Tensor, training: Bool = true, threads: Int = 1) -> [Failure] {
        func context() -> Context { Context(threads: threads, seed: seed) }
        var rng = SeededRNG(seed: seed &+ 1)
        let y0 = layer.forward(input, context: context(), training: training)
        let r = Tensor.uniform(y0.shape.dims, -1, 1, rng: &rng)
        func loss(_ x: Tensor) -> Double {
            let y = layer.forward(x, context: context(), training: training)
            var s = 0.0
            for i in 0..<y.count { s += Double(y.data[i]) * Double(r.data[i]) }
            return s
        }
        layer.zeroGradients()
        _ = layer.forward(input, context: context(), training: training)
        let dx = layer.backward(r, context: context())
        let params = layer.namedParameters().filter { !$0.parameter.isBuffer && $0.parameter.trainable }
        let analytic = params.map { $0.parameter.grad }
        var failures: [Failure] = []
        func compare(_ name: String, count: Int, analytic: (Int) -> Float, perturb: (Int, Float) -> Void, eval: () -> Double) {
            var picks = Array(0..<count)
            if count > samples {
                for i in 0..<samples { picks.swapAt(i, i + Int(rng.next() % UInt64(count - i))) }
                picks = Array(picks.prefix(samples))
            }
            for i in picks {
                perturb(i, eps)
                let up = eval()
                perturb(i, -2 * eps)
                let down = eval()
                perturb(i, eps)
                let num = Float((up - down) / Double(2 * eps))
                let a = analytic(i)
                if abs(a - num) > atol + rtol * max(abs(a), abs(num)) {
                    failures.append(Failure(tensor: name, index: i, analytic: a, numeric: num))
                }
            }
        }
        var x = input
        compare("input", count: x.count, analytic: { dx.data[$0] }, perturb: { x.data[$0] += $1 }, eval: { loss(x) })
        for (k, (name, p)) in params.enumerated() {
            compare(name, count: p.value.count, analytic: { analytic[k].data[$0] },
                    perturb: { p.value.data[$0] += $1 }, eval: { loss(input) })
        }
        return failures
    }

    /// Checks a loss's gradient with respect to its predictions.
    public func check(loss: (Tensor) -> LossResult, at prediction: Tensor) -> [Failure] {
        let g = loss(prediction).gradient
        var x = prediction
        var failures: [Failure] = []
        for i in 0..<x.count {
            x.data[i] += eps
            let up = Double(loss(x).value)
            x.data[i] -= 2 * eps
            let down = Double(loss(x).value)
            x.data[i] += eps
            let num = Float((up - down) / Double(2 * eps))
            if abs(g.data[i] - num) > atol * 0.2 + rtol * max(abs(g.data[i]), abs(num)) {
                failures.append(Failure(tensor: "prediction", index: i, analytic: g.data[i], numeric: num))
            }
        }
        return failures
    }
}

/// `count` distinct values spaced `spacing` apart, shuffled: inputs for max pooling and
/// kinked activations whose checks must not cross a kink or swap a maximum.
public func distinctValues(_ count: Int, spacing: Float = 0.05, rng: inout SeededRNG) -> [Float] {
    var v = (0..<count).map { (Float($0) - Float(count) / 2) * spacing }
    v.seededShuffle(using: &rng)
    return v
}
