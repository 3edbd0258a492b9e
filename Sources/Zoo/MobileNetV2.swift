import Checkpoint
import Layers
import TensorCore

/// MobileNetV2 (Sandler et al. 2018) with torchvision's layer names
/// (`features.N…`, `classifier.1`), so torchvision state dicts map one to one.
enum MobileNetV2 {
    /// (expansion t, output channels c, repeats n, first stride s), from the paper's Table 2.
    static let settings: [(Int, Int, Int, Int)] = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                                                    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    static func build(_ config: ArchitectureConfig, seed: UInt64) -> Sequential {
        var b = Builder(config, seed: seed)
        let features = self.features(&b)
        let last = makeDivisible(1280 * max(1, config.widthMultiplier))
        return Sequential("", [
            Sequential("features", features),
            GlobalAvgPool("pool"),
            Sequential("classifier", [Dropout("0", p: 0.2), b.linear("1", last, config.numClasses)]),
        ])
    }

    /// MobileNetV2 cut at stride 16: `features.0` … `features.13` (96 channels) and a pooled
    /// linear head, with torchvision's names. The ImageNet backbone's mid-level features
    /// (edges, blobs, texture) at a seventh of the weights: a small classifier for crops and
    /// tiles, fine-tuned from `mobilenet_v2` (`vigil finetune --into mobilenet_v2_s16`).
    static func buildStride16(_ config: ArchitectureConfig, seed: UInt64) -> Sequential {
        var b = Builder(config, seed: seed)
        let features = Array(self.features(&b)[0...13])
        let width = makeDivisible(96 * config.widthMultiplier)
        return Sequential("", [
            Sequential("features", features),
            GlobalAvgPool("pool"),
            Sequential("classifier", [Dropout("0", p: 0.2), b.linear("1", width, config.numClasses)]),
        ])
    }

    /// `features.0` … `features.18`: the stem, the 17 inverted-residual blocks and the last
    /// 1×1 convolution. Output strides: 2 after 0, 4 after 3, 8 after 6, 16 after 13, 32 after 17.
    static func features(_ b: inout Builder) -> [Layer] {
        let config = b.config
        let w = config.widthMultiplier
        var input = makeDivisible(32 * w)
        let last = makeDivisible(1280 * max(1, w))
        var features: [Layer] = [b.convBNAct("0", config.inputChannels, input, 3, stride: 2)]
        for (t, c, n, s) in settings {
            let output = makeDivisible(Double(c) * w)
            for i in 0..<n {
                let stride = i == 0 ? s : 1
                let hidden = input * t
                var body: [Layer] = []
                var k = 0
                if t != 1 { body.append(b.convBNAct("\(k)", input, hidden, 1)); k += 1 }
                body.append(b.convBNAct("\(k)", hidden, hidden, 3, stride: stride, groups: hidden)); k += 1
                body.append(b.conv("\(k)", hidden, output, 1)); k += 1
                body.append(b.bn("\(k)", output))
                let conv = Sequential("conv", body)
                let name = "\(features.count)"
                features.append(stride == 1 && input == output ? Residual(name, body: conv) : Sequential(name, [conv]))
                input = output
            }
        }
        features.append(b.convBNAct("\(features.count)", input, last, 1))
        return features
    }
}
