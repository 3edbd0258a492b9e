import Foundation

/// A learning rate as a function of the step (0-based). Pure: the same step always gives
/// the same rate, so a resumed run continues on the same curve.
public enum Schedule: Sendable, Equatable, Codable {
    case constant(Float)
    /// base · gamma^(⌊step / every⌋)
    case step(base: Float, every: Int, gamma: Float)
    /// Cosine from base to `floor` over `total` steps, then `floor`.
    case cosine(base: Float, total: Int, floor: Float)
    /// Linear warm-up from 0 to the inner schedule's value over `steps`, then the inner schedule
    /// (counted from the start of training).
    indirect case warmup(steps: Int, then: Schedule)
    /// One-cycle (Smith): cosine from max/div up to max over `pct` of `total`, then cosine down
    /// to max/(div·finalDiv) — PyTorch's OneCycleLR with cos annealing.
    case oneCycle(max: Float, total: Int, pct: Float, div: Float, finalDiv: Float)

    public func rate(at step: Int) -> Float {
        func cosInterp(_ a: Float, _ b: Float, _ t: Float) -> Float { b + (a - b) * (1 + cos(Float.pi * min(max(t, 0), 1))) / 2 }
        switch self {
        case .constant(let r): return r
        case .step(let base, let every, let gamma): return base * pow(gamma, Float(step / max(every, 1)))
        case .cosine(let base, let total, let floor): return cosInterp(base, floor, Float(step) / Float(max(total, 1)))
        case .warmup(let steps, let inner):
            return step < steps ? inner.rate(at: step) * Float(step + 1) / Float(steps) : inner.rate(at: step)
        case .oneCycle(let mx, let total, let pct, let div, let finalDiv):
            let initial = mx / div, final = initial / finalDiv
            let up = max(Float(total) * pct - 1, 1)
            let s = Float(step)
            if s <= up { return cosInterp(initial, mx, s / up) }
            return cosInterp(mx, final, (s - up) / max(Float(total) - 1 - up, 1))
        }
    }
}
