// CenterNet targets (heat maps, radii, box targets) and decoding, on small grids; boxes in pixels unless said.

import XCTest
import Foundation
import TensorCore
@testable import Detection

final class CenterNetTests: XCTestCase {
    private func assertBox(_ b: Box, _ e: Box, tol: Double, file: StaticString = #filePath, line: UInt = #line) {
        for (got, want) in [(b.x0, e.x0), (b.y0, e.y0), (b.x1, e.x1), (b.y1, e.y1)] {
            XCTAssertEqual(got, want, accuracy: tol, "\(b) vs \(e)", file: file, line: line)
        }
    }

    // MARK: Targets

    func testGaussianRadiusAgainstHandComputedValue() {
        // 4 × 8 cells at IoU 0.7:
        //  r1 = (12 + √(144 − 4·32·0.3/1.7)) / 2 ≈ 11.5093
        //  r2 = (24 + √(576 − 16·9.6)) / 2 ≈ 22.2762
        //  r3 = (−16.8 + √(282.24 + 4·2.8·9.6)) / 2 = (−16.8 + √389.76) / 2 ≈ 1.47116
        XCTAssertEqual(CenterNetTargets.gaussianRadius(height: 4, width: 8), (-16.8 + 389.76.squareRoot()) / 2, accuracy: 1e-9)
        XCTAssertEqual(CenterNetTargets.gaussianRadius(height: 4, width: 8), 1.47116, accuracy: 1e-4)
        // A square of side 20: r3 = (−56 + √(3136 + 4·2.8·120)) / 2 = (−56 + √4480) / 2 ≈ 5.4664.
        XCTAssertEqual(CenterNetTargets.gaussianRadius(height: 20, width: 20), (-56 + 4480.0.squareRoot()) / 2, accuracy: 1e-9)
        XCTAssertEqual(CenterNetTargets.gaussianRadius(height: 20, width: 20), 5.4664, accuracy: 1e-4)
    }

    func testSingleObjectHeatAndBoxTarget() {
        // Pixels [8, 40) × [8, 24) at stride 4: cells [2, 10) × [2, 6), centre (6, 4), radius ⌊1.47⌋ = 1, σ = 1/2.
        let t = CenterNetTargets(objects: [[(box: Box(x0: 8, y0: 8, x1: 40, y1: 24), classIndex: 1)]],
                                 gridHeight: 8, gridWidth: 12, stride: 4, classCount: 3)
        XCTAssertEqual(t.heat.shape, Shape([1, 8, 12, 3]))
        XCTAssertEqual(t.heat[0, 4, 6, 1], 1)
        XCTAssertEqual(t.heat.data.max(), 1)
        let g1 = Float(exp(-1.0 / (2 * 0.25))), g2 = Float(exp(-2.0 / (2 * 0.25)))
        XCTAssertEqual(t.heat[0, 4, 7, 1], g1, accuracy: 1e-7)
        XCTAssertEqual(t.heat[0, 3, 6, 1], g1, accuracy: 1e-7)
        XCTAssertEqual(t.heat[0, 5, 5, 1], g2, accuracy: 1e-7)
        XCTAssertEqual(t.heat[0, 4, 8, 1], 0)                   // beyond the radius
        XCTAssertEqual(t.heat.data.filter { $0 > 0 }.count, 9)  // only the 3×3, only class 1
        XCTAssertEqual(t.heat[0, 4, 6, 0], 0)
        XCTAssertEqual(t.boxes, [.init(n: 0, i: 4, j: 6, x0: 2, y0: 2, x1: 10, y1: 6, weight: 1)])

        // A box sticking out of the 48 × 32 px grid is clipped first: [0, 20) × [0, 24) → cells [0, 5) × [0, 6), centre cell (3, 2).
        let out = CenterNetTargets(objects: [[(box: Box(x0: -20, y0: -8, x1: 20, y1: 24), classIndex: 0)]],
                                   gridHeight: 8, gridWidth: 12, stride: 4, classCount: 1)
        XCTAssertEqual(out.heat[0, 3, 2, 0], 1)
        XCTAssertEqual(out.boxes, [.init(n: 0, i: 3, j: 2, x0: 0, y0: 0, x1: 5, y1: 6, weight: 1)])
        // Sizes are rounded up to whole cells for the radius, as CenterNet does: an 18.2-cell square
        // (radius 4.97 as is) radiates like a 19-cell one, radius ⌊5.19⌋ = 5, an 11 × 11 patch.
        XCTAssertEqual(CenterNetTargets.gaussianRadius(height: 18.2, width: 18.2), 4.974, accuracy: 1e-3)
        let odd = CenterNetTargets(objects: [[(box: Box(x0: 0, y0: 0, x1: 72.8, y1: 72.8), classIndex: 0)]],
                                   gridHeight: 24, gridWidth: 24, stride: 4, classCount: 1)
        XCTAssertEqual(odd.heat.data.filter { $0 > 0 }.count, 121)
    }

    func testMaxMergeSharedCentresAndSkips() {
        let big = Box(x0: 0, y0: 0, x1: 80, y1: 80)        // cells [0, 20)², centre (10, 10), radius 5
        let near = Box(x0: 40, y0: 32, x1: 56, y1: 48)     // cells [10, 14) × [8, 12), centre (12, 10), same class
        let shared = Box(x0: 36, y0: 36, x1: 48, y1: 48)   // cells [9, 12)², centre (10.5, 10.5) → cell (10, 10), smaller than big
        let tiny = Box(x0: 10, y0: 10, x1: 11.5, y1: 30)   // 1.5 px wide: skipped
        let objects: [[(box: Box, classIndex: Int)]] = [
            [(big, 0), (near, 0), (tiny, 1)],
            [(big, 0), (shared, 1)],
        ]
        let t = CenterNetTargets(objects: objects, gridHeight: 20, gridWidth: 20, stride: 4, classCount: 2)

        // Max-merge: every cell of image 0, class 0 is the larger of the two Gaussians.
        func gauss(_ radius: Int, _ dy: Int, _ dx: Int) -> Float {
            guard abs(dy) <= radius, abs(dx) <= radius else { return 0 }
            let sigma = Double(2 * radius + 1) / 6
            return Float(exp(-Double(dx * dx + dy * dy) / (2 * sigma * sigma)))
        }
        let rBig = Int(CenterNetTargets.gaussianRadius(height: 20, width: 20))
        let rNear = Int(CenterNetTargets.gaussianRadius(height: 4, width: 4))
        XCTAssertEqual(rBig, 5)
        for y in 0..<20 {
            for x in 0..<20 {
                let want = max(gauss(rBig, y - 10, x - 10), gauss(rNear, y - 10, x - 12))
                XCTAssertEqual(t.heat[0, y, x, 0], want, accuracy: 1e-7, "(\(y), \(x))")
            }
        }
        XCTAssertEqual(t.heat[0, 10, 12, 0], 1)
        XCTAssertEqual((0..<400).map { t.heat.data[$0 * 2 + 1] }.max(), 0)   // the tiny object left no trace

        // Image 1: both centres on cell (10, 10), one per class; the smaller box keeps the regression.
        XCTAssertEqual(t.heat[1, 10, 10, 0], 1)
        XCTAssertEqual(t.heat[1, 10, 10, 1], 1)
        XCTAssertEqual(t.boxes, [
            .init(n: 0, i: 10, j: 10, x0: 0, y0: 0, x1: 20, y1: 20, weight: 1),
            .init(n: 0, i: 10, j: 12, x0: 10, y0: 8, x1: 14, y1: 12, weight: 1),
            .init(n: 1, i: 10, j: 10, x0: 9, y0: 9, x1: 12, y1: 12, weight: 1),
        ])
    }

    func testNeighbourTargets() {
        // Cells [2, 22)² → centre (12, 12), radius 5, σ = 11/6: edge neighbours e^(−1/2σ²) ≈ 0.862, corners ≈ 0.743.
        let big = Box(x0: 8, y0: 8, x1: 88, y1: 88)
        let t = CenterNetTargets(objects: [[(box: big, classIndex: 0)]], gridHeight: 24, gridWidth: 24, stride: 4, classCount: 1,
                                 neighbours: true)
        let sigma = 11.0 / 6
        func weight(_ di: Int, _ dj: Int) -> Float { Float(exp(-Double(di * di + dj * dj) / (2 * sigma * sigma))) }
        XCTAssertEqual(t.boxes.map { $0.i * 24 + $0.j }, [11, 12, 13].flatMap { i in [11, 12, 13].map { i * 24 + $0 } })
        for b in t.boxes {
            XCTAssertEqual(b.weight, weight(b.i - 12, b.j - 12), accuracy: 1e-6)
            XCTAssertEqual(b.weight, t.heat[0, b.i, b.j, 0], accuracy: 1e-6)
            XCTAssertEqual([b.x0, b.y0, b.x1, b.y1], [2, 2, 22, 22])
        }
        // Without neighbours only the centre.
        let plain = CenterNetTargets(objects: [[(box: big, classIndex: 0)]], gridHeight: 24, gridWidth: 24, stride: 4, classCount: 1)
        XCTAssertEqual(plain.boxes.map(\.weight), [1])

        // Image 0: another class's centre at (13, 13) is no neighbour target of the big box, and
        // its own radius (0) gives no neighbours.
        let dot = Box(x0: 48, y0: 48, x1: 56, y1: 56)          // cells [12, 14)², centre cell (13, 13)
        // Image 1: a 12 × 12-cell box centred on (12, 14): radius 3, σ = 7/6, edge neighbours ≈ 0.693,
        // corners ≈ 0.480 (< 0.5: none). At (12, 13) the big box's 0.862 wins.
        let mid = Box(x0: 32, y0: 24, x1: 80, y1: 72)          // cells [8, 20) × [6, 18)
        let u = CenterNetTargets(objects: [[(box: big, classIndex: 0), (box: dot, classIndex: 1)],
                                           [(box: big, classIndex: 0), (box: mid, classIndex: 0)]],
                                 gridHeight: 24, gridWidth: 24, stride: 4, classCount: 2, neighbours: true)
        let image0 = u.boxes.filter { $0.n == 0 }
        XCTAssertEqual(image0.count, 9)
        XCTAssertEqual(image0.first { $0.i == 13 && $0.j == 13 }, .init(n: 0, i: 13, j: 13, x0: 12, y0: 12, x1: 14, y1: 14, weight: 1))
        XCTAssertEqual(image0.filter { $0.x0 == 2 }.count, 8)

        let image1 = u.boxes.filter { $0.n == 1 }
        let owners = Dictionary(uniqueKeysWithValues: image1.map { ($0.i * 24 + $0.j, $0) })
        XCTAssertEqual(image1.count, 13)   // 9 for the big box, the mid box's centre and 3 of its 4 edge cells
        let sigmaMid = 7.0 / 6, edgeMid = Float(exp(-1 / (2 * sigmaMid * sigmaMid)))
        for (i, j) in [(11, 14), (13, 14), (12, 15)] {
            XCTAssertEqual(owners[i * 24 + j]?.x0, 8)
            XCTAssertEqual(owners[i * 24 + j]?.weight ?? 0, edgeMid, accuracy: 1e-6)
        }
        XCTAssertEqual(owners[12 * 24 + 14]?.weight, 1)
        XCTAssertEqual(owners[12 * 24 + 13]?.x0, 2)
        XCTAssertEqual(owners[12 * 24 + 13]?.weight ?? 0, weight(0, 1), accuracy: 1e-6)
        XCTAssertNil(owners[11 * 24 + 15])
    }

    // MARK: Decoder

    /// A head output (N, H, W, C + 4) with logit −12 everywhere and, for each (n, box, class,
    /// logit), the logit at the box's centre cell and the exact regression there.
    private func head(n: Int, h: Int, w: Int, classes: Int, stride: Int,
                      objects: [(n: Int, box: Box, cls: Int, logit: Float)]) -> Tensor {
        let k = classes + 4
        var t = Tensor([n, h, w, k])
        for cell in 0..<(n * h * w) { for c in 0..<classes { t.data[cell * k + c] = -12 } }
        let s = Double(stride)
        for o in objects {
            let cx = (o.box.x0 + o.box.x1) / 2 / s, cy = (o.box.y0 + o.box.y1) / 2 / s
            let j = Int(cx), i = Int(cy)
            t[o.n, i, j, o.cls] = o.logit
            t[o.n, i, j, classes] = Float(cx - Double(j))
            t[o.n, i, j, classes + 1] = Float(cy - Double(i))
            t[o.n, i, j, classes + 2] = Float(log(o.box.width / s))
            t[o.n, i, j, classes + 3] = Float(log(o.box.height / s))
        }
        return t
    }

    func testDecoderRoundTrip() {
        let names = ["car", "sign", "person"]
        let objects: [(n: Int, box: Box, cls: Int, logit: Float)] = [
            (0, Box(x0: 10, y0: 12, x1: 50, y1: 30), 0, 12),
            (0, Box(x0: 60, y0: 5, x1: 70, y1: 45), 2, 8),
            (0, Box(x0: 3, y0: 40, x1: 17, y1: 58), 1, 10),
            (1, Box(x0: 33.5, y0: 21.25, x1: 71, y1: 47), 1, 9),
        ]
        let out = head(n: 2, h: 8, w: 10, classes: 3, stride: 8, objects: objects)
        let decoder = CenterNetDecoder(stride: 8)
        let dets = decoder.decode(out, classes: names, scaleX: 1, scaleY: 1, imageWidth: 80, imageHeight: 64)
        XCTAssertEqual(dets.count, 2)
        XCTAssertEqual(dets[0].map(\.label), ["car", "sign", "person"])   // by score: logits 12, 10, 8
        XCTAssertEqual(dets[0].map(\.classIndex), [0, 1, 2])
        assertBox(dets[0][0].box, objects[0].box, tol: 1e-3)
        assertBox(dets[0][1].box, objects[2].box, tol: 1e-3)
        assertBox(dets[0][2].box, objects[1].box, tol: 1e-3)
        XCTAssertEqual(dets[0][0].score, Float(1 / (1 + exp(-12.0))), accuracy: 1e-6)
        XCTAssertEqual(dets[1].count, 1)
        XCTAssertEqual(dets[1][0].label, "sign")
        assertBox(dets[1][0].box, objects[3].box, tol: 1e-3)

        // To original-image pixels: ×(2.5, 0.5), then clipped.
        let scaled = decoder.decode(out, classes: names, scaleX: 2.5, scaleY: 0.5, imageWidth: 200, imageHeight: 32)
        assertBox(scaled[1][0].box, objects[3].box.scaled(sx: 2.5, sy: 0.5), tol: 2.5e-3)
        let clipped = decoder.decode(out, classes: names, scaleX: 2.5, scaleY: 0.5, imageWidth: 100, imageHeight: 20)
        assertBox(clipped[1][0].box, objects[3].box.scaled(sx: 2.5, sy: 0.5).clipped(width: 100, height: 20), tol: 2.5e-3)
        XCTAssertEqual(clipped[1][0].box.x1, 100)
    }

    func testTargetsThenDecoderRoundTrip() {
        // Targets from boxes, a head that reproduces them exactly, and back.
        let boxes: [(box: Box, classIndex: Int)] = [(Box(x0: 12, y0: 20, x1: 60, y1: 44), 1), (Box(x0: 70, y0: 4, x1: 90, y1: 30), 0)]
        let t = CenterNetTargets(objects: [boxes], gridHeight: 12, gridWidth: 16, stride: 6, classCount: 2)
        var out = Tensor([1, 12, 16, 6])
        for cell in 0..<(12 * 16) {
            for c in 0..<2 { out.data[cell * 6 + c] = t.heat.data[cell * 2 + c] == 1 ? 15 : -15 }
        }
        for b in t.boxes {
            out[0, b.i, b.j, 2] = (b.x0 + b.x1) / 2 - Float(b.j)
            out[0, b.i, b.j, 3] = (b.y0 + b.y1) / 2 - Float(b.i)
            out[0, b.i, b.j, 4] = log(b.x1 - b.x0)
            out[0, b.i, b.j, 5] = log(b.y1 - b.y0)
        }
        let dets = CenterNetDecoder(stride: 6).decode(out, classes: ["a", "b"], imageWidth: 96, imageHeight: 72)[0]
        XCTAssertEqual(dets.count, 2)
        for (box, cls) in boxes {
            guard let d = dets.first(where: { $0.classIndex == cls }) else { return XCTFail("class \(cls) missing") }
            assertBox(d.box, box, tol: 1e-3)
        }
    }

    func testThresholdTopKAndPeakSuppression() {
        let names = ["a", "b"]
        var out = Tensor([1, 6, 6, 6])
        for cell in 0..<36 { out.data[cell * 6] = -12; out.data[cell * 6 + 1] = -12 }
        // Class 0: a peak of 3 with a neighbour of 2 (suppressed), a lone 0 (p = 0.5), and two equal adjacent 1s (both kept).
        out[0, 1, 1, 0] = 3; out[0, 1, 2, 0] = 2
        out[0, 4, 4, 0] = 0
        out[0, 4, 0, 0] = 1; out[0, 5, 0, 0] = 1
        // Class 1 next to the class-0 peak: other channels never suppress.
        out[0, 1, 2, 1] = 2.5
        let decoder = CenterNetDecoder(stride: 4)
        let all = decoder.decode(out, classes: names, imageWidth: 24, imageHeight: 24)[0]
        let expected: [Float] = [3, 2.5, 1, 1, 0].map { Float(1 / (1 + exp(-$0))) }
        XCTAssertEqual(all.count, expected.count)
        for (d, p) in zip(all, expected) { XCTAssertEqual(d.score, p, accuracy: 1e-6) }
        XCTAssertEqual(all.map(\.classIndex), [0, 1, 0, 0, 0])
        // Ties in row-major order: (4, 0) before (5, 0). Zero regression: a 1-cell box centred on the cell's corner.
        XCTAssertEqual(all[2].box, Box(x0: 0, y0: 14, x1: 2, y1: 18))   // x clipped at 0
        XCTAssertEqual(all[3].box, Box(x0: 0, y0: 18, x1: 2, y1: 22))

        var strict = decoder
        strict.threshold = 0.6                       // drops p = 0.5
        XCTAssertEqual(strict.decode(out, classes: names, imageWidth: 24, imageHeight: 24)[0].count, 4)
        strict.maxDetections = 2
        let top = strict.decode(out, classes: names, imageWidth: 24, imageHeight: 24)[0]
        XCTAssertEqual(top.map(\.classIndex), [0, 1])
        XCTAssertEqual(top[0].box, Box(x0: 2, y0: 2, x1: 6, y1: 6))   // cell (1, 1), zero regression, stride 4
        strict.maxDetections = 0
        XCTAssertEqual(strict.decode(out, classes: names, imageWidth: 24, imageHeight: 24)[0], [])
    }

    func testDecoderSpeedOnARealisticGrid() {
        // 60 × 80 cells, 9 classes, noisy logits: many candidate cells, still quick.
        var rng = SeededRNG(seed: 5)
        let out = Tensor.uniform([2, 60, 80, 13], -6, 0, rng: &rng)
        let start = Date()
        let dets = CenterNetDecoder(stride: 8).decode(out, classes: (0..<9).map { "c\($0)" }, imageWidth: 640, imageHeight: 480)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(dets.map(\.count), [100, 100])
        XCTAssertTrue(dets[0].allSatisfy { $0.score >= 0.05 })
        XCTAssertLessThan(seconds, 2, "debug-build decode of 2 × 60 × 80 × 9 took \(seconds) s")
    }
}
