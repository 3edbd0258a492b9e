import Checkpoint
import Kernels
import Layers
import TensorCore

/// Small helpers shared by the architecture builders.
struct Builder {
    var config: ArchitectureConfig
    var rng: SeededRNG

    init(_ config: ArchitectureConfig, seed: UInt64) {
        self.config = config
        self.rng = SeededRNG(seed: seed)
    }

    func padding(_ k: Int, dilation: Int = 1) -> Conv2d.Padding {
        config.padding == "tf_same" ? .same : .symmetric((k - 1) / 2 * dilation)
    }

    mutating func conv(_ name: String, _ cin: Int, _ cout: Int, _ k: Int, stride: Int = 1, groups: Int = 1, bias: Bool = false) -> Conv2d {
        Conv2d(name, cin, cout, kernel: k, stride: stride, padding: padding(k), groups: groups, bias: bias, rng: &rng)
    }

    func bn(_ name: String, _ c: Int) -> BatchNorm2d { BatchNorm2d(name, c, eps: config.batchNormEps) }

    mutating func linear(_ name: String, _ i: Int, _ o: Int) -> Linear { Linear(name, i, o, rng: &rng) }

    /// Conv + BN + activation as a named Sequential ("0", "1", "2"), torchvision's ConvBNActivation.
    mutating func convBNAct(_ name: String, _ cin: Int, _ cout: Int, _ k: Int, stride: Int = 1, groups: Int = 1,
                            act: ActivationKind = .relu6) -> Sequential {
        Sequential(name, [conv("0", cin, cout, k, stride: stride, groups: groups), bn("1", cout), Activation("2", act)])
    }
}

/// torchvision's channel rounding: the nearest multiple of `divisor`, never below 90 % of v.
func makeDivisible(_ v: Double, _ divisor: Int = 8) -> Int {
    var n = max(divisor, Int(v + Double(divisor) / 2) / divisor * divisor)
    if Double(n) < 0.9 * v { n += divisor }
    return n
}
