import ImageIO
import XCTest
@testable import Reports

final class PrecisionRecallChartTests: XCTestCase {
    func testRendersAtTheRequestedSizeWithFixedUnitAxes() {
        let curves: [(name: String, points: [(recall: Double, precision: Double)])] = [
            (name: "car", points: [(0.1, 1), (0.5, 0.9), (0.8, 0.6)]),
            (name: "sign", points: [(0.2, 0.7), (0.3, 0.5)]),
            (name: "empty", points: []),
        ]
        let img = PrecisionRecallChart.render(curves: curves, title: "val", size: (400, 300))
        XCTAssertEqual([img.width, img.height, img.channels], [400, 300, 3])
        // Both series' colours are on the image.
        let px = img.pixels8
        func has(_ c: RGB) -> Bool {
            stride(from: 0, to: px.count, by: 3).contains { px[$0] == c.r && px[$0 + 1] == c.g && px[$0 + 2] == c.b }
        }
        XCTAssertTrue(has(RGB.palette[0]))
        XCTAssertTrue(has(RGB.palette[1]))

        // The axes span 0…1 whatever the data, with ticks at 0, 0.2, …, 1.
        let panel = LineChart.Panel(title: "", xLabel: "", yLabel: "", series: [.init(name: "s", points: [(0.2, 0.7), (0.3, 0.5)])],
                                    xRange: LineChart.padded(0, 1, fraction: 0.02), yRange: LineChart.padded(0, 1, fraction: 0.06))
        let ax = LineChart.axes(for: panel, size: (400, 300))
        XCTAssertTrue(ax.xRange.contains(0) && ax.xRange.contains(1))
        for ticks in [ax.xTicks, ax.yTicks] {
            XCTAssertEqual(ticks.count, 6)
            for (t, want) in zip(ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]) { XCTAssertEqual(t, want, accuracy: 1e-12) }
        }

        // Too small a size is raised to the chart's minimum panel.
        let tiny = PrecisionRecallChart.render(curves: [], size: (10, 10))
        XCTAssertEqual([tiny.width, tiny.height], [LineChart.minPanelWidth, LineChart.minPanelHeight])
    }
}
