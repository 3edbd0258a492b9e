import Kernels
import TensorCore

/// A pointwise activation, any layout. Keeps its input for the backward pass.
public final class Activation: Layer {
    public let name: String
    public let kind: ActivationKind
    var input = Tensor(shape: [0])
    var output = Tensor(shape: [0])

    public init(_ name: String, _ kind: ActivationKind) {
        self.name = name
        self.kind = kind
    }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        if training { input = x }
        prepare(&output, x.shape, training: training)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { kind.forward(xp.baseAddress!, $0.baseAddress!, count: x.count) }
        }
        return output
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        precondition(input.shape == dy.shape, "\(name): backward without a matching training forward")
        var dx = Tensor(uninitialized: dy.shape)
        input.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dp in
                dx.data.withUnsafeMutableBufferPointer {
                    kind.backward(x: xp.baseAddress!, dy: dp.baseAddress!, dx: $0.baseAddress!, count: dy.count)
                }
            }
        }
        return dx
    }
}
