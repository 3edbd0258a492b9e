import Layers
import TensorCore

/// A network cut into the longest prefix with nothing to train (run in inference mode: no
/// stored activations, no backward, BatchNorm on running statistics) and the rest (trained).
/// Descends into Sequentials, so unfreezing from `features.14` leaves `features.0…13` in the
/// frozen part. A Dropout also ends the prefix: it must draw its mask in training mode even
/// when nothing before the head trains (MobileNetV2's `classifier.0`). Both parts share the
/// original layer objects.
public struct FrozenSplit {
    public let frozen: Sequential
    public let trained: Sequential

    public init(_ network: Sequential) {
        var frozen: [Layer] = []
        var trained: [Layer] = []
        func walk(_ layers: [Layer]) -> Bool {
            for (i, l) in layers.enumerated() {
                if !hasTrainable(l) && !(l is Dropout) {
                    frozen.append(l)
                    continue
                }
                if let s = l as? Sequential { _ = walk(s.layers) } else { trained.append(l) }
                trained += layers[(i + 1)...]
                return true
            }
            return false
        }
        _ = walk(network.layers)
        self.frozen = Sequential("", frozen)
        self.trained = Sequential("", trained)
    }

    public var isEmpty: Bool { trained.layers.isEmpty }
}

/// Whether any parameter below `layer` will be updated, or it holds a Dropout that must run
/// in training mode.
func hasTrainable(_ layer: Layer) -> Bool {
    layer.namedParameters().contains { !$0.parameter.isBuffer && $0.parameter.trainable }
        || layer.namedLayers().contains { ($0.layer as? Dropout).map { $0.p > 0 } ?? false }
}
