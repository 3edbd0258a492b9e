import Checkpoint
import Kernels
import Layers
import TensorCore

/// ResNet-18/34 (basic blocks) and ResNet-50 (bottlenecks, stride on the 3×3 as torchvision's
/// v1.5), with torchvision's names: `conv1`, `bn1`, `layerN.M.convK`, `layerN.M.downsample.0/1`, `fc`.
enum ResNet {
    static func build(_ config: ArchitectureConfig, blocks: [Int], bottleneck: Bool, seed: UInt64) -> Sequential {
        var b = Builder(config, seed: seed)
        let expansion = bottleneck ? 4 : 1
        var layers: [Layer] = [
            Conv2d("conv1", config.inputChannels, 64, kernel: 7, stride: 2, padding: .symmetric(3), bias: false, rng: &b.rng),
            b.bn("bn1", 64), Activation("relu", .relu), MaxPool2d("maxpool", kernel: 3, stride: 2, padding: 1),
        ]
        var inplanes = 64
        for (stage, count) in blocks.enumerated() {
            let planes = 64 << stage
            var stageBlocks: [Layer] = []
            for i in 0..<count {
                let stride = stage > 0 && i == 0 ? 2 : 1
                let out = planes * expansion
                var body: [Layer]
                if bottleneck {
                    body = [b.conv("conv1", inplanes, planes, 1), b.bn("bn1", planes), Activation("relu1", .relu),
                            b.conv("conv2", planes, planes, 3, stride: stride), b.bn("bn2", planes), Activation("relu2", .relu),
                            b.conv("conv3", planes, out, 1), b.bn("bn3", out)]
                } else {
                    body = [b.conv("conv1", inplanes, planes, 3, stride: stride), b.bn("bn1", planes), Activation("relu1", .relu),
                            b.conv("conv2", planes, planes, 3), b.bn("bn2", planes)]
                }
                var shortcut: Layer?
                if stride != 1 || inplanes != out {
                    shortcut = Sequential("downsample", [b.conv("0", inplanes, out, 1, stride: stride), b.bn("1", out)])
                }
                stageBlocks.append(Residual("\(i)", body: Sequential("", body), shortcut: shortcut, activation: .relu))
                inplanes = out
            }
            layers.append(Sequential("layer\(stage + 1)", stageBlocks))
        }
        layers += [GlobalAvgPool("avgpool"), b.linear("fc", inplanes, config.numClasses)]
        return Sequential("", layers)
    }
}
