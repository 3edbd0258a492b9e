import Checkpoint
import Kernels
import Layers
import TensorCore

/// Compact networks for small inputs.
enum SmallNets {
    /// LeNet-5 (LeCun et al. 1998) with ReLU and max pooling: 28×28 (padded conv1) or 32×32 inputs.
    static func lenet5(_ config: ArchitectureConfig, seed: UInt64) -> Sequential {
        var b = Builder(config, seed: seed)
        let pad = config.inputSize == 28 ? 2 : 0
        let afterPools = ((config.inputSize + 2 * pad - 4) / 2 - 4) / 2
        return Sequential("", [
            Conv2d("conv1", config.inputChannels, 6, kernel: 5, padding: .symmetric(pad), rng: &b.rng), Activation("relu1", .relu),
            MaxPool2d("pool1", kernel: 2),
            Conv2d("conv2", 6, 16, kernel: 5, rng: &b.rng), Activation("relu2", .relu), MaxPool2d("pool2", kernel: 2),
            Flatten("flatten"),
            b.linear("fc1", 16 * afterPools * afterPools, 120), Activation("relu3", .relu),
            b.linear("fc2", 120, 84), Activation("relu4", .relu),
            b.linear("fc3", 84, config.numClasses),
        ])
    }

    /// A compact VGG-style classifier for 32–64 px crops (traffic signs, surface patches):
    /// three stages of two 3×3 conv-BN-ReLU and a 2×2 max pool (32, 64, 128 channels × width),
    /// then global average pooling, dropout and a linear head.
    static func cropVGG(_ config: ArchitectureConfig, seed: UInt64) -> Sequential {
        var b = Builder(config, seed: seed)
        var layers: [Layer] = []
        var cin = config.inputChannels
        for (i, base) in [32, 64, 128].enumerated() {
            let c = max(8, Int(Double(base) * config.widthMultiplier))
            layers.append(Sequential("stage\(i + 1)", [
                b.convBNAct("0", cin, c, 3, act: .relu), b.convBNAct("1", c, c, 3, act: .relu), MaxPool2d("pool", kernel: 2),
            ]))
            cin = c
        }
        layers += [GlobalAvgPool("pool"), Dropout("dropout", p: 0.3), b.linear("fc", cin, config.numClasses)]
        return Sequential("", layers)
    }

    /// A convolutional autoencoder for anomaly detection: three stride-2 conv-BN-ReLU steps
    /// down (32, 64, 128 channels × width), three transposed convolutions back up, sigmoid
    /// output in [0, 1] with the input's shape. `numClasses` is unused.
    static func autoencoder(_ config: ArchitectureConfig, seed: UInt64) -> Sequential {
        var b = Builder(config, seed: seed)
        let widths = [32, 64, 128].map { max(8, Int(Double($0) * config.widthMultiplier)) }
        var encoder: [Layer] = []
        var cin = config.inputChannels
        for (i, c) in widths.enumerated() {
            encoder.append(b.convBNAct("\(i)", cin, c, 3, stride: 2, act: .relu))
            cin = c
        }
        let outs = [widths[1], widths[0], config.inputChannels]
        var decoder: [Layer] = []
        for (i, c) in outs.enumerated() {
            decoder.append(ConvTranspose2d("\(2 * i)", cin, c, kernel: 4, stride: 2, padding: 1, rng: &b.rng))
            decoder.append(i < 2 ? Activation("\(2 * i + 1)", .relu) : Activation("\(2 * i + 1)", .sigmoid))
            cin = c
        }
        return Sequential("", [Sequential("encoder", encoder), Sequential("decoder", decoder)])
    }
}
