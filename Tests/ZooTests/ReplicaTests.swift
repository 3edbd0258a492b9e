import XCTest
import Layers
import TensorCore
@testable import Zoo

final class ReplicaTests: XCTestCase {
    func testBatchParallelInferenceEqualsOneModel() throws {
        for (arch, size) in [("mobilenet_v2", 64), ("resnet18", 64), ("crop_vgg", 48)] {
            var config = try XCTUnwrap(Zoo.entry(arch)).defaultConfig
            config.inputSize = size
            let model = try Model(zoo: arch, config: config, seed: 4)
            // Non-trivial statistics, so that folding matters and a mismatch would show.
            var rng = SeededRNG(seed: 9)
            for (name, p) in model.network.namedParameters() where name.hasSuffix("running_mean") {
                p.value = Tensor.uniform(p.value.shape.dims, -0.3, 0.3, rng: &rng)
            }
            model.network.fuseForInference()
            let x = Tensor.uniform([5, size, size, 3], -1, 1, rng: &rng)
            let want = model.network.forward(x, context: Context(threads: 1), training: false)
            let runner = try BatchParallelInference(model: model, threads: 2)
            XCTAssertEqual(runner.threads, 2)
            let got = runner.forward(x)
            XCTAssertEqual(got.shape, want.shape, arch)
            var worst: Float = 0
            for i in 0..<got.count { worst = max(worst, abs(got.data[i] - want.data[i])) }
            XCTAssertLessThan(worst, 1e-4, arch)
            // The replica reads the same weights, not fresh random ones.
            let a = model.network.namedParameters(), b = runner.replicas[1].network.namedParameters()
            XCTAssertEqual(a.map(\.name), b.map(\.name))
            XCTAssertEqual(a.last?.parameter.value.data, b.last?.parameter.value.data)
            // A batch smaller than the thread count still works.
            XCTAssertEqual(runner.forward(Tensor.uniform([1, size, size, 3], -1, 1, rng: &rng)).shape[0], 1)
        }
    }
}
