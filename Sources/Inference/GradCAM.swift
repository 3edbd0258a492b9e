import Augment
import Foundation
import Layers
import TensorCore
import Zoo

/// Grad-CAM (Selvaraju et al. 2017): where in the picture a convolutional network looked for a
/// class. With A the `(h, w, C)` activations of a late convolutional layer and y the class's
/// logit, each channel is weighted by its mean gradient αc = mean over (h, w) of ∂y/∂A, and the
/// map is ReLU(Σc αc·Ac), scaled to [0, 1].
///
/// The network runs in inference mode up to the layer; the rest runs once more keeping what
/// backward needs (BatchNorm on its running statistics, dropout off) and backpropagates the
/// one-hot class gradient to the layer. Use an unfused model: fusion folds away layers.
///
/// ```swift
/// let cam = try GradCAM(model: try Model.load(path: "m.safetensors"))
/// let r = cam.explain(x, classIndex: nil, context: Context(threads: 1))   // top class
/// ```
public final class GradCAM {
    public let model: Model
    /// The full dotted name of the layer explained.
    public let layer: String
    /// The network as a line of steps (Sequentials opened, other containers kept whole).
    let steps: [(name: String, layer: Layer)]
    let split: Int

    public struct Result: Sendable {
        public var classIndex: Int
        public var label: String
        /// Softmax probability of the class.
        public var probability: Float
        /// `(height, width)` map in [0, 1] over the network input.
        public var map: [Float]
        public var width: Int
        public var height: Int
    }

    public init(model: Model, layer: String? = nil) throws {
        self.model = model
        var steps: [(String, Layer)] = []
        func walk(_ seq: Sequential, _ prefix: String) {
            for l in seq.layers {
                let name = prefix.isEmpty ? l.name : (l.name.isEmpty ? prefix : prefix + "." + l.name)
                if let s = l as? Sequential { walk(s, name) } else { steps.append((name, l)) }
            }
        }
        walk(model.network, "")
        self.steps = steps
        // Output ranks of every step, from one probe at the model's input size.
        let inp = ModelInput(model.card.preprocessing)
        var h = Tensor([1, inp.size, inp.size, inp.channels])
        let ctx = Context(threads: 1)
        var ranks: [Int] = []
        for (_, l) in steps {
            h = l.forward(h, context: ctx, training: false)
            ranks.append(h.shape.rank)
        }
        let target: Int
        if let layer {
            guard let i = steps.firstIndex(where: { $0.0 == layer }) else {
                throw GradCAMError(reason: "no layer \(layer) (layers: \(steps.map(\.0).joined(separator: ", ")))")
            }
            guard ranks[i] == 4 else { throw GradCAMError(reason: "\(layer) does not output a (N, H, W, C) map") }
            target = i
        } else {
            // The last step with a spatial output: the top of the convolutional part.
            guard let i = ranks.lastIndex(of: 4), i + 1 < steps.count else {
                throw GradCAMError(reason: "the network has no convolutional layer before its head")
            }
            target = i
        }
        split = target + 1
        self.layer = steps[target].0
    }

    /// The map for `classIndex` (nil: the top class) of one input `(1, H, W, C)`.
    public func explain(_ x: Tensor, classIndex: Int?, context: Context) -> Result {
        precondition(x.shape.rank == 4 && x.shape[0] == 1, "one image at a time")
        var a = x
        for i in 0..<split { a = steps[i].1.forward(a, context: context, training: false) }
        // The head again, keeping activations; BatchNorms on running statistics.
        var frozen: [(BatchNorm2d, Bool)] = []
        for i in split..<steps.count {
            for (_, l) in steps[i].1.namedLayers() { if let bn = l as? BatchNorm2d { frozen.append((bn, bn.frozen)); bn.frozen = true } }
        }
        defer { for (bn, f) in frozen { bn.frozen = f } }
        var h = a
        for i in split..<steps.count { h = steps[i].1.forward(h, context: context, training: !(steps[i].1 is Dropout)) }
        let logits = h.data
        let c = classIndex ?? logits.indices.max { logits[$0] < logits[$1] }!
        let m = logits.max()!
        let z = logits.reduce(0) { $0 + exp($1 - m) }
        var g = Tensor(shape: h.shape)
        g.data[c] = 1
        for i in (split..<steps.count).reversed() { g = steps[i].1.backward(g, context: context) }
        for i in split..<steps.count { steps[i].1.zeroGradients() }
        // α_c = mean gradient per channel; map = ReLU(Σ α_c A_c).
        let (hh, ww, cc) = (a.shape[1], a.shape[2], a.shape[3])
        var alpha = [Float](repeating: 0, count: cc)
        for p in 0..<(hh * ww) { for k in 0..<cc { alpha[k] += g.data[p * cc + k] } }
        for k in 0..<cc { alpha[k] /= Float(hh * ww) }
        var map = [Float](repeating: 0, count: hh * ww)
        for p in 0..<(hh * ww) {
            var s: Float = 0
            for k in 0..<cc { s += alpha[k] * a.data[p * cc + k] }
            map[p] = max(0, s)
        }
        if let mx = map.max(), mx > 0 { for p in map.indices { map[p] /= mx } }
        let labels = model.card.labels
        return Result(classIndex: c, label: c < labels.count ? labels[c] : "class \(c)", probability: exp(logits[c] - m) / z,
                      map: map, width: ww, height: hh)
    }

    /// The map spread over a whole `width × height` image: the network saw only the centre
    /// crop (shorter-side policy) or the stretched image; outside the crop the map is 0.
    /// Returns a grid of about `cells` cells along the longer side.
    public static func imageMap(_ r: Result, input: ModelInput, width: Int, height: Int, cells: Int = 64) -> (map: [Float], width: Int, height: Int) {
        let gw = width >= height ? cells : max(1, cells * width / height)
        let gh = width >= height ? max(1, cells * height / width) : cells
        // Crop window in image pixels.
        var (cx0, cy0, cw, ch) = (0.0, 0.0, Double(width), Double(height))
        if case .shorterSide(let rs) = input.resize {
            let p = ModelInput.shorterSidePlan(width: width, height: height, resizeTo: rs, crop: input.size)
            let sx = Double(width) / Double(p.width), sy = Double(height) / Double(p.height)
            (cx0, cy0, cw, ch) = (Double(p.left) * sx, Double(p.top) * sy, Double(input.size) * sx, Double(input.size) * sy)
        }
        var out = [Float](repeating: 0, count: gw * gh)
        for y in 0..<gh {
            for x in 0..<gw {
                let px = (Double(x) + 0.5) * Double(width) / Double(gw), py = (Double(y) + 0.5) * Double(height) / Double(gh)
                let u = (px - cx0) / cw, v = (py - cy0) / ch
                guard u >= 0 && u < 1 && v >= 0 && v < 1 else { continue }
                // Bilinear in the map's cell centres.
                let fx = min(max(u * Double(r.width) - 0.5, 0), Double(r.width - 1)), fy = min(max(v * Double(r.height) - 0.5, 0), Double(r.height - 1))
                let x0 = Int(fx), y0 = Int(fy), x1 = min(x0 + 1, r.width - 1), y1 = min(y0 + 1, r.height - 1)
                let tx = Float(fx - Double(x0)), ty = Float(fy - Double(y0))
                let top = r.map[y0 * r.width + x0] * (1 - tx) + r.map[y0 * r.width + x1] * tx
                let bottom = r.map[y1 * r.width + x0] * (1 - tx) + r.map[y1 * r.width + x1] * tx
                out[y * gw + x] = top * (1 - ty) + bottom * ty
            }
        }
        return (out, gw, gh)
    }
}

public struct GradCAMError: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
