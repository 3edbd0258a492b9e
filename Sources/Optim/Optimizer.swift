import Foundation
import Layers
import TensorCore

/// Updates a model's trainable parameters from their accumulated gradients.
///
/// Optimizers keep per-parameter state (momentum, moments) keyed by the parameter's full
/// name, so `state()` / `load(_:)` round-trip exactly and training can resume bit-for-bit.
public protocol Optimizer: AnyObject {
    /// The learning rate for the next step (schedules set it before each step).
    var learningRate: Float { get set }
    /// Number of steps taken.
    var step: Int { get }
    /// Applies one update to every trainable parameter of `model`.
    func update(_ model: Layer)
    /// Everything needed to continue exactly: step count and per-parameter buffers.
    func state() -> OptimizerState
    func load(_ state: OptimizerState) throws
}

/// Serializable optimizer state.
public struct OptimizerState: Codable, Equatable, Sendable {
    public var kind: String
    public var step: Int
    public var learningRate: Float
    /// Buffers by "parameterName/slot" (e.g. "layer1.0.conv1.weight/m").
    public var buffers: [String: [Float]]

    public init(kind: String, step: Int, learningRate: Float, buffers: [String: [Float]]) {
        self.kind = kind
        self.step = step
        self.learningRate = learningRate
        self.buffers = buffers
    }
}

public struct OptimizerStateError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Parameters an optimizer updates: trainable, not buffers, with their names.
func trainable(_ model: Layer) -> [(String, Parameter)] {
    model.namedParameters().filter { !$0.parameter.isBuffer && $0.parameter.trainable }.map { ($0.name, $0.parameter) }
}

/// Clips gradients so that their global L2 norm (over every trainable parameter) is at most
/// `maxNorm`; returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ model: Layer, maxNorm: Float) -> Float {
    let params = trainable(model)
    var sq = 0.0
    for (_, p) in params { for g in p.grad.data { sq += Double(g) * Double(g) } }
    let norm = Float(sq.squareRoot())
    if norm > maxNorm && norm > 0 {
        let s = maxNorm / (norm + 1e-6)
        for (_, p) in params { for i in 0..<p.grad.count { p.grad.data[i] *= s } }
    }
    return norm
}

/// Stochastic gradient descent with momentum (PyTorch's form: v = μ·v + g; Nesterov uses
/// g + μ·v) and L2 weight decay added to the gradient.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public private(set) var step = 0
    var velocity: [String: [Float]] = [:]

    public init(learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || momentum > 0, "Nesterov needs momentum")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func update(_ model: Layer) {
        step += 1
        let (mu, wd, nesterov) = (momentum, weightDecay, self.nesterov)
        for (name, p) in trainable(model) {
            let n = p.value.count
            let lr = learningRate * p.learningRateScale
            let first = velocity[name] == nil
            if momentum > 0 && first { velocity[name] = [Float](repeating: 0, count: n) }
            p.grad.data.withUnsafeBufferPointer { gp in
                p.value.data.withUnsafeMutableBufferPointer { wp in
                    guard mu > 0 else {
                        for i in 0..<n { wp[i] -= lr * (gp[i] + wd * wp[i]) }
                        return
                    }
                    // Mutating the dictionary's own storage in place: no copy of the buffer per step.
                    velocity[name]!.withUnsafeMutableBufferPointer { vp in
                        for i in 0..<n {
                            var g = gp[i] + wd * wp[i]
                            vp[i] = first ? g : mu * vp[i] + g  // PyTorch starts the buffer at g
                            g = nesterov ? g + mu * vp[i] : vp[i]
                            wp[i] -= lr * g
                        }
                    }
                }
            }
        }
    }

    public func state() -> OptimizerState {
        OptimizerState(kind: "sgd", step: step, learningRate: learningRate,
                       buffers: velocity.reduce(into: [:]) { $0[$1.key + "/momentum"] = $1.value })
    }

    public func load(_ s: OptimizerState) throws {
        guard s.kind == "sgd" else { throw OptimizerStateError(message: "state is for \(s.kind), not sgd") }
        step = s.step
        learningRate = s.learningRate
        velocity = [:]
        for (k, v) in s.buffers {
            guard k.hasSuffix("/momentum") else { throw OptimizerStateError(message: "unknown sgd buffer \(k)") }
            velocity[String(k.dropLast(9))] = v
        }
    }
}

/// Adam (Kingma & Ba) with bias correction. `decoupled` gives AdamW (Loshchilov & Hutter):
/// weight decay shrinks the weights directly (w −= lr·wd·w) instead of entering the gradient.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    public let weightDecay: Float
    public let decoupled: Bool
    public private(set) var step = 0
    var m: [String: [Float]] = [:], v: [String: [Float]] = [:]

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupled: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    /// AdamW with PyTorch's default weight decay 0.01.
    public static func adamW(learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Adam {
        Adam(learningRate: learningRate, weightDecay: weightDecay, decoupled: true)
    }

    var kind: String { decoupled ? "adamw" : "adam" }

    public func update(_ model: Layer) {
        step += 1
        let c1 = 1 - pow(beta1, Float(step)), c2 = 1 - pow(beta2, Float(step))
        let (b1, b2, eps, wd, decoupled) = (beta1, beta2, epsilon, weightDecay, self.decoupled)
        for (name, p) in trainable(model) {
            let n = p.value.count
            if m[name] == nil { m[name] = [Float](repeating: 0, count: n); v[name] = [Float](repeating: 0, count: n) }
            let lr = learningRate * p.learningRateScale
            p.grad.data.withUnsafeBufferPointer { gp in
                p.value.data.withUnsafeMutableBufferPointer { wp in
                    m[name]!.withUnsafeMutableBufferPointer { mp in
                        v[name]!.withUnsafeMutableBufferPointer { vp in
                            for i in 0..<n {
                                var g = gp[i]
                                if decoupled { wp[i] -= lr * wd * wp[i] } else { g += wd * wp[i] }
                                mp[i] = b1 * mp[i] + (1 - b1) * g
                                vp[i] = b2 * vp[i] + (1 - b2) * g * g
                                let mHat = mp[i] / c1, vHat = vp[i] / c2
                                wp[i] -= lr * mHat / (vHat.squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    public func state() -> OptimizerState {
        var b: [String: [Float]] = [:]
        for (k, x) in m { b[k + "/m"] = x }
        for (k, x) in v { b[k + "/v"] = x }
        return OptimizerState(kind: kind, step: step, learningRate: learningRate, buffers: b)
    }

    public func load(_ s: OptimizerState) throws {
        guard s.kind == kind else { throw OptimizerStateError(message: "state is for \(s.kind), not \(kind)") }
        step = s.step
        learningRate = s.learningRate
        m = [:]; v = [:]
        for (k, x) in s.buffers {
            if k.hasSuffix("/m") { m[String(k.dropLast(2))] = x } else if k.hasSuffix("/v") { v[String(k.dropLast(2))] = x } else {
                throw OptimizerStateError(message: "unknown \(kind) buffer \(k)")
            }
        }
    }
}
