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
        let kind = self.kind
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                context.parallelRanges(x.count) { r in
                    kind.forward(xp.baseAddress! + r.lowerBound, yp.baseAddress! + r.lowerBound, count: r.count)
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        precondition(input.shape == dy.shape, "\(name): backward without a matching training forward")
        var dx = Tensor(uninitialized: dy.shape)
        input.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dp in
                dx.data.withUnsafeMutableBufferPointer { dxp in
                    context.parallelRanges(dy.count) { [kind] r in
                        kind.backward(x: xp.baseAddress! + r.lowerBound, dy: dp.baseAddress! + r.lowerBound,
                                      dx: dxp.baseAddress! + r.lowerBound, count: r.count)
                    }
                }
            }
        }
        return dx
    }
}
