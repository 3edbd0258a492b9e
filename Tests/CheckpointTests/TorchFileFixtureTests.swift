import Checkpoint
import Foundation
import XCTest

/// The fixtures of Fixtures/torch/make_pth.py; the expected values mirror that script.
final class TorchFileFixtureTests: XCTestCase {
    /// name, shape, data, source dtype — in file order.
    private static let expected: [(String, [Int], [Float], String)] = [
        ("conv.weight", [2, 3], [1.5, -2.0, 3.25, 0.0, 4.5, -6.75], "float32"),
        ("view.base", [10], [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5], "float32"),
        // A transposed view at storage offset 2: element (i, j) is view.base[2 + i + 3j].
        ("view.t", [3, 2], [0.0, 1.5, 0.5, 2.0, 1.0, 2.5], "float32"),
        // Half precision: the largest finite value, the smallest subnormal and a negative zero.
        ("half", [5], [1.0, -2.5, 65504.0, 0x1p-24, -0.0], "float16"),
        ("step", [], [12345], "int64"),
        ("param", [3], [0.25, 0.5, 0.75], "float32"),
    ]

    private func assertFixture(_ file: String, line: UInt = #line) throws {
        let tensors = try TorchFile.load(path: TorchTestSupport.fixture(file))
        XCTAssertEqual(tensors.map(\.name), Self.expected.map(\.0), line: line)
        for ((name, tensor), (_, shape, data, dtype)) in zip(tensors, Self.expected) {
            XCTAssertEqual(tensor.shape, shape, name, line: line)
            XCTAssertEqual(tensor.sourceDType, dtype, name, line: line)
            // Exact comparison, bit for bit (so -0.0 differs from 0.0).
            XCTAssertEqual(tensor.data.map(\.bitPattern), data.map(\.bitPattern), name, line: line)
        }
    }

    func testLegacyFixture() throws {
        try assertFixture("legacy.pth")
    }

    func testZipFixture() throws {
        try assertFixture("zip.pth")
    }

    func testSingleStateDictWrapperIsUnwrapped() throws {
        let tensors = try TorchFile.load(path: TorchTestSupport.fixture("legacy_wrapped.pth"))
        XCTAssertEqual(tensors.map(\.name), ["a.weight"])
        XCTAssertEqual(tensors.first?.tensor.data, [1.0, 2.0])
    }

    func testNestedDictsAreFlattenedAndOtherValuesSkipped() throws {
        let tensors = try TorchFile.load(path: TorchTestSupport.fixture("legacy_nested.pth"))
        XCTAssertEqual(tensors.map(\.name), ["encoder.conv.weight", "head.bias"])
        XCTAssertEqual(tensors.map(\.tensor.shape), [[1], [2]])
        XCTAssertEqual(tensors.map(\.tensor.data), [[3.0], [-1.0, 0.5]])
    }

    func testTruncatedLegacyFileFailsCleanly() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TorchTestSupport.fixture("legacy.pth"))))
        // Every cut: inside each header pickle, the object pickle, the key list and the storages.
        for length in 0..<bytes.count {
            XCTAssertNotNil(TorchTestSupport.loadError(Array(bytes[..<length])), "cut at \(length)")
        }
    }

    func testTruncatedZipFileFailsCleanly() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TorchTestSupport.fixture("zip.pth"))))
        for length in stride(from: 0, to: bytes.count, by: 7) {
            XCTAssertNotNil(TorchTestSupport.loadError(Array(bytes[..<length])), "cut at \(length)")
        }
    }

    /// Single-byte changes of a fixture either load or throw a CheckpointError, never crash.
    private func assertCorruptionsFailCleanly(_ file: String, replacements: (UInt8) -> [UInt8]) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TorchTestSupport.fixture(file))))
        var failures = 0
        for offset in bytes.indices {
            for replacement in replacements(bytes[offset]) where replacement != bytes[offset] {
                var corrupted = bytes
                corrupted[offset] = replacement
                do {
                    _ = try TorchTestSupport.load(corrupted)
                } catch is CheckpointError {
                    failures += 1
                }
            }
        }
        XCTAssertGreaterThan(failures, 0)
    }

    func testCorruptedLegacyFileNeverCrashes() throws {
        try assertCorruptionsFailCleanly("legacy.pth") { [0x00, 0xFF, $0 ^ 0x01] }
    }

    func testCorruptedZipFileNeverCrashes() throws {
        try assertCorruptionsFailCleanly("zip.pth") { [$0 ^ 0xFF] }
    }
}
