import XCTest
@testable import TensorCore
import Kernels

final class SeededRNGTests: XCTestCase {
    func testReproducibleAndWellDistributed() {
        var a = SeededRNG(seed: 42), b = SeededRNG(seed: 42)
        XCTAssertEqual((0..<10).map { _ in a.next() }, (0..<10).map { _ in b.next() })
        XCTAssertNotEqual(SeededRNG(seed: 1).state, SeededRNG(seed: 2).state)
        var r = SeededRNG(seed: 7)
        let u = (0..<100_000).map { _ in r.unit() }
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(u.reduce(0, +) / Float(u.count), 0.5, accuracy: 0.01)
        for normals in [(0..<100_000).map { _ in r.normal() }, { () -> [Float] in
            var v = [Float](repeating: 0, count: 100_001)
            v.withUnsafeMutableBufferPointer { r.fillNormal($0) }
            return v
        }()] {
            let mean = normals.reduce(0, +) / Float(normals.count)
            let variance = normals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(normals.count)
            XCTAssertEqual(mean, 0, accuracy: 0.02)
            XCTAssertEqual(variance, 1, accuracy: 0.03)
            // About 68.3 % within one standard deviation.
            XCTAssertEqual(Float(normals.filter { abs($0) < 1 }.count) / Float(normals.count), 0.683, accuracy: 0.01)
        }
    }
}

/// Which OpenBLAS kernels to ask for, from the CPU's flags.
final class BLASCoreTests: XCTestCase {
    func testSuggestsTheKernelsTheCPUAllows() {
        let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
        XCTAssertEqual(BLASCore.suggestion(current: "Prescott", cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCore.suggestion(current: "Zen", cpuFlags: avx512), "SkylakeX", "an AVX-512 CPU runs AVX-512 code")
        XCTAssertEqual(BLASCore.suggestion(current: "Prescott", cpuFlags: avx512.union(["avx512_bf16"])), "Cooperlake")
        XCTAssertNil(BLASCore.suggestion(current: "SkylakeX", cpuFlags: avx512))
        XCTAssertEqual(BLASCore.suggestion(current: "Haswell", cpuFlags: avx512), "SkylakeX", "a preset AVX2 core is not enough either")
        XCTAssertEqual(BLASCore.suggestion(current: "Sandybridge", cpuFlags: ["avx", "avx2", "fma"]), "Haswell")
        XCTAssertNil(BLASCore.suggestion(current: "Zen", cpuFlags: ["avx", "avx2", "fma"]))
        XCTAssertNil(BLASCore.suggestion(current: "Prescott", cpuFlags: ["sse3"]), "nothing better to ask for")
        XCTAssertFalse(BLASCore.name.isEmpty)
    }
}
