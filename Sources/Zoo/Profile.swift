import Kernels
import Layers
import TensorCore

/// Per-layer output shapes, parameter counts and FLOPs (2 × multiply-adds) of one forward
/// pass of a single image at the model's input size, measured by running it.
public struct Profile {
    public struct Row {
        public var name: String
        public var type: String
        public var output: Shape
        public var parameters: Int
        public var flops: Double
    }
    public var rows: [Row]
    public var flops: Double { rows.reduce(0) { $0 + $1.flops } }

    public static func of(_ model: Model) -> Profile {
        let c = model.card.config
        let x = Tensor([1, c.inputSize, c.inputSize, c.inputChannels])
        var rows: [Row] = []
        let ctx = Context(threads: 1)
        func visit(_ layer: Layer, _ name: String, _ input: Tensor) -> Tensor {
            if let seq = layer as? Sequential {
                var h = input
                for child in seq.layers { h = visit(child, name.isEmpty ? child.name : (child.name.isEmpty ? name : name + "." + child.name), h) }
                return h
            }
            let y = layer.forward(input, context: ctx, training: false)
            var flops = 0.0
            if let conv = layer as? Conv2d {
                let g = conv.geometry(inH: input.shape[1], inW: input.shape[2])
                flops = Conv2dKernel(batch: 1, inC: conv.inChannels, outC: conv.outChannels, groups: conv.groups, geometry: g).flops
            } else if let fc = layer as? Linear {
                flops = 2 * Double(fc.inFeatures * fc.outFeatures)
            } else if let t = layer as? ConvTranspose2d {
                flops = 2 * Double(input.count * t.outChannels * t.kernel * t.kernel)
            } else {
                // Residual blocks and other containers: count their convolutions inside.
                flops = layer.namedLayers().compactMap { $0.layer as? Conv2d }.reduce(0) { $0 + ($1.plan?.flops ?? 0) }
            }
            let params = layer.namedParameters().filter { !$0.parameter.isBuffer }.reduce(0) { $0 + $1.parameter.value.count }
            rows.append(Row(name: name, type: String(describing: type(of: layer)), output: y.shape, parameters: params, flops: flops))
            return y
        }
        _ = visit(model.network, "", x)
        return Profile(rows: rows)
    }
}
