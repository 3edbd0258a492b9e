import Checkpoint
import Layers
import TensorCore

/// EfficientNet-Lite0 (Tan & Le's EfficientNet-B0 without squeeze-and-excitation, with ReLU6
/// and a fixed stem and head, for mobile accelerators), with the layer names of the
/// EfficientNet-PyTorch family of checkpoints: `_conv_stem`, `_bn0`,
/// `_blocks.N._expand_conv/_bn0/_depthwise_conv/_bn1/_project_conv/_bn2`, `_conv_head`, `_bn1`, `_fc`.
/// Padding and BatchNorm epsilon come from the config (TensorFlow SAME and 1e-3 for the
/// released weights).
enum EfficientNetLite {
    /// (repeats, kernel, first stride, expansion, input, output), EfficientNet-B0's stages.
    static let stages: [(Int, Int, Int, Int, Int, Int)] = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40),
                                                           (3, 3, 2, 6, 40, 80), (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192),
                                                           (1, 3, 1, 6, 192, 320)]

    static func build(_ config: ArchitectureConfig, seed: UInt64) -> Sequential {
        var b = Builder(config, seed: seed)
        let w = config.widthMultiplier
        func ch(_ c: Int) -> Int { makeDivisible(Double(c) * w) }
        var layers: [Layer] = [b.conv("_conv_stem", config.inputChannels, 32, 3, stride: 2), b.bn("_bn0", 32), Activation("stem_act", .relu6)]
        var blocks: [Layer] = []
        for (repeats, k, s, e, cin0, cout0) in stages {
            for i in 0..<repeats {
                let cin = i == 0 ? ch(cin0) : ch(cout0), cout = ch(cout0), stride = i == 0 ? s : 1
                let hidden = cin * e
                var body: [Layer] = []
                if e != 1 { body += [b.conv("_expand_conv", cin, hidden, 1), b.bn("_bn0", hidden), Activation("expand_act", .relu6)] }
                body += [b.conv("_depthwise_conv", hidden, hidden, k, stride: stride, groups: hidden), b.bn("_bn1", hidden),
                         Activation("depthwise_act", .relu6), b.conv("_project_conv", hidden, cout, 1), b.bn("_bn2", cout)]
                let name = "\(blocks.count)"
                let seq = Sequential("", body)
                blocks.append(stride == 1 && cin == cout ? Residual(name, body: seq) : Sequential(name, [seq]))
            }
        }
        layers.append(Sequential("_blocks", blocks))
        layers += [b.conv("_conv_head", ch(320), 1280, 1), b.bn("_bn1", 1280), Activation("head_act", .relu6),
                   GlobalAvgPool("pool"), Dropout("dropout", p: 0.2), b.linear("_fc", 1280, config.numClasses)]
        return Sequential("", layers)
    }
}
