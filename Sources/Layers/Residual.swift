import Kernels
import TensorCore

/// y = act(body(x) + shortcut(x)), where a missing shortcut is the identity and a missing
/// activation is none: ResNet's basic and bottleneck blocks (shortcut = 1×1 conv + BN when
/// the shape changes, post-activation ReLU) and MobileNetV2's inverted residual (identity,
/// no activation) are both this layer.
public final class Residual: Layer {
    public let name: String
    public let body: Layer
    public let shortcut: Layer?
    public let activation: ActivationKind?
    var sum = Tensor(shape: [0])
    var output = Tensor(shape: [0])

    /// Children are named by the body's and shortcut's own names; give the body an empty
    /// name to put its layers directly under this block (torchvision's `layer1.0.conv1`).
    public init(_ name: String, body: Layer, shortcut: Layer? = nil, activation: ActivationKind? = nil) {
        self.name = name
        self.body = body
        self.shortcut = shortcut
        self.activation = activation
    }

    public var children: [Layer] { shortcut.map { [body, $0] } ?? [body] }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        let b = body.forward(x, context: context, training: training)
        let s = shortcut?.forward(x, context: context, training: training) ?? x
        precondition(b.shape == s.shape, "\(name): body gives \(b.shape), shortcut \(s.shape)")
        // Inference: sum and activation in one pass; training keeps the sum for backward.
        if !training, let act = activation {
            prepare(&output, b.shape, training: false)
            Self.add(b, s, into: &output, activation: act)
            return output
        }
        prepare(&sum, b.shape, training: training)
        Self.add(b, s, into: &sum, activation: nil)
        guard let act = activation else { return sum }
        prepare(&output, sum.shape, training: training)
        sum.data.withUnsafeBufferPointer { sp in
            output.data.withUnsafeMutableBufferPointer { act.forward(sp.baseAddress!, $0.baseAddress!, count: sp.count) }
        }
        return output
    }

    static func add(_ b: Tensor, _ s: Tensor, into o: inout Tensor, activation: ActivationKind?) {
        o.data.withUnsafeMutableBufferPointer { op in
            b.data.withUnsafeBufferPointer { bp in
                s.data.withUnsafeBufferPointer { sp in
                    addActivate(bp.baseAddress!, sp.baseAddress!, op.baseAddress!, count: op.count, activation: activation)
                }
            }
        }
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        var g = dy
        if let act = activation {
            g = Tensor(shape: dy.shape)
            sum.data.withUnsafeBufferPointer { sp in
                dy.data.withUnsafeBufferPointer { dp in
                    g.data.withUnsafeMutableBufferPointer { act.backward(x: sp.baseAddress!, dy: dp.baseAddress!, dx: $0.baseAddress!, count: dp.count) }
                }
            }
        }
        var dx = body.backward(g, context: context)
        let ds = shortcut?.backward(g, context: context) ?? g
        for i in 0..<dx.count { dx.data[i] += ds.data[i] }
        return dx
    }
}
