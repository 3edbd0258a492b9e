import CKernels
import Foundation

/// The code CKernels fuses into its stores for `kind`, or nil when it has none for it.
@inline(__always)
func fusedActivationCode(_ kind: ActivationKind?) -> Int32? {
    switch kind {
    case nil: return 0
    case .relu?: return 1
    case .relu6?: return 2
    default: return nil
    }
}

/// y = act(a + b) over `count` values (y may alias a or b): a residual sum and its activation
/// in one vectorised pass.
public func addActivate(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
                        activation: ActivationKind?) {
    if let code = fusedActivationCode(activation) {
        vigil_add_act(a, b, y, count, code)
    } else {
        vigil_add_act(a, b, y, count, 0)
        activation!.forward(y, y, count: count)
    }
}

/// Which vectorised code CKernels runs on this CPU: "avx512", "avx2" or "baseline".
public var vectorKernelLevel: String { String(cString: vigil_kernels_level()) }

/// Pointwise activation functions with their derivatives, on raw buffers.
public enum ActivationKind: Sendable, Equatable, Hashable, Codable {
    case relu
    case relu6
    case leakyRelu(slope: Float)
    case sigmoid
    case tanh
    /// x · ReLU6(x + 3) / 6 (MobileNetV3).
    case hardswish
    /// x · σ(x), also called swish (EfficientNet).
    case silu

    @inline(__always)
    static func sigmoidf(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

    /// y = f(x) for `count` values (x and y may be the same buffer).
    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu: for i in 0..<count { y[i] = max(x[i], 0) }
        case .relu6: for i in 0..<count { y[i] = min(max(x[i], 0), 6) }
        case .leakyRelu(let a): for i in 0..<count { y[i] = x[i] >= 0 ? x[i] : a * x[i] }
        case .sigmoid: for i in 0..<count { y[i] = Self.sigmoidf(x[i]) }
        case .tanh: for i in 0..<count { y[i] = Foundation.tanh(x[i]) }
        case .hardswish: for i in 0..<count { let v = x[i]; y[i] = v * min(max(v + 3, 0), 6) / 6 }
        case .silu: for i in 0..<count { let v = x[i]; y[i] = v * Self.sigmoidf(v) }
        }
    }

    /// dx = dy · f′(x), from the activation's input x.
    public func backward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        // dy is loaded before the select: a load inside it would be conditional and keep the
        // loop scalar.
        case .relu: for i in 0..<count { let g = dy[i]; dx[i] = x[i] > 0 ? g : 0 }
        case .relu6: for i in 0..<count { let v = x[i], g = dy[i]; dx[i] = v > 0 ? (v < 6 ? g : 0) : 0 }
        case .leakyRelu(let a): for i in 0..<count { let g = dy[i]; dx[i] = x[i] >= 0 ? g : a * g }
        case .sigmoid: for i in 0..<count { let s = Self.sigmoidf(x[i]); dx[i] = dy[i] * s * (1 - s) }
        case .tanh: for i in 0..<count { let t = Foundation.tanh(x[i]); dx[i] = dy[i] * (1 - t * t) }
        case .hardswish:
            for i in 0..<count {
                let v = x[i]
                dx[i] = v < -3 ? 0 : (v > 3 ? dy[i] : dy[i] * (2 * v + 3) / 6)
            }
        case .silu:
            for i in 0..<count {
                let s = Self.sigmoidf(x[i])
                dx[i] = dy[i] * s * (1 + x[i] * (1 - s))
            }
        }
    }

    public var name: String {
        switch self {
        case .relu: return "relu"
        case .relu6: return "relu6"
        case .leakyRelu(let a): return "leaky_relu(\(a))"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .hardswish: return "hardswish"
        case .silu: return "silu"
        }
    }
}
