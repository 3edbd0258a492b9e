import Layers
import TensorCore

extension Model {
    /// The name of the default feature layer: the first global pooling at the top of the
    /// network (the pooled penultimate features, before any classifier).
    public var defaultFeatureLayer: String? {
        network.namedLayers().first { $0.layer is GlobalAvgPool }?.name
    }

    /// Names of the layers whose output `forward(_:upTo:)` can return: every layer reached by
    /// walking Sequentials (blocks such as Residual count as one layer).
    public var featureLayerNames: [String] {
        var out: [String] = []
        func walk(_ seq: Sequential, _ prefix: String) {
            for l in seq.layers {
                let name = prefix.isEmpty ? l.name : (l.name.isEmpty ? prefix : prefix + "." + l.name)
                out.append(name)
                if let s = l as? Sequential { walk(s, name) }
            }
        }
        walk(network, "")
        return out
    }

    /// Runs the network (inference) and returns the output of the layer named `layer`
    /// (a full dotted name from `featureLayerNames`), or nil when there is no such layer.
    public func forward(_ x: Tensor, upTo layer: String, context: Context) -> Tensor? {
        func run(_ seq: Sequential, _ prefix: String, _ input: Tensor) -> (Tensor, Bool) {
            var h = input
            for l in seq.layers {
                let name = prefix.isEmpty ? l.name : (l.name.isEmpty ? prefix : prefix + "." + l.name)
                if let s = l as? Sequential, layer.hasPrefix(name + ".") {
                    let (out, found) = run(s, name, h)
                    if found { return (out, true) }
                    h = out
                } else {
                    h = l.forward(h, context: context, training: false)
                }
                if name == layer { return (h, true) }
            }
            return (h, false)
        }
        let (out, found) = run(network, "", x)
        return found ? out : nil
    }
}

extension Model {
    /// One inference pass that returns the outputs of several layers (full dotted names from
    /// `featureLayerNames`), stopping after the last of them. Missing names are absent.
    public func forward(_ x: Tensor, capturing layers: Set<String>, context: Context) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        func run(_ seq: Sequential, _ prefix: String, _ input: Tensor) -> Tensor {
            var h = input
            for l in seq.layers {
                if out.count == layers.count { return h }
                let name = prefix.isEmpty ? l.name : (l.name.isEmpty ? prefix : prefix + "." + l.name)
                if let s = l as? Sequential, layers.contains(where: { $0.hasPrefix(name + ".") }) {
                    h = run(s, name, h)
                } else {
                    h = l.forward(h, context: context, training: false)
                }
                if layers.contains(name) { out[name] = h }
            }
            return h
        }
        _ = run(network, "", x)
        return out
    }
}
