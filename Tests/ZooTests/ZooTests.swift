import XCTest
import Checkpoint
import Layers
import TensorCore
@testable import Zoo

final class ZooTests: XCTestCase {
    /// Published parameter counts (torchvision's model docs; EfficientNet-Lite0: 4.65 M).
    func testParameterCountsMatchPublishedNumbers() throws {
        let expected: [String: Int] = ["resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
                                       "mobilenet_v2": 3_504_872, "efficientnet_lite0": 4_652_008]
        for (name, count) in expected {
            XCTAssertEqual(try Model(zoo: name).parameterCount, count, name)
        }
    }

    func testEveryArchitectureRunsAndGivesTheRightShape() throws {
        for e in Zoo.entries {
            var c = e.defaultConfig
            c.inputSize = e.name == "lenet5" ? 28 : (e.name == "crop_vgg" ? 32 : 64)
            if c.numClasses > 0 { c.numClasses = 7 }
            let net = e.build(c, seed: 1)
            let x = Tensor([2, c.inputSize, c.inputSize, c.inputChannels], repeating: 0.5)
            let y = net.forward(x, context: Context(threads: 2), training: false)
            if e.name == "conv_autoencoder" {
                XCTAssertEqual(y.shape, x.shape, e.name)
                XCTAssertTrue(y.data.allSatisfy { $0 >= 0 && $0 <= 1 }, "sigmoid output")
            } else if e.name == "mobilenet_v2_detect" {
                XCTAssertEqual(y.shape, [2, c.inputSize / 8, c.inputSize / 8, 7 + 4], e.name)
            } else {
                XCTAssertEqual(y.shape, [2, 7], e.name)
            }
            XCTAssertTrue(y.data.allSatisfy { $0.isFinite }, e.name)
        }
    }

    func testTorchvisionNames() throws {
        let mnv2 = Set(try Model(zoo: "mobilenet_v2").network.namedParameters().map(\.name))
        for key in ["features.0.0.weight", "features.0.1.running_var", "features.1.conv.0.0.weight", "features.1.conv.1.weight",
                    "features.2.conv.0.0.weight", "features.2.conv.3.bias", "features.18.0.weight", "classifier.1.weight"] {
            XCTAssertTrue(mnv2.contains(key), key)
        }
        let r50 = Set(try Model(zoo: "resnet50").network.namedParameters().map(\.name))
        for key in ["conv1.weight", "bn1.running_mean", "layer1.0.conv3.weight", "layer1.0.downsample.0.weight",
                    "layer4.2.bn3.weight", "fc.weight", "fc.bias"] {
            XCTAssertTrue(r50.contains(key), key)
        }
        let lite = Set(try Model(zoo: "efficientnet_lite0").network.namedParameters().map(\.name))
        for key in ["_conv_stem.weight", "_bn0.weight", "_blocks.0._depthwise_conv.weight", "_blocks.0._project_conv.weight",
                    "_blocks.1._expand_conv.weight", "_blocks.15._bn2.running_var", "_conv_head.weight", "_bn1.bias", "_fc.weight"] {
            XCTAssertTrue(lite.contains(key), key)
        }
    }

    func testFLOPsOfResNet18() throws {
        // ResNet-18 at 224×224 is 1.82 G multiply-adds (He et al. 2016, Table 1: 1.8 × 10⁹ FLOPs counted as MACs).
        let macs = Profile.of(try Model(zoo: "resnet18")).flops / 2
        XCTAssertEqual(macs / 1e9, 1.82, accuracy: 0.03)
    }

    func testSafeTensorsRoundTripKeepsOutputsAndCard() throws {
        var config = Zoo.entry("crop_vgg")!.defaultConfig
        config.numClasses = 3
        let model = try Model(zoo: "crop_vgg", config: config, labels: ["stop", "yield", "other"], seed: 4)
        let path = NSTemporaryDirectory() + "vigil-zoo-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path: path)
        let back = try Model.load(path: path)
        XCTAssertEqual(back.card, model.card)
        let x = Tensor.uniform([2, 48, 48, 3], 0, 1, rng: &rngForTests)
        let ctx = Context(threads: 1)
        XCTAssertEqual(back.network.forward(x, context: ctx, training: false), model.network.forward(x, context: ctx, training: false))
    }

    func testDamagedSafeTensorsFilesGiveClearErrors() throws {
        let model = try Model(zoo: "lenet5")
        let path = NSTemporaryDirectory() + "vigil-zoo-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(path: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in [0, 5, 20, bytes.count / 2, bytes.count - 1] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try Model.load(path: path)) { e in
                XCTAssertTrue("\(e)".contains(path), "names the file: \(e)")
            }
        }
        // A header that claims 1 TB of data.
        var huge = Data([8, 0, 0, 0, 0, 0, 0, 0])
        huge.append(contentsOf: Array("{\"w\":{\"dtype\":\"F32\",\"shape\":[262144,1048576],\"data_offsets\":[0,1099511627776]}}".utf8))
        let hlen = UInt64(huge.count - 8)
        huge.replaceSubrange(0..<8, with: withUnsafeBytes(of: hlen.littleEndian) { Data($0) })
        try huge.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try SafeTensorsFile.read(path: path)) { XCTAssertTrue("\($0)".contains("outside")) }
        // A Vigil file whose tensor shape disagrees with the architecture.
        XCTAssertThrowsError(try SafeTensorsFile.read(path: path + ".missing")) { XCTAssertTrue("\($0)".contains(".missing")) }
        try SafeTensorsFile(tensors: [("conv1.weight", Tensor([1, 1]))], metadata: model.card.metadata).write(to: path)
        XCTAssertThrowsError(try Model.load(path: path)) { XCTAssertTrue("\($0)".contains("conv1.weight")) }
    }
}

var rngForTests = SeededRNG(seed: 42)
