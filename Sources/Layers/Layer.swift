import TensorCore

/// A differentiable step of a network.
///
/// Lifecycle: `forward` computes the output (and, when `training`, keeps what `backward`
/// needs); `backward` takes ∂L/∂output, accumulates ∂L/∂parameter into each parameter's
/// `grad`, and returns ∂L/∂input. Images flow as NHWC `(N, H, W, C)`; classifier heads as
/// `(N, F)`.
///
/// Layers are named; containers join names with "." so that a parameter reads like
/// `layer3.1.conv2.weight`, the same as torchvision's state-dict keys.
public protocol Layer: AnyObject {
    var name: String { get }
    /// Sublayers, for containers; empty for leaves.
    var children: [Layer] { get }
    /// This layer's own tensors (weights, and running statistics as buffers).
    var parameters: [Parameter] { get }
    func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor
    func backward(_ dy: Tensor, context: Context) -> Tensor
}

extension Layer {
    public var children: [Layer] { [] }
    public var parameters: [Parameter] { [] }

    /// Every parameter and buffer below this layer, with full dotted names, in order.
    public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var out: [(String, Parameter)] = []
        for p in parameters { out.append((prefix.isEmpty ? p.name : prefix + "." + p.name, p)) }
        for c in children {
            let sub = prefix.isEmpty ? c.name : (c.name.isEmpty ? prefix : prefix + "." + c.name)
            out += c.namedParameters(prefix: sub)
        }
        return out
    }

    /// Every layer below (and including) this one with its full dotted name, depth first.
    public func namedLayers(prefix: String = "") -> [(name: String, layer: Layer)] {
        var out: [(String, Layer)] = [(prefix, self)]
        for c in children {
            let sub = prefix.isEmpty ? c.name : (c.name.isEmpty ? prefix : prefix + "." + c.name)
            out += c.namedLayers(prefix: sub)
        }
        return out
    }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients() {
        for (_, p) in namedParameters() where !p.isBuffer { p.zeroGrad() }
    }

    /// Marks parameters trainable or frozen by a predicate on their full names.
    public func setTrainable(_ trainable: Bool, where match: (String) -> Bool) {
        for (n, p) in namedParameters() where !p.isBuffer && match(n) { p.trainable = trainable }
    }
}

/// A named tensor owned by a layer, with its gradient.
public final class Parameter {
    public let name: String
    public var value: Tensor
    public var grad: Tensor
    /// Frozen parameters still receive gradients in `grad` but optimizers skip them.
    public var trainable: Bool
    /// Running statistics and similar state: saved with the model, never trained.
    public let isBuffer: Bool
    /// Multiplies the optimizer's learning rate for this parameter (e.g. 0.1 for a pretrained
    /// backbone fine-tuned under a fresh head).
    public var learningRateScale: Float = 1

    public init(_ name: String, _ value: Tensor, isBuffer: Bool = false) {
        self.name = name
        self.value = value
        self.grad = isBuffer ? Tensor(shape: [0]) : Tensor(shape: value.shape)
        self.trainable = !isBuffer
        self.isBuffer = isBuffer
    }

    public func zeroGrad() {
        grad.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

/// An output buffer for a forward pass, which the caller fully overwrites. In inference the
/// previous buffer is reused when it has `shape` (nobody else holds it, so no allocation after
/// the first call). In training the next layer keeps the previous output for its backward
/// pass, so writing into it would first copy it: a fresh buffer is cheaper.
@inline(__always)
func prepare(_ t: inout Tensor, _ shape: Shape, training: Bool) {
    if training || t.shape != shape { t = Tensor(uninitialized: shape) }
}

/// Kaiming-uniform initialisation bound for a fan-in (PyTorch's default for conv and linear).
func kaimingBound(fanIn: Int) -> Float { 1 / Float(max(fanIn, 1)).squareRoot() }
