import Checkpoint
import Foundation
import XCTest

/// Real torchvision / EfficientNet checkpoints (legacy format). Set VIGIL_TORCH_WEIGHTS_DIR to
/// a folder holding mobilenet_v2-b0353104.pth and efficientnet-lite0-57934424.pth.
///
/// The key listings (Fixtures/torch/*.keys.txt) and the reference values below come from
/// Fixtures/torch/reference_checksums.py, which parses the files with Python's own pickle.
final class TorchFileRealWeightsTests: XCTestCase {
    private static let mobileNet = "mobilenet_v2-b0353104.pth"
    private static let efficientNet = "efficientnet-lite0-57934424.pth"

    private func load(_ file: String) throws -> [(name: String, tensor: TorchTensor)] {
        guard let folder = ProcessInfo.processInfo.environment["VIGIL_TORCH_WEIGHTS_DIR"], !folder.isEmpty else {
            throw XCTSkip("set VIGIL_TORCH_WEIGHTS_DIR to a folder holding \(file) to run this test")
        }
        let path = URL(fileURLWithPath: folder).appendingPathComponent(file).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) does not exist (VIGIL_TORCH_WEIGHTS_DIR=\(folder))")
        }
        return try TorchFile.load(path: path)
    }

    /// Checks every name and shape, in order, against the listing Python's pickle produced.
    private func assertListing(_ tensors: [(name: String, tensor: TorchTensor)], _ listing: String,
                               line: UInt = #line) throws {
        let expected = try String(contentsOfFile: TorchTestSupport.fixture(listing), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let actual = tensors.map { "\($0.name) \($0.tensor.shape)" }
        XCTAssertEqual(actual.count, expected.count, line: line)
        for (index, (got, want)) in zip(actual, expected).enumerated() where got != want {
            return XCTFail("entry \(index): \(got), expected \(want)", line: line)
        }
        for (name, tensor) in tensors {
            XCTAssertEqual(tensor.data.count, tensor.shape.reduce(1, *), name, line: line)
        }
    }

    /// Compares sums (accumulated in Double, in row-major order) and the first elements with
    /// the Python reference. A signed sum can cancel to near zero, so its tolerance is relative
    /// to the sum of magnitudes.
    private func assertReference(
        _ tensor: TorchTensor?, sum: Double, absSum: Double, weighted: Double, first: [Float], line: UInt = #line
    ) {
        guard let data = tensor?.data else { return XCTFail("tensor missing", line: line) }
        let values = data.map(Double.init)
        XCTAssertEqual(values.reduce(0, +), sum, accuracy: 1e-3 * absSum, line: line)
        XCTAssertEqual(values.reduce(0) { $0 + abs($1) }, absSum, accuracy: 1e-3 * absSum, line: line)
        let weightedSum = values.enumerated().reduce(0) { $0 + Double($1.offset % 7) * $1.element }
        XCTAssertEqual(weightedSum, weighted, accuracy: 1e-3 * 6 * absSum, line: line)
        XCTAssertEqual(Array(data.prefix(first.count)), first, line: line)
    }

    func testMobileNetV2() throws {
        let tensors = try load(Self.mobileNet)
        try assertListing(tensors, "mobilenet_v2-b0353104.keys.txt")
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(tensors.count, 314)
        XCTAssertEqual(byName["features.0.0.weight"]?.shape, [32, 3, 3, 3])
        XCTAssertEqual(byName["features.0.1.running_var"]?.shape, [32])
        XCTAssertEqual(byName["classifier.1.weight"]?.shape, [1000, 1280])
        XCTAssertEqual(byName["classifier.1.bias"]?.shape, [1000])
        XCTAssertEqual(byName["features.0.1.num_batches_tracked"]?.sourceDType, "int64")
        XCTAssertEqual(byName["features.0.1.num_batches_tracked"]?.shape, [])
        assertReference(byName["features.0.0.weight"], sum: -0.773071634, absSum: 112.495778, weighted: -8.62217354,
                        first: [0.013185339979827404, -0.004321294371038675, 0.014823135919868946, 0.03278049826622009])
        assertReference(byName["classifier.1.bias"], sum: -0.000101848316, absSum: 28.4629923, weighted: 2.80414248,
                        first: [0.04718802496790886, 0.00994938239455223, -0.03339512273669243, -0.051339056342840195])
    }

    func testEfficientNetLite0() throws {
        let tensors = try load(Self.efficientNet)
        try assertListing(tensors, "efficientnet-lite0-57934424.keys.txt")
        let byName = Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(tensors.count, 296)
        XCTAssertEqual(byName["_conv_stem.weight"]?.shape, [32, 3, 3, 3])
        XCTAssertEqual(byName["_fc.weight"]?.shape, [1000, 1280])
        // The stem is stored channels-last (stride 1, 32, 288, 96): this checks the gather.
        assertReference(byName["_conv_stem.weight"], sum: -26.8113766, absSum: 387.120022, weighted: -81.3509598,
                        first: [-1.1103360652923584, -1.3087704181671143, -0.010156914591789246, 0.9208119511604309])
        assertReference(byName["_fc.weight"], sum: -470.632567, absSum: 65336.6729, weighted: -1377.83252,
                        first: [-0.04561043530702591, -0.09470871090888977, -0.05684146657586098, 0.06823880970478058])
    }
}
