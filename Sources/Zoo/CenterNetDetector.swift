import Foundation
import Checkpoint
import Kernels
import Layers
import TensorCore

/// A single-shot, anchor-free object detector in the CenterNet style (Zhou et al. 2019,
/// "Objects as Points") on MobileNetV2: `mobilenet_v2_detect`.
///
/// ```
/// image (N, H, W, 3) ─ features.0…6 ─► stride 8, 32 ch ─ neck.shallow (1×1, 64) ─┐
///                         └ features.7…13 ─► stride 16, 96 ch ─ neck.deep (1×1, 64) ─ ×2 ─ + ─ neck.smooth ─┐
///                                                                                        head.heat (C) ┐   │
///                                                                                        head.box  (4) ┴ ◄─┘
/// output (N, H/8, W/8, C + 4)
/// ```
///
/// Per cell of the stride-8 grid the output holds C heat-map logits (σ of one is the chance
/// that an object of that class is centred in the cell) and four box regressions in cell
/// units: the centre's offset (ox, oy) from the cell's corner and the log width and height.
/// The backbone's names are torchvision's (`features.N…`), so the pretrained ImageNet
/// weights load onto it unchanged; the stride-32 blocks are left out (their receptive field
/// adds little for signs of at most a third of the frame, and they are a third of the cost).
///
/// Inputs may be any size; sides that are not multiples of 16 are handled by cropping the
/// upsampled stride-16 map to the stride-8 grid.
public final class CenterNetDetector: Layer {
    public let name = ""
    public let numClasses: Int
    /// Output stride in input pixels.
    public let stride = 8
    // Public for graph exporters, which write the same wiring in their own terms.
    public let shallow: Sequential
    public let deep: Sequential
    public let neckShallow: Sequential
    public let neckDeep: Sequential
    public let upsample: Upsample
    public let smooth: Sequential
    let neck: Sequential
    public let head: Concat
    /// Training: the first this many backbone layers (`features.0` …) run on their running
    /// statistics and receive no gradient — backward stops above them, which saves their
    /// (high-resolution, costly) backward pass. 0 trains the whole network.
    public var frozenLayers = 0
    // Shapes kept for backward.
    var inputShape = Shape([0])
    var upShape = Shape([0])
    var gridShape = Shape([0])

    public var children: [Layer] { [shallow, deep, neck, head] }

    /// Prior probability of an object at a cell at initialisation (the focal-loss bias trick).
    public static let prior: Float = 0.1

    init(_ config: ArchitectureConfig, seed: UInt64) {
        var b = Builder(config, seed: seed)
        let features = MobileNetV2.features(&b)
        numClasses = config.numClasses
        shallow = Sequential("features", Array(features[0...6]))
        deep = Sequential("features", Array(features[7...13]))
        let width = 64
        neckShallow = b.convBNAct("shallow", 32, width, 1, act: .relu)
        neckDeep = b.convBNAct("deep", 96, width, 1, act: .relu)
        upsample = Upsample("up", scale: 2)
        smooth = Sequential("smooth", [b.convBNAct("0", width, width, 3, groups: width, act: .relu), b.convBNAct("1", width, width, 1, act: .relu)])
        neck = Sequential("neck", [neckShallow, neckDeep, smooth])
        func branch(_ name: String, _ out: Int) -> Sequential {
            Sequential(name, [b.convBNAct("0", width, width, 3, groups: width, act: .relu),
                              Conv2d("1", width, out, kernel: 1, bias: true, rng: &b.rng)])
        }
        let heat = branch("heat", config.numClasses)
        let box = branch("box", 4)
        if let conv = heat.layers[1] as? Conv2d, let bias = conv.bias {
            let v = -log((1 - Self.prior) / Self.prior)
            for i in 0..<bias.value.count { bias.value.data[i] = v }
        }
        if let conv = box.layers[1] as? Conv2d, let bias = conv.bias {
            // Start from boxes of about 2 × 2 cells (16 px), centred in their cell.
            bias.value.data = [0.5, 0.5, Float(log(2.0)), Float(log(2.0))]
        }
        head = Concat("head", [heat, box])
    }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        precondition(x.shape.rank == 4, "mobilenet_v2_detect: expected (N, H, W, C), got \(x.shape)")
        inputShape = x.shape
        var f8 = x
        for (k, l) in shallow.layers.enumerated() { f8 = l.forward(f8, context: context, training: training && k >= frozenLayers) }
        let f16 = deep.forward(f8, context: context, training: training)
        let a = neckShallow.forward(f8, context: context, training: training)
        let up = upsample.forward(neckDeep.forward(f16, context: context, training: training), context: context, training: training)
        upShape = up.shape
        gridShape = a.shape
        let sum = Self.addCropped(a, up)
        let h = smooth.forward(sum, context: context, training: training)
        return head.forward(h, context: context, training: training)
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        let dh = head.backward(dy, context: context)
        let ds = smooth.backward(dh, context: context)
        // The sum's gradient goes to both branches; the upsampled map gets it zero-padded.
        let dUp = Self.padTo(ds, upShape)
        let dDeepNeck = upsample.backward(dUp, context: context)
        let df16 = neckDeep.backward(dDeepNeck, context: context)
        var df8 = deep.backward(df16, context: context)
        let df8b = neckShallow.backward(ds, context: context)
        for i in 0..<df8.count { df8.data[i] += df8b.data[i] }
        var g = df8
        for l in shallow.layers[min(frozenLayers, shallow.layers.count)...].reversed() { g = l.backward(g, context: context) }
        return frozenLayers > 0 ? Tensor(shape: inputShape) : g
    }

    /// a + up[:, :H, :W, :] where a is (N, H, W, C) and up at least as large.
    static func addCropped(_ a: Tensor, _ up: Tensor) -> Tensor {
        let (n, h, w, c) = (a.shape[0], a.shape[1], a.shape[2], a.shape[3])
        let uh = up.shape[1], uw = up.shape[2]
        precondition(uh >= h && uw >= w && up.shape[3] == c, "neck maps \(a.shape) and \(up.shape) do not line up")
        var out = a
        out.data.withUnsafeMutableBufferPointer { o in
            up.data.withUnsafeBufferPointer { u in
                for b in 0..<n { for y in 0..<h {
                    let oRow = ((b * h + y) * w) * c, uRow = ((b * uh + y) * uw) * c
                    for i in 0..<(w * c) { o[oRow + i] += u[uRow + i] }
                } }
            }
        }
        return out
    }

    /// `g` (N, H, W, C) zero-padded at the bottom and right to `shape`.
    static func padTo(_ g: Tensor, _ shape: Shape) -> Tensor {
        if g.shape == shape { return g }
        let (n, h, w, c) = (g.shape[0], g.shape[1], g.shape[2], g.shape[3])
        let uh = shape[1], uw = shape[2]
        var out = Tensor(shape: shape)
        for b in 0..<n { for y in 0..<h {
            let oRow = ((b * uh + y) * uw) * c, gRow = ((b * h + y) * w) * c
            for i in 0..<(w * c) { out.data[oRow + i] = g.data[gRow + i] }
        } }
        return out
    }

    static func build(_ config: ArchitectureConfig, seed: UInt64) -> Sequential {
        Sequential("", [CenterNetDetector(config, seed: seed)])
    }
}
