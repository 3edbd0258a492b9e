import TensorCore

/// `(N, …)` → `(N, product of the rest)`. NHWC order: (h, w, c) with c fastest — note that
/// PyTorch flattens NCHW as (c, h, w), so imported weights after a flatten need permuting.
public final class Flatten: Layer {
    public let name: String
    var inShape = Shape([0])

    public init(_ name: String) { self.name = name }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        inShape = x.shape
        return x.reshaped([x.shape[0], x.count / max(x.shape[0], 1)])
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor { dy.reshaped(inShape.dims) }
}
