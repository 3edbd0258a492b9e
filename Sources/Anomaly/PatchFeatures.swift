import Augment
import Foundation
import ImageIO
import TensorCore
import Zoo

/// Locally aware patch features (PatchCore, Roth et al. 2021): the activations of two mid-level
/// layers of a pretrained backbone, each averaged over a 3×3 neighbourhood, the deeper one
/// upsampled to the shallower one's grid, concatenated per position. Layout: one row of `dim`
/// floats per grid cell, row-major over `(gridHeight, gridWidth)`.
public final class PatchFeatures {
    public let backbone: Model
    public let layers: [String]
    public let input: ModelInput
    public private(set) var gridWidth = 0, gridHeight = 0, dim = 0

    /// MobileNetV2's stride-8 and stride-16 blocks: 28×28×32 and 14×14×96 at 224 px.
    public static let defaultLayers: [String: [String]] = [
        "mobilenet_v2": ["features.6", "features.13"],
        "efficientnet_lite0": ["blocks.5", "blocks.10"],
        "resnet18": ["layer2", "layer3"],
    ]

    public init(backbone: Model, layers: [String], inputSize: Int = 224) throws {
        self.backbone = backbone
        self.layers = layers
        let pre = backbone.card.preprocessing
        input = ModelInput(size: inputSize, resize: .stretch, gray: pre.colorMode == .gray, mean: pre.mean, std: pre.std)
        for l in layers where !backbone.featureLayerNames.contains(l) {
            throw AnomalyError(path: backbone.card.architecture, reason: "no layer \(l) in the backbone")
        }
        let probe = backbone.forward(Tensor([1, inputSize, inputSize, input.channels]), capturing: Set(layers), context: Context(threads: 1))
        guard let first = probe[layers[0]], first.shape.rank == 4 else {
            throw AnomalyError(path: backbone.card.architecture, reason: "\(layers[0]) has no spatial output")
        }
        gridHeight = first.shape[1]
        gridWidth = first.shape[2]
        dim = layers.reduce(0) { $0 + (probe[$1]?.shape[3] ?? 0) }
    }

    /// Patch features of a batch of images: `(N · gridHeight · gridWidth) × dim`.
    public func embed(_ images: [Image], context: Context) -> [Float] {
        var x = Tensor(uninitialized: [images.count, input.size, input.size, input.channels])
        x.data.withUnsafeMutableBufferPointer { dst in
            for (i, img) in images.enumerated() {
                input.prepare(img, into: UnsafeMutableBufferPointer(rebasing: dst[(i * input.sliceCount)..<((i + 1) * input.sliceCount)]))
            }
        }
        let maps = backbone.forward(x, capturing: Set(layers), context: context)
        let n = images.count, cells = gridHeight * gridWidth
        var out = [Float](repeating: 0, count: n * cells * dim)
        var offset = 0
        for l in layers {
            let t = maps[l]!
            let (h, w, c) = (t.shape[1], t.shape[2], t.shape[3])
            let pooled = Self.average3x3(t.data, n: n, h: h, w: w, c: c)
            for b in 0..<n {
                for gy in 0..<gridHeight {
                    // Bilinear sampling of this layer's grid at the output cell's centre.
                    let fy = min(max((Double(gy) + 0.5) * Double(h) / Double(gridHeight) - 0.5, 0), Double(h - 1))
                    let y0 = Int(fy), y1 = min(y0 + 1, h - 1), ty = Float(fy - Double(y0))
                    for gx in 0..<gridWidth {
                        let fx = min(max((Double(gx) + 0.5) * Double(w) / Double(gridWidth) - 0.5, 0), Double(w - 1))
                        let x0 = Int(fx), x1 = min(x0 + 1, w - 1), tx = Float(fx - Double(x0))
                        let dst = ((b * cells) + gy * gridWidth + gx) * dim + offset
                        let p00 = ((b * h + y0) * w + x0) * c, p01 = ((b * h + y0) * w + x1) * c
                        let p10 = ((b * h + y1) * w + x0) * c, p11 = ((b * h + y1) * w + x1) * c
                        for k in 0..<c {
                            let top = pooled[p00 + k] * (1 - tx) + pooled[p01 + k] * tx
                            let bottom = pooled[p10 + k] * (1 - tx) + pooled[p11 + k] * tx
                            out[dst + k] = top * (1 - ty) + bottom * ty
                        }
                    }
                }
            }
            offset += c
        }
        return out
    }

    /// 3×3 mean over each position's neighbourhood (borders average what exists), NHWC.
    static func average3x3(_ src: [Float], n: Int, h: Int, w: Int, c: Int) -> [Float] {
        var out = [Float](repeating: 0, count: src.count)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                for b in 0..<n {
                    for y in 0..<h {
                        for x in 0..<w {
                            let dst = ((b * h + y) * w + x) * c
                            var count: Float = 0
                            for yy in max(0, y - 1)...min(h - 1, y + 1) {
                                for xx in max(0, x - 1)...min(w - 1, x + 1) {
                                    let p = ((b * h + yy) * w + xx) * c
                                    for k in 0..<c { o[dst + k] += s[p + k] }
                                    count += 1
                                }
                            }
                            let inv = 1 / count
                            for k in 0..<c { o[dst + k] *= inv }
                        }
                    }
                }
            }
        }
        return out
    }
}

/// An anomaly model or its data that cannot be used: names the file and the reason.
public struct AnomalyError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}
