// Known-answer tests for Box, NMS, BoxMerge and ColorProposals; boxes in pixels, x1/y1 exclusive.

import XCTest
import ImageIO
@testable import Detection

final class DetectionTests: XCTestCase {
    private func det(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ score: Float, cls: Int = 0) -> Detection {
        Detection(box: Box(x0: x0, y0: y0, x1: x1, y1: y1), classIndex: cls, label: "c\(cls)", score: score)
    }

    private func assertBox(_ b: Box, _ e: Box, tol: Double, file: StaticString = #filePath, line: UInt = #line) {
        for (got, want) in [(b.x0, e.x0), (b.y0, e.y0), (b.x1, e.x1), (b.y1, e.y1)] {
            XCTAssertEqual(got, want, accuracy: tol, "\(b) vs \(e)", file: file, line: line)
        }
    }

    func testBoxGeometry() throws {
        let a = Box(x0: 0, y0: 0, x1: 10, y1: 10), b = Box(x0: 5, y0: 5, x1: 15, y1: 15)
        XCTAssertEqual(a.iou(b), 25.0 / 175.0, accuracy: 1e-12)
        XCTAssertEqual(a.iou(a), 1)
        XCTAssertEqual(a.iou(Box(x0: 0, y0: 0, x1: 5, y1: 10)), 0.5, accuracy: 1e-12)
        let right = Box(x0: 10, y0: 0, x1: 20, y1: 10)
        XCTAssertEqual(a.iou(right), 0)
        XCTAssertNil(a.intersection(right))
        XCTAssertTrue(a.touches(right))
        XCTAssertFalse(a.touches(Box(x0: 11, y0: 0, x1: 20, y1: 10)))
        XCTAssertEqual(a.intersection(b), Box(x0: 5, y0: 5, x1: 10, y1: 10))
        let c = Box(x: 2, y: 4, width: 6, height: 8)
        XCTAssertEqual([c.width, c.height, c.area, c.center.x, c.center.y], [6, 8, 48, 5, 8])
        XCTAssertEqual(Box(x0: -5, y0: 3, x1: 50, y1: 90).clipped(width: 40, height: 30), Box(x0: 0, y0: 3, x1: 40, y1: 30))
        XCTAssertEqual(c.scaled(sx: 2, sy: 0.5), Box(x0: 4, y0: 2, x1: 16, y1: 6))
        XCTAssertEqual(c.offset(dx: 10, dy: -4), Box(x0: 12, y0: 0, x1: 18, y1: 8))
        XCTAssertEqual(Box(x0: 5, y0: 5, x1: 3, y1: 9).area, 0)
        let d = det(1, 2, 3, 4, 0.5)
        XCTAssertEqual(try JSONDecoder().decode(Detection.self, from: JSONEncoder().encode(d)), d)
    }

    func testNMSPerClassAndAcrossClasses() {
        let a = det(0, 0, 10, 10, 0.9)
        let b = det(1, 1, 11, 11, 0.8)            // IoU with a = 81/119 ≈ 0.68
        let c = det(50, 50, 60, 60, 0.7)          // apart
        let d = det(0, 0, 10, 10, 0.85, cls: 1)   // same place, other class
        XCTAssertEqual(NMS.apply([b, c, a, d], iou: 0.5), [a, d, c])
        XCTAssertEqual(NMS.apply([b, c, a, d], iou: 0.5, perClass: false), [a, c])
        XCTAssertEqual(NMS.apply([b, c, a, d], iou: 0.7), [a, d, b, c])   // 0.68 is below the threshold
        XCTAssertEqual(NMS.apply([b, c, a, d], iou: 0.5, maxDetections: 2), [a, d])
        // Equal scores: the earlier one survives.
        let e = det(0, 0, 10, 10, 0.5), f = det(0, 0, 10, 11, 0.5)
        XCTAssertEqual(NMS.apply([e, f], iou: 0.5), [e])
        XCTAssertEqual(NMS.apply([f, e], iou: 0.5), [f])
        XCTAssertEqual(NMS.apply([], iou: 0.5), [])
    }

    func testMergeTouchingTiles() {
        let grid = [det(0, 0, 32, 32, 0.5), det(32, 0, 64, 32, 0.9), det(0, 32, 32, 64, 0.6), det(32, 32, 64, 64, 0.7)]
        let apart = det(100, 100, 132, 132, 0.4)
        let other = det(16, 16, 48, 48, 0.95, cls: 2)
        let merged = BoxMerge.merge(grid + [apart, other])
        XCTAssertEqual(merged.count, 3)
        XCTAssertEqual(merged[0], other)
        XCTAssertEqual(merged[1].box, Box(x0: 0, y0: 0, x1: 64, y1: 64))
        XCTAssertEqual(merged[1].score, 0.9)
        XCTAssertEqual(merged[1].classIndex, 0)
        XCTAssertEqual(merged[2], apart)
        // Without `touching`, edge-sharing tiles have IoU 0 and stay apart.
        XCTAssertEqual(BoxMerge.merge(grid, touching: false).count, 4)
        // Transitive through overlap: a–b and b–c overlap, a and c do not.
        let chain = [det(0, 0, 10, 10, 0.3), det(8, 0, 18, 10, 0.2), det(16, 0, 26, 10, 0.1)]
        XCTAssertEqual(BoxMerge.merge(chain, touching: false).map(\.box), [Box(x0: 0, y0: 0, x1: 26, y1: 10)])
        XCTAssertEqual(BoxMerge.merge(chain, minIoU: 0.5, touching: false).count, 3)
    }

    // MARK: colour proposals

    /// 320×240 gray scene: a red disc (centre 100,120, r 30 → pixels [70,130)×[90,150)), a thin
    /// horizontal red line (aspect), a thin diagonal red line (fill), a blue disc, a 3×3 red speck.
    private func scene(discColor: (Int, Int) -> (UInt8, UInt8, UInt8) = { _, _ in (200, 30, 30) }) -> Image {
        let w = 320, h = 240
        var px = [UInt8](repeating: 128, count: w * h * 3)
        func paint(_ inside: (Double, Double) -> Bool, _ color: (Int, Int) -> (UInt8, UInt8, UInt8)) {
            for y in 0..<h {
                for x in 0..<w where inside(Double(x) + 0.5, Double(y) + 0.5) {
                    let c = color(x, y)
                    px[(y * w + x) * 3] = c.0; px[(y * w + x) * 3 + 1] = c.1; px[(y * w + x) * 3 + 2] = c.2
                }
            }
        }
        let red: (Int, Int) -> (UInt8, UInt8, UInt8) = { _, _ in (210, 25, 25) }
        paint({ x, y in (x - 100) * (x - 100) + (y - 120) * (y - 120) <= 900 }, discColor)
        paint({ x, y in x >= 150 && x < 300 && y >= 20 && y < 22 }, red)
        paint({ x, y in x >= 150 && x < 210 && abs((y - 90) - (x - 150)) <= 1 }, red)
        paint({ x, y in (x - 250) * (x - 250) + (y - 180) * (y - 180) <= 625 }, { _, _ in (30, 60, 200) })
        paint({ x, y in x >= 20 && x < 23 && y >= 200 && y < 203 }, red)
        return Image(width: w, height: h, channels: 3, pixels8: px)
    }

    private let discTruth = Box(x0: 70, y0: 90, x1: 130, y1: 150)

    func testProposalsFindOnlyTheRedDisc() {
        let img = scene()
        let ps = ColorProposals.propose(img)
        XCTAssertEqual(ps.count, 1, "\(ps)")
        guard let p = ps.first else { return }
        assertBox(p.box, discTruth.padded(dx: 6, dy: 6), tol: 2)
        XCTAssertEqual(Double(p.pixelCount), Double.pi * 900, accuracy: 60)
        XCTAssertEqual(p.fill, Double.pi / 4, accuracy: 0.05)
        XCTAssertTrue(p.score > 0.5 && p.score <= 1, "\(p.score)")
        var noPad = ColorProposals.Options()
        noPad.padding = 0
        assertBox(ColorProposals.propose(img, options: noPad).first?.box ?? Box(x0: 0, y0: 0, x1: 0, y1: 0), discTruth, tol: 2)
        // Blue is found by a blue range instead.
        let blue = ColorProposals.propose(img, options: .init(ranges: [.blue], padding: 0))
        XCTAssertEqual(blue.count, 1)
        assertBox(blue.first?.box ?? discTruth, Box(x0: 225, y0: 155, x1: 275, y1: 205), tol: 2)
        // A 1-px gray cut through the disc (a letter stroke, say) is bridged by the 3×3 closing.
        let cut = ColorProposals.propose(scene { x, _ in x == 100 ? (128, 128, 128) : (200, 30, 30) })
        XCTAssertEqual(cut.count, 1)
        assertBox(cut.first?.box ?? discTruth, discTruth.padded(dx: 6, dy: 6), tol: 2)
        // Loosening the shape filters lets the lines and the speck through.
        let loose = ColorProposals.Options(minArea: 1, aspect: 0.01...100, minFill: 0)
        XCTAssertEqual(ColorProposals.propose(img, options: loose).count, 4)
    }

    func testProposalsWhenRedWrapsAroundZero() {
        // Left half of the disc at hue ≈ 351°, right half at ≈ 12°.
        let img = scene { x, _ in x < 100 ? (220, 20, 50) : (220, 60, 20) }
        let ps = ColorProposals.propose(img)
        XCTAssertEqual(ps.count, 1)
        assertBox(ps.first?.box ?? Box(x0: 0, y0: 0, x1: 0, y1: 0), discTruth.padded(dx: 6, dy: 6), tol: 2)
        // A range that does not wrap sees only the right half.
        let noWrap = HSVRange(hueMin: 0, hueMax: 20, saturation: 0.45...1, value: 0.25...1)
        let half = ColorProposals.propose(img, options: .init(ranges: [noWrap], padding: 0))
        XCTAssertEqual(half.count, 1)
        assertBox(half.first?.box ?? discTruth, Box(x0: 100, y0: 90, x1: 130, y1: 150), tol: 2)
        XCTAssertTrue(HSVRange.red.contains(h: 350, s: 0.8, v: 0.8))
        XCTAssertTrue(HSVRange.red.contains(h: 10, s: 0.8, v: 0.8))
        XCTAssertFalse(HSVRange.red.contains(h: 180, s: 0.8, v: 0.8))
        XCTAssertFalse(HSVRange.red.contains(h: 0, s: 0.1, v: 0.8))
    }

    func testProposalsOnADownscaledCopyMapBack() {
        var o = ColorProposals.Options(padding: 0)
        o.downscale = 160   // 320×240 is worked on at 160×120
        let ps = ColorProposals.propose(scene(), options: o)
        XCTAssertEqual(ps.count, 1, "\(ps)")
        assertBox(ps.first?.box ?? Box(x0: 0, y0: 0, x1: 0, y1: 0), discTruth, tol: 3)
    }

    func testEmptyImagesGiveNoProposals() throws {
        XCTAssertEqual(ColorProposals.propose(Image(width: 64, height: 48, channels: 3,
                                                    pixels8: [UInt8](repeating: 128, count: 64 * 48 * 3))), [])
        XCTAssertEqual(ColorProposals.propose(Image(width: 0, height: 0, channels: 3, pixels8: [])), [])
        XCTAssertEqual(ColorProposals.propose(scene().toGray8()), [])
        try ColorProposals.Options().validate()
        XCTAssertThrowsError(try ColorProposals.Options(minFill: 2).validate())
    }

    func testLabellingJoinsUShapesAndDiagonals() {
        // A "U" (joined only at the bottom) and a diagonal staircase are one blob each; 8-connectivity.
        let w = 7, h = 4
        let rows = ["X.X..X.",
                    "X.X...X",
                    "XXX..X.",
                    "....X.."]
        let mask = rows.flatMap { $0.map { $0 == "X" ? UInt8(1) : 0 } }
        let sat = [UInt8](repeating: 255, count: w * h)
        let blobs = mask.withUnsafeBufferPointer { m in sat.withUnsafeBufferPointer { ColorProposals.label(m, $0, w, h) } }
        XCTAssertEqual(blobs.count, 2)
        XCTAssertEqual(blobs.map(\.count), [7, 4])
        XCTAssertEqual(blobs.map { [$0.minX, $0.minY, $0.maxX, $0.maxY] }, [[0, 0, 2, 2], [4, 0, 6, 3]])
    }
}
