import XCTest
@testable import Inference

final class MetricsTests: XCTestCase {
    /// Hand-computed: 3 classes, 10 samples.
    func testAgainstHandComputedNumbers() {
        var m = ClassificationMetrics(classes: ["a", "b", "c"])
        // truth a: a a a b ; truth b: b b a ; truth c: c other other
        for (t, p) in [(0, 0), (0, 0), (0, 0), (0, 1), (1, 1), (1, 1), (1, 0), (2, 2), (2, nil), (2, nil)] as [(Int, Int?)] {
            m.add(truth: t, predicted: p, inTopK: p == t)
        }
        XCTAssertEqual(m.accuracy, 0.6, accuracy: 1e-12)
        XCTAssertEqual(m.confusion, [[3, 1, 0, 0], [1, 2, 0, 0], [0, 0, 1, 2]])
        let pc = m.perClass
        XCTAssertEqual(pc[0].precision, 3.0 / 4, accuracy: 1e-12)   // predicted a: 3 right of 4
        XCTAssertEqual(pc[0].recall, 3.0 / 4, accuracy: 1e-12)
        XCTAssertEqual(pc[1].precision, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(pc[1].recall, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(pc[2].precision, 1, accuracy: 1e-12)
        XCTAssertEqual(pc[2].recall, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(pc[2].f1, 0.5, accuracy: 1e-12)
        let (macro, weighted) = m.averages
        XCTAssertEqual(macro.1, (0.75 + 2.0 / 3 + 1.0 / 3) / 3, accuracy: 1e-12)
        XCTAssertEqual(weighted.1, (0.75 * 4 + 2.0 / 3 * 3 + 1.0 / 3 * 3) / 10, accuracy: 1e-12)  // = accuracy
    }
}
