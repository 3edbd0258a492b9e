import TensorCore

/// Layers applied in order. The container's name prefixes its children's names.
public final class Sequential: Layer {
    public let name: String
    public private(set) var layers: [Layer]

    public init(_ name: String, _ layers: [Layer]) {
        self.name = name
        self.layers = layers
    }

    public var children: [Layer] { layers }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        var h = x
        for l in layers { h = l.forward(h, context: context, training: training) }
        return h
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        var g = dy
        for l in layers.reversed() { g = l.backward(g, context: context) }
        return g
    }

    /// Runs up to and including the layer with local name `stop`, or all layers.
    public func forward(_ x: Tensor, upTo stop: String, context: Context) -> Tensor {
        var h = x
        for l in layers {
            h = l.forward(h, context: context, training: false)
            if l.name == stop { break }
        }
        return h
    }

    /// Replaces the layer at `index` (e.g. a new classifier head).
    public func replace(at index: Int, with layer: Layer) { layers[index] = layer }

    /// Removes layers for which `drop` says so (used by inference fusion).
    func removeAll(where drop: (Layer) -> Bool) { layers.removeAll(where: drop) }
}
