import XCTest
import Checkpoint
import Layers
import TensorCore
@testable import Zoo

final class CenterNetDetectorTests: XCTestCase {
    func detector(classes: Int = 3) throws -> (Model, CenterNetDetector) {
        var c = Zoo.entry("mobilenet_v2_detect")!.defaultConfig
        c.numClasses = classes
        let m = try Model(zoo: "mobilenet_v2_detect", config: c, labels: (0..<classes).map { "c\($0)" }, seed: 3)
        return (m, m.network.layers[0] as! CenterNetDetector)
    }

    /// The backbone keeps torchvision's names, so MobileNetV2's ImageNet tensors load onto it.
    func testBackboneNamesMatchMobileNetV2() throws {
        let (m, _) = try detector()
        let names = Set(m.network.namedParameters().map(\.name))
        let mnv2 = try Model(zoo: "mobilenet_v2").network.namedParameters()
        let shared = mnv2.filter { names.contains($0.name) }
        // features.0 … features.13: every tensor of those blocks, and none of 14 … 18.
        XCTAssertEqual(shared.count, mnv2.filter { n in (0...13).contains { n.name.hasPrefix("features.\($0).") } }.count)
        XCTAssertFalse(names.contains("features.14.conv.0.0.weight"))
        XCTAssertTrue(names.contains("head.heat.1.bias") && names.contains("neck.deep.0.weight"))
    }

    /// Sides that are not multiples of 16 still line up: the stride-8 grid is ⌈side / 8⌉.
    func testOutputGridForAnySize() throws {
        let (m, _) = try detector()
        for (h, w) in [(64, 96), (72, 100), (40, 56)] {
            let y = m.network.forward(Tensor([1, h, w, 3], repeating: 0.2), context: Context(threads: 1), training: false)
            XCTAssertEqual(y.shape, [1, (h + 7) / 8, (w + 7) / 8, 3 + 4], "\(h)×\(w)")
        }
    }

    /// The heat map starts at the prior, the boxes at 2 × 2 cells.
    func testInitialisation() throws {
        let (m, _) = try detector()
        let y = m.network.forward(Tensor([1, 32, 32, 3], repeating: 0), context: Context(threads: 1), training: false)
        let logit = y.data[0]
        XCTAssertEqual(1 / (1 + exp(-logit)), CenterNetDetector.prior, accuracy: 0.1)
    }

    /// Backward through the neck (both branches, with the crop and pad) and the head's
    /// concatenation agrees with central differences, entry by entry. The backbone's layers
    /// are checked one by one in LayersTests; below the neck a random-initialised MobileNetV2
    /// in training mode (batch statistics over a handful of positions) is too rough for finite
    /// differences. ReLU6 kinks make an occasional entry disagree, so 85 % must agree.
    func testGradientsAgreeWithFiniteDifferences() throws {
        let (m, net) = try detector(classes: 2)
        var rng = SeededRNG(seed: 11)
        let x = Tensor.uniform([2, 24, 40, 3], -1, 1, rng: &rng)
        func ctx() -> Context { Context(threads: 1, seed: 5) }
        let y = net.forward(x, context: ctx(), training: true)
        let r = Tensor.uniform(y.shape.dims, -1, 1, rng: &rng)
        func loss(_ input: Tensor) -> Double {
            let out = net.forward(input, context: ctx(), training: true)
            var s = 0.0
            for i in 0..<out.count { s += Double(out.data[i]) * Double(r.data[i]) }
            return s
        }
        m.network.zeroGradients()
        _ = net.forward(x, context: ctx(), training: true)
        let dx = net.backward(r, context: ctx())
        XCTAssertEqual(dx.shape, x.shape)
        let eps: Float = 1e-3
        var agree = 0, total = 0
        var report: [String] = []
        func compare(_ what: String, _ analytic: Float, _ numeric: Double) {
            total += 1
            if abs(Double(analytic) - numeric) <= 0.02 + 0.05 * max(abs(numeric), Double(abs(analytic))) { agree += 1 } else {
                report.append("\(what): \(analytic) vs \(numeric)")
            }
        }
        let params = Dictionary(uniqueKeysWithValues: m.network.namedParameters().map { ($0.name, $0.parameter) })
        for name in ["neck.shallow.0.weight", "neck.deep.0.weight",
                     "neck.smooth.1.0.weight", "head.heat.1.bias", "head.box.1.weight"] {
            let p = params[name]!
            let g = p.grad
            for _ in 0..<6 {
                let i = Int(rng.next() % UInt64(p.value.count))
                let v = p.value.data[i]
                p.value.data[i] = v + eps
                let up = loss(x)
                p.value.data[i] = v - eps
                let down = loss(x)
                p.value.data[i] = v
                compare("\(name)[\(i)]", g.data[i], (up - down) / Double(2 * eps))
            }
        }
        XCTAssertGreaterThanOrEqual(Double(agree), 0.85 * Double(total), report.joined(separator: "; "))
    }

    /// The stride-16 branch is cropped onto the stride-8 grid in forward and its gradient
    /// zero-padded back in backward: the two are adjoint, ⟨crop(u), g⟩ = ⟨u, pad(g)⟩.
    func testCropAndPadAreAdjoint() {
        var rng = SeededRNG(seed: 9)
        let a = Tensor([2, 5, 7, 3], repeating: 0)
        let up = Tensor.uniform([2, 6, 8, 3], -1, 1, rng: &rng)
        let g = Tensor.uniform([2, 5, 7, 3], -1, 1, rng: &rng)
        let cropped = CenterNetDetector.addCropped(a, up)
        let padded = CenterNetDetector.padTo(g, up.shape)
        var lhs = 0.0, rhs = 0.0
        for i in 0..<g.count { lhs += Double(cropped.data[i]) * Double(g.data[i]) }
        for i in 0..<up.count { rhs += Double(up.data[i]) * Double(padded.data[i]) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-9)
        XCTAssertEqual(cropped.data[0], up.data[0])
        XCTAssertEqual(padded.data[7 * 3], 0, "the column beyond the grid gets no gradient")
    }

    /// Frozen layers get no gradient and leave their running statistics alone.
    func testFrozenLayersStayPut() throws {
        let (m, net) = try detector(classes: 1)
        net.frozenLayers = 4
        let params = Dictionary(uniqueKeysWithValues: m.network.namedParameters().map { ($0.name, $0.parameter) })
        let before = params["features.1.conv.0.1.running_mean"]!.value
        m.network.zeroGradients()
        var rng = SeededRNG(seed: 2)
        let y = net.forward(Tensor.uniform([2, 32, 32, 3], -1, 1, rng: &rng), context: Context(threads: 1), training: true)
        _ = net.backward(Tensor(y.shape.dims, repeating: 1), context: Context(threads: 1))
        XCTAssertEqual(params["features.1.conv.0.1.running_mean"]!.value, before)
        XCTAssertTrue(params["features.2.conv.0.0.weight"]!.grad.data.allSatisfy { $0 == 0 })
        XCTAssertFalse(params["features.5.conv.0.0.weight"]!.grad.data.allSatisfy { $0 == 0 })
    }
}
