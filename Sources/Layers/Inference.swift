import Kernels
import TensorCore

extension Layer {
    /// Rewrites this network for inference, in place: every BatchNorm that directly follows
    /// a convolution in a Sequential is folded into that convolution's weight and bias, and a
    /// pointwise activation that follows is fused into the convolution's output pass.
    /// Afterwards the model must only be run with `training: false`. Parameter names of
    /// the folded BatchNorms disappear; the convolutions keep theirs.
    ///
    /// Gradient buffers are released: an inference model keeps none.
    ///
    /// Returns the number of (BatchNorm, activation) layers removed.
    @discardableResult
    public func fuseForInference() -> (batchNorms: Int, activations: Int) {
        defer { for (_, p) in namedParameters() where !p.isBuffer { p.grad = Tensor(shape: [0]) } }
        var folded = 0, fused = 0
        for c in children { let r = c.fuseForInference(); folded += r.batchNorms; fused += r.activations }
        guard let seq = self as? Sequential else { return (folded, fused) }
        var drop = Set<ObjectIdentifier>()
        var i = 0
        let layers = seq.layers
        while i < layers.count {
            if let conv = layers[i] as? Conv2d, conv.fusedActivation == nil {
                var j = i + 1
                if j < layers.count, let bn = layers[j] as? BatchNorm2d {
                    conv.fold(bn)
                    drop.insert(ObjectIdentifier(bn))
                    folded += 1
                    j += 1
                }
                if j < layers.count, let act = layers[j] as? Activation {
                    conv.fusedActivation = act.kind
                    drop.insert(ObjectIdentifier(act))
                    fused += 1
                    j += 1
                }
                i = j
            } else {
                i += 1
            }
        }
        seq.removeAll { drop.contains(ObjectIdentifier($0)) }
        return (folded, fused)
    }
}
