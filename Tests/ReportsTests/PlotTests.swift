import Foundation
import ImageIO
import XCTest
@testable import Reports

final class PlotTests: XCTestCase {
    // MARK: - Font

    func testEveryPrintableASCIICharacterHasADistinctGlyph() {
        var seen: [[UInt8]: Character] = [:]
        for code in UInt8(32)...UInt8(126) {
            let c = Character(UnicodeScalar(code))
            XCTAssertTrue(BitmapFont.hasGlyph(c), "no glyph for \(c)")
            let g = BitmapFont.glyph(for: c)
            XCTAssertEqual(g.count, 7)
            XCTAssertTrue(g.allSatisfy { $0 < 32 }, "glyph for \(c) uses more than 5 columns")
            XCTAssertNotEqual(g, BitmapFont.fallback, "\(c) draws as the fallback box")
            if c == " " {
                XCTAssertEqual(g, [0, 0, 0, 0, 0, 0, 0])
            } else {
                XCTAssertTrue(g.contains { $0 != 0 }, "glyph for \(c) is blank")
            }
            if let other = seen[g] { XCTFail("\(c) and \(other) share a glyph") }
            seen[g] = c
        }
        XCTAssertEqual(seen.count, 95)
    }

    func testCharactersOutsideASCIIFallBack() {
        for c: Character in ["é", "€", "\u{7F}", "\t", "\u{1F600}"] {
            XCTAssertFalse(BitmapFont.hasGlyph(c))
            XCTAssertEqual(BitmapFont.glyph(for: c), BitmapFont.fallback)
        }
    }

    func testTextWidthAndTruncation() {
        XCTAssertEqual(BitmapFont.textWidth("", scale: 1), 0)
        XCTAssertEqual(BitmapFont.textWidth("A", scale: 1), 5)
        XCTAssertEqual(BitmapFont.textWidth("AB", scale: 2), 22)
        XCTAssertEqual(BitmapFont.textWidth("loss", scale: 2), 46)
        XCTAssertEqual(BitmapFont.truncated("Ankle boot", maxCharacters: 16), "Ankle boot")
        XCTAssertEqual(BitmapFont.truncated("abcdefghij", maxCharacters: 6), "abcd..")
    }

    /// The pixels of a canvas that differ from its white background.
    private func inked(_ c: Canvas) -> Set<[Int]> {
        var out = Set<[Int]>()
        for y in 0..<c.height { for x in 0..<c.width where c.pixel(x: x, y: y) != .white { out.insert([x, y]) } }
        return out
    }

    func testGlyphLSetsExactlyTheExpectedPixels() {
        // "L": a 7-pixel stem in column 0 and a 5-pixel foot in row 6.
        var c = Canvas(width: 20, height: 20)
        c.text("L", x: 3, y: 2, color: .black)
        var expected = Set<[Int]>()
        for y in 2...8 { expected.insert([3, y]) }
        for x in 3...7 { expected.insert([x, 8]) }
        XCTAssertEqual(inked(c), expected)
        XCTAssertEqual(c.pixel(x: 3, y: 2), .black)

        // Scale 2: every font pixel becomes a 2×2 block.
        var c2 = Canvas(width: 20, height: 20)
        c2.text("L", x: 1, y: 1, color: .black, scale: 2)
        var expected2 = Set<[Int]>()
        for y in 1...14 { for x in 1...2 { expected2.insert([x, y]) } }
        for x in 1...10 { for y in 13...14 { expected2.insert([x, y]) } }
        XCTAssertEqual(inked(c2), expected2)
    }

    func testVerticalTextReadsBottomToTop() {
        // Rotated counter-clockwise, "L"'s stem becomes the bottom row of its 7×5 box and
        // its foot the rightmost column.
        var c = Canvas(width: 20, height: 20)
        c.verticalText("L", x: 4, y: 3, color: .black)
        var expected = Set<[Int]>()
        for x in 4...10 { expected.insert([x, 7]) }
        for y in 3...7 { expected.insert([10, y]) }
        XCTAssertEqual(inked(c), expected)

        // The first character sits at the bottom: "L." puts the period above the L.
        var c2 = Canvas(width: 20, height: 20)
        c2.verticalText("L.", x: 0, y: 0, color: .black)
        let box = BitmapFont.textWidth("L.", scale: 1)
        XCTAssertEqual(box, 11)
        XCTAssertEqual(c2.pixel(x: 0, y: box - 1), .black)  // stem of L, bottom row
        XCTAssertTrue(inked(c2).allSatisfy { $0[1] < box && $0[0] < 7 })
        XCTAssertTrue(inked(c2).contains { $0[1] < 5 }, "the period should be drawn in the top part")
    }

    // MARK: - Canvas

    func testLineDrawsBothEndpointsAndClips() {
        var c = Canvas(width: 20, height: 12)
        c.line(from: (x: 2, y: 3), to: (x: 17, y: 11), color: .red)
        XCTAssertEqual(c.pixel(x: 2, y: 3), .red)
        XCTAssertEqual(c.pixel(x: 17, y: 11), .red)
        // A Bresenham line has exactly one pixel per step of its longer axis.
        XCTAssertEqual(inked(c).count, 16)

        var h = Canvas(width: 20, height: 12)
        h.line(from: (x: -50, y: 5), to: (x: 50, y: 5), color: .blue)
        XCTAssertEqual(inked(h), Set((0..<20).map { [$0, 5] }))

        var t = Canvas(width: 20, height: 12)
        t.line(from: (x: 5, y: 6), to: (x: 14, y: 6), color: .blue, thickness: 3)
        XCTAssertEqual(inked(t).count, 12 * 3)  // 10 steps + 2 columns of square overhang, 3 rows
    }

    func testOutOfRangeDrawingDoesNotCrash() {
        var c = Canvas(width: 16, height: 16)
        c.line(from: (x: Int.min, y: Int.min), to: (x: Int.max, y: Int.max), color: .red, thickness: 5)
        c.line(from: (x: Int.max, y: 0), to: (x: Int.min, y: 8), color: .red)
        XCTAssertFalse(inked(c).isEmpty)
        // Far (but not absurd) endpoints are clipped exactly: the diagonal y = x passes (8, 8).
        c = Canvas(width: 16, height: 16)
        c.line(from: (x: -1_000_000, y: -1_000_000), to: (x: 1_000_000, y: 1_000_000), color: .red)
        XCTAssertEqual(inked(c), Set((0..<16).map { [$0, $0] }))
        c = Canvas(width: 16, height: 16)
        c.line(from: (x: -100, y: -5), to: (x: 100, y: -9), color: .red)       // entirely above
        c.line(from: (x: 1_000_000, y: 3), to: (x: 2_000_000, y: 9), color: .red) // entirely right
        c.fillRect(x: Int.max, y: Int.max, width: Int.max, height: Int.max, color: .red)
        c.fillRect(x: Int.min, y: 0, width: 10, height: Int.max, color: .red)   // ends before x = 0
        c.strokeRect(x: Int.max - 1, y: -3, width: Int.max, height: 4, color: .red, thickness: 9)
        c.text("far", x: Int.max - 2, y: Int.min, color: .red, scale: 1000)
        c.verticalText("far", x: Int.min, y: Int.max - 3, color: .red, scale: 3)
        c.setPixel(x: -1, y: 99, color: .red)
        XCTAssertTrue(inked(c).isEmpty)
        XCTAssertNil(c.pixel(x: 16, y: 0))

        var empty = Canvas(width: 0, height: 0)
        empty.line(from: (x: 0, y: 0), to: (x: 5, y: 5), color: .red)
        empty.text("x", x: 0, y: 0, color: .red)
        XCTAssertEqual(empty.pixels.count, 0)
    }

    func testStrokeRectAndImage() {
        var c = Canvas(width: 10, height: 8, background: .black)
        c.strokeRect(x: 1, y: 1, width: 5, height: 4, color: .white)
        XCTAssertEqual(c.pixel(x: 1, y: 1), .white)
        XCTAssertEqual(c.pixel(x: 5, y: 4), .white)
        XCTAssertEqual(c.pixel(x: 3, y: 2), .black)   // inside stays clear
        XCTAssertEqual(c.pixel(x: 6, y: 1), .black)   // right edge is x = 5
        let img = c.image
        XCTAssertEqual(img.channels, 3)
        XCTAssertEqual(img.sample(x: 5, y: 4, channel: 1), 255)
        XCTAssertEqual(img.sample(x: 0, y: 0, channel: 0), 0)
    }

    func testColormapIsMonotoneFromWhiteToDarkBlue() {
        XCTAssertEqual(RGB.sequentialBlue(0), .white)
        XCTAssertEqual(RGB.sequentialBlue(-3), .white)
        var last = 2.0
        for i in 0...20 {
            let l = RGB.sequentialBlue(Double(i) / 20).luminance
            XCTAssertLessThan(l, last)
            last = l
        }
        let dark = RGB.sequentialBlue(1)
        XCTAssertGreaterThan(dark.b, dark.r)
        XCTAssertLessThan(dark.luminance, 0.25)
        XCTAssertEqual(RGB.lerp(.black, .white, 0.5), RGB(128, 128, 128))
    }

    // MARK: - Heat map

    func testConfusionHeatMapLayoutColoursAndPNGRoundTrip() throws {
        let counts = [[5, 0, 0], [1, 3, 1], [0, 0, 0]]
        let labels = ["cat", "dog", "bird"]
        let img = ConfusionHeatMap.render(rowLabels: labels, columnLabels: labels, counts: counts, title: "test")
        // 48-px cells; scale-2 labels up to "bird" (46 px) on the left and below.
        XCTAssertEqual(img.width, 322)
        XCTAssertEqual(img.height, 268)
        XCTAssertEqual(img.channels, 3)

        let lay = ConfusionHeatMap.Layout(rows: 3, cols: 3, rowNames: labels, colNames: labels, maxCount: 5, title: "test")
        XCTAssertEqual(lay.cell, 48)
        func cellCorner(_ r: Int, _ c: Int) -> RGB {
            let x = lay.gridX + c * lay.cell + 2, y = lay.gridY + r * lay.cell + 2
            return RGB(UInt8(img.sample(x: x, y: y, channel: 0)), UInt8(img.sample(x: x, y: y, channel: 1)),
                       UInt8(img.sample(x: x, y: y, channel: 2)))
        }
        let pure = cellCorner(0, 0), empty = cellCorner(0, 1), partial = cellCorner(1, 1), noRow = cellCorner(2, 2)
        XCTAssertEqual(pure, RGB.sequentialBlue(1))
        XCTAssertEqual(empty, .white)
        XCTAssertEqual(noRow, .white, "a row without samples has nothing to shade")
        XCTAssertLessThan(pure.luminance, partial.luminance)
        XCTAssertLessThan(partial.luminance, empty.luminance)

        // The count "5" is printed in white on the dark diagonal cell.
        var whiteInside = 0
        for y in lay.gridY..<(lay.gridY + lay.cell - 1) {
            for x in lay.gridX..<(lay.gridX + lay.cell - 1) where img.sample(x: x, y: y, channel: 2) == 255 && img.sample(x: x, y: y, channel: 0) == 255 {
                whiteInside += 1
            }
        }
        XCTAssertGreaterThan(whiteInside, 10)

        let png = try ImageCodec.encodePNG(img)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let back = try ImageCodec.decode(png).image
        XCTAssertEqual(back.width, img.width)
        XCTAssertEqual(back.height, img.height)
        XCTAssertEqual(back.channels, 3)
        XCTAssertEqual(back.pixels8, img.pixels8)
    }

    func testHeatMapOtherColumnAndLargeClassCounts() {
        let other = ConfusionHeatMap.render(rowLabels: ["a", "b"], columnLabels: ["a", "b", "other"],
                                            counts: [[3, 1, 0], [0, 2, 2]], title: "")
        let plain = ConfusionHeatMap.render(rowLabels: ["a", "b"], columnLabels: ["a", "b"],
                                            counts: [[3, 1], [0, 2]], title: "")
        XCTAssertEqual(other.width - plain.width, ConfusionHeatMap.maxCell)
        // The vertical "other" label is longer than "a" or "b", so the label band grows.
        XCTAssertEqual(other.height - plain.height, BitmapFont.textWidth("other", scale: 2) - BitmapFont.textWidth("b", scale: 2))

        // 1000 classes plus "other": small cells, no counts, labels thinned, size capped.
        let n = 1000
        let names = (0..<n).map { "class number \($0) with a long name" }
        let lay = ConfusionHeatMap.Layout(rows: n, cols: n + 1, rowNames: names.map { BitmapFont.truncated($0, maxCharacters: 16) },
                                          colNames: names.map { BitmapFont.truncated($0, maxCharacters: 16) } + ["other"],
                                          maxCount: 50, title: "imagenet")
        XCTAssertEqual(lay.cell, 3)
        XCTAssertNil(lay.countScale)
        XCTAssertGreaterThan(lay.labelStride, 1)
        XCTAssertLessThanOrEqual(lay.width, 4000)
        XCTAssertLessThanOrEqual(lay.height, 4000)
    }

    // MARK: - Line chart

    private func colorPixels(_ img: Image, _ color: RGB, xs: ClosedRange<Int>, ys: ClosedRange<Int>) -> Int {
        var n = 0
        for y in ys { for x in xs where img.sample(x: x, y: y, channel: 0) == Int(color.r)
            && img.sample(x: x, y: y, channel: 1) == Int(color.g) && img.sample(x: x, y: y, channel: 2) == Int(color.b) { n += 1 } }
        return n
    }

    func testRisingSeriesGoesFromLowerLeftToUpperRight() {
        let panel = LineChart.Panel(title: "rising", xLabel: "epoch", yLabel: "value", series: [
            .init(name: "up", color: .red, points: (0...10).map { (x: Double($0), y: Double($0) * 0.1) }),
        ])
        let size = (width: 480, height: 320)
        let img = LineChart.render(panels: [panel], panelSize: size)
        XCTAssertEqual(img.width, 480)
        XCTAssertEqual(img.height, 320)
        let ax = LineChart.axes(for: panel, size: size)
        let midX = (ax.left + ax.right) / 2, midY = (ax.top + ax.bottom) / 2
        XCTAssertGreaterThan(colorPixels(img, .red, xs: ax.left...midX - 1, ys: midY + 1...ax.bottom), 50, "lower-left")
        XCTAssertGreaterThan(colorPixels(img, .red, xs: midX + 1...ax.right, ys: ax.top...midY - 1), 50, "upper-right")
        // The line misses the lower-right quadrant (the legend goes top-left, the first
        // free corner after top-right).
        XCTAssertEqual(colorPixels(img, .red, xs: midX + 20...ax.right, ys: midY + 20...ax.bottom), 0, "lower-right")
        // Ticks are nice numbers covering the data.
        XCTAssertEqual(ax.xTicks, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(ax.yTicks.first, 0)
        XCTAssertEqual(ax.yTicks.last ?? 0, 1, accuracy: 1e-12)
    }

    func testTwoPanelsSideBySideWithDistinctDefaultColours() {
        let loss = LineChart.Panel(title: "loss", xLabel: "epoch", yLabel: "loss", series: [
            .init(name: "train", ys: [2.3, 1.2, 0.8, 0.6]), .init(name: "val", ys: [2.4, 1.5, 1.2, 1.1]),
        ])
        let acc = LineChart.Panel(title: "accuracy", xLabel: "epoch", yLabel: "accuracy", series: [
            .init(name: "train", ys: [0.3, 0.6, 0.75, 0.8]), .init(name: "val", ys: [0.28, 0.55, 0.65, 0.7]),
        ])
        let img = LineChart(panels: [loss, acc], panelSize: (300, 200)).render()
        XCTAssertEqual(img.width, 600)
        XCTAssertEqual(img.height, 200)
        XCTAssertNotEqual(RGB.palette[0], RGB.palette[1])
        for panelX in [0, 300] {
            for color in RGB.palette.prefix(2) {
                XCTAssertGreaterThan(colorPixels(img, color, xs: panelX...panelX + 299, ys: 0...199), 20)
            }
        }
    }

    func testNonFiniteValuesAreSkipped() {
        let pts: [(x: Double, y: Double)] = [(0, 1), (1, .nan), (2, 3), (3, .infinity), (.nan, 5), (4, -.infinity), (-.infinity, 0)]
        let series = LineChart.Series(name: "s", color: .green, points: pts)
        let (xr, yr) = LineChart.dataRanges([series])
        XCTAssertTrue(xr.lowerBound < 0 && xr.lowerBound > -0.5 && xr.upperBound > 2 && xr.upperBound < 2.5, "\(xr)")
        XCTAssertTrue(yr.lowerBound < 1 && yr.lowerBound > 0.5 && yr.upperBound > 3 && yr.upperBound < 3.5, "\(yr)")
        let img = LineChart.render(panels: [.init(title: "t", xLabel: "x", yLabel: "y", series: [series])])
        XCTAssertGreaterThan(colorPixels(img, .green, xs: 0...img.width - 1, ys: 0...img.height - 1), 20)

        // Nothing finite at all: default ranges, no crash, no curve.
        let junk = LineChart.Series(name: "junk", color: .green, points: [(.nan, .nan), (1, .infinity)])
        let (jx, jy) = LineChart.dataRanges([junk])
        XCTAssertEqual(jx, 0...1)
        XCTAssertEqual(jy, 0...1)
        let blank = LineChart.render(panels: [.init(title: "t", xLabel: "x", yLabel: "y", series: [junk])], panelSize: (200, 150))
        XCTAssertEqual(colorPixels(blank, .green, xs: 0...199, ys: 0...149), 3 * 16, "only the legend swatch")

        // Huge finite values must not overflow the pixel mapping.
        let wild = LineChart.Series(name: "wild", points: [(0, -Double.greatestFiniteMagnitude), (1, Double.greatestFiniteMagnitude)])
        _ = LineChart.render(panels: [.init(title: "", xLabel: "", yLabel: "", series: [wild])], panelSize: (10, 10))
    }

    func testSinglePointAndConstantSeriesGetARange() {
        let (xr, yr) = LineChart.dataRanges([.init(name: "one", points: [(x: 3, y: 0.5)])])
        XCTAssertTrue(xr.lowerBound < 3 && xr.upperBound > 3)
        XCTAssertTrue(yr.lowerBound < 0.5 && yr.upperBound > 0.5)
        let (_, flat) = LineChart.dataRanges([.init(name: "flat", ys: [0, 0, 0])])
        XCTAssertTrue(flat.lowerBound < 0 && flat.upperBound > 0)
        let img = LineChart.render(panels: [.init(title: "one", xLabel: "x", yLabel: "y", series: [.init(name: "p", color: .purple, points: [(x: 3, y: 0.5)])])])
        XCTAssertGreaterThanOrEqual(colorPixels(img, .purple, xs: 0...479, ys: 0...319), 25 + 3 * 16, "marker plus legend swatch")
    }

    func testNiceTicks() {
        XCTAssertEqual(LineChart.niceStep(span: 10), 2)
        XCTAssertEqual(LineChart.niceStep(span: 1), 0.2, accuracy: 1e-15)
        XCTAssertEqual(LineChart.niceStep(span: 0.37), 0.1, accuracy: 1e-15)
        XCTAssertEqual(LineChart.niceStep(span: 2300), 500)
        XCTAssertEqual(LineChart.niceStep(span: .nan), 0)
        XCTAssertEqual(LineChart.ticks(in: 0.05...0.95, step: 0.2).map { ($0 * 10).rounded() }, [2, 4, 6, 8])
        XCTAssertEqual(LineChart.ticks(in: -3...3, step: 2), [-2, 0, 2])
        XCTAssertEqual(LineChart.tickLabel(0.2, step: 0.2), "0.2")
        XCTAssertEqual(LineChart.tickLabel(0.05, step: 0.05), "0.05")
        XCTAssertEqual(LineChart.tickLabel(1500, step: 500), "1500")
        XCTAssertEqual(LineChart.tickLabel(-1e-17, step: 0.1), "0.0")
    }

    // MARK: - Samples for people

    /// Writes heatmap.png and curves.png to $VIGIL_PLOT_SAMPLES when it is set, so the
    /// charts can be looked at; skipped otherwise.
    func testWriteSampleCharts() throws {
        guard let dir = ProcessInfo.processInfo.environment["VIGIL_PLOT_SAMPLES"] else {
            throw XCTSkip("set VIGIL_PLOT_SAMPLES to a folder to write sample charts")
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        // Mistakes where Fashion-MNIST models make them: tops with each other, shoes with shoes.
        let confusable: [Int: [Int]] = [0: [6, 2, 3], 2: [4, 6], 4: [2, 6], 6: [0, 4, 2], 3: [0, 4], 5: [7, 9], 7: [5, 9], 9: [7, 5]]
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 11), count: 10)
        for t in 0..<10 {
            var left = 1000
            for (k, p) in (confusable[t] ?? [8]).enumerated() {
                let n = [60, 25, 9][k] - (t == 1 ? 50 : 0)
                counts[t][p] = max(0, n)
                left -= max(0, n)
            }
            counts[t][10] = t % 3
            counts[t][t] = left - t % 3
        }
        let heat = ConfusionHeatMap.render(rowLabels: names, columnLabels: names + ["other"], counts: counts,
                                           title: "Fashion-MNIST val, epoch 12 (acc 91.2%)")
        try Data(ImageCodec.encodePNG(heat)).write(to: URL(fileURLWithPath: dir).appendingPathComponent("heatmap.png"))

        // An ImageNet-sized matrix, to see the size cap and label thinning at work.
        let many = (0..<1000).map { "class \($0)" }
        let big = (0..<1000).map { t in (0...1000).map { p in p == t ? 40 : (p == (t * 7 + 3) % 1000 ? 8 : (p == 1000 ? t % 3 : 0)) } }
        let bigMap = ConfusionHeatMap.render(rowLabels: many, columnLabels: many + ["other"], counts: big, title: "1000 classes")
        try Data(ImageCodec.encodePNG(bigMap)).write(to: URL(fileURLWithPath: dir).appendingPathComponent("heatmap-1000.png"))

        // Exponential approach to `end` from `end + amplitude`, plus a late upturn.
        func curve(_ end: Double, _ amplitude: Double, _ tau: Double, upturn: Double = 0) -> [Double] {
            (1...20).map { (epoch: Int) -> Double in
                let e = Double(epoch)
                return end + amplitude * exp(-e / tau) + upturn * max(0, e - 12)
            }
        }
        let trainLoss = curve(0.25, 2.0, 3), valLoss = curve(0.32, 2.0, 3.4, upturn: 0.004)
        let trainAcc = curve(0.95, -0.6, 3)
        var valAcc = curve(0.91, -0.6, 3.4)
        valAcc[6] = .nan  // a missing evaluation shows as a gap
        let chart = LineChart(panels: [
            .init(title: "loss", xLabel: "epoch", yLabel: "cross-entropy", series: [.init(name: "train", ys: trainLoss), .init(name: "val", ys: valLoss)]),
            .init(title: "accuracy", xLabel: "epoch", yLabel: "top-1 accuracy", series: [.init(name: "train", ys: trainAcc), .init(name: "val", ys: valAcc)]),
        ])
        try Data(ImageCodec.encodePNG(chart.render())).write(to: URL(fileURLWithPath: dir).appendingPathComponent("curves.png"))
    }
}
