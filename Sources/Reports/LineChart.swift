import Foundation
import ImageIO

/// Line charts for training curves: one or more panels side by side, each with its own
/// axes, "nice" ticks (1, 2 or 5 × 10^k), a title, axis labels and a legend.
///
/// Non-finite points (NaN, ±∞, e.g. a diverged loss) are skipped: they neither stretch
/// the axes nor get joined across, the curve simply has a gap there. A single point or a
/// constant series still gets a sensible, non-degenerate range.
///
/// ```swift
/// let loss = LineChart.Panel(title: "loss", xLabel: "epoch", yLabel: "loss", series: [
///     .init(name: "train", points: [(1, 2.1), (2, 1.4), (3, 1.1)]),
///     .init(name: "val", points: [(1, 2.3), (2, 1.7), (3, 1.5)]),
/// ])
/// let img = LineChart.render(panels: [loss, accuracy])
/// ```
public struct LineChart {
    /// One named curve. Points are joined in the order given.
    public struct Series {
        public var name: String
        /// nil picks `RGB.palette[i]` for the series' index `i` in its panel, so the same
        /// position (e.g. "train" first, "val" second) has the same colour in every panel.
        public var color: RGB?
        public var points: [(x: Double, y: Double)]

        public init(name: String, color: RGB? = nil, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.points = points
        }

        /// `ys` against x = 1, 2, 3, …: the usual per-epoch history.
        public init(name: String, color: RGB? = nil, ys: [Double]) {
            self.init(name: name, color: color, points: ys.enumerated().map { (x: Double($0.offset + 1), y: $0.element) })
        }
    }

    /// One set of axes with its own title, labels and curves.
    public struct Panel {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        public var series: [Series]
        /// Fixed axis ranges instead of ones fitted to the data (e.g. 0…1 for rates), so
        /// charts of different runs compare at a glance. Points outside are not clipped.
        public var xRange: ClosedRange<Double>?
        public var yRange: ClosedRange<Double>?

        public init(title: String, xLabel: String, yLabel: String, series: [Series],
                    xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil) {
            self.title = title
            self.xLabel = xLabel
            self.yLabel = yLabel
            self.series = series
            self.xRange = xRange
            self.yRange = yRange
        }
    }

    public var panels: [Panel]
    /// Size of each panel in pixels; the image is `panels.count` panels wide.
    public var panelSize: (width: Int, height: Int)

    public init(panels: [Panel], panelSize: (width: Int, height: Int) = (480, 320)) {
        self.panels = panels
        self.panelSize = panelSize
    }

    /// The chart as an RGB8 image.
    public func render() -> Image { LineChart.render(panels: panels, panelSize: panelSize) }

    /// Renders `panels` left to right, each `panelSize` pixels, into one RGB8 image.
    public static func render(panels: [Panel], panelSize: (width: Int, height: Int) = (480, 320)) -> Image {
        let w = max(minPanelWidth, panelSize.width), h = max(minPanelHeight, panelSize.height)
        var canvas = Canvas(width: w * max(1, panels.count), height: h, background: .white)
        for (i, panel) in panels.enumerated() {
            draw(panel, on: &canvas, originX: i * w, size: (w, h))
        }
        return canvas.image
    }

    // MARK: - Layout

    /// Below this the margins leave no room for a plot, so sizes are raised to it.
    static let minPanelWidth = 120
    static let minPanelHeight = 100

    /// The part of a panel that maps data to pixels, plus the ranges and ticks behind
    /// it. Computed by `axes(for:size:)`; the tests use it to find the plot area.
    struct Axes {
        /// Plot area in panel coordinates: columns `left...right`, rows `top...bottom`.
        var left: Int, top: Int, right: Int, bottom: Int
        var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
        var xTicks: [Double], yTicks: [Double]
        var xStep: Double, yStep: Double

        /// Pixel column of `x`, clamped well inside `Int` so wild data cannot trap.
        func column(_ x: Double) -> Int {
            LineChart.pixel(Double(left) + LineChart.fraction(x, in: xRange) * Double(right - left))
        }

        /// Pixel row of `y` (up is larger y).
        func row(_ y: Double) -> Int {
            LineChart.pixel(Double(bottom) - LineChart.fraction(y, in: yRange) * Double(bottom - top))
        }
    }

    static let margin = 8
    static let tickLength = 4
    static let titleScale = 2

    /// Ranges, ticks and plot rectangle for `panel` drawn at `size`.
    static func axes(for panel: Panel, size: (width: Int, height: Int)) -> Axes {
        let fitted = dataRanges(panel.series)
        let xr = usable(panel.xRange) ?? fitted.x, yr = usable(panel.yRange) ?? fitted.y
        let xStep = niceStep(span: xr.upperBound - xr.lowerBound)
        let yStep = niceStep(span: yr.upperBound - yr.lowerBound)
        let xTicks = ticks(in: xr, step: xStep), yTicks = ticks(in: yr, step: yStep)
        let tickLabelW = yTicks.map { BitmapFont.textWidth(tickLabel($0, step: yStep), scale: 1) }.max() ?? 0
        let glyphH = BitmapFont.textHeight(scale: 1)
        // Left: y label (rotated) | tick labels | ticks. Bottom: ticks | tick labels | x label.
        let left = margin + glyphH + 6 + tickLabelW + 3 + tickLength
        let top = margin + BitmapFont.textHeight(scale: titleScale) + 10
        let right = size.width - margin - 6
        let bottom = size.height - (margin + glyphH + 6 + glyphH + 3 + tickLength)
        return Axes(left: left, top: top, right: max(left + 10, right), bottom: max(top + 10, bottom),
                    xRange: xr, yRange: yr, xTicks: xTicks, yTicks: yTicks, xStep: xStep, yStep: yStep)
    }

    /// `range` when both ends are finite and apart, else nil (a fixed range that cannot
    /// place points falls back to the fitted one).
    static func usable(_ range: ClosedRange<Double>?) -> ClosedRange<Double>? {
        guard let r = range, r.lowerBound.isFinite, r.upperBound.isFinite, r.lowerBound < r.upperBound else { return nil }
        return r
    }

    /// x and y ranges covering every finite point, padded so curves do not run along the
    /// frame. Without finite data both are 0...1.
    static func dataRanges(_ series: [Series]) -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        var x0 = Double.infinity, x1 = -Double.infinity, y0 = Double.infinity, y1 = -Double.infinity
        for s in series {
            for p in s.points where p.x.isFinite && p.y.isFinite {
                x0 = min(x0, p.x); x1 = max(x1, p.x)
                y0 = min(y0, p.y); y1 = max(y1, p.y)
            }
        }
        guard x0 <= x1 else { return (0...1, 0...1) }
        return (padded(x0, x1, fraction: 0.02), padded(y0, y1, fraction: 0.06))
    }

    /// `lo...hi` widened by `fraction` of its span on each side. A zero span (one point,
    /// a constant series) widens by 10% of the value, or 0.5 around zero, so the curve
    /// sits mid-panel instead of dividing by zero.
    static func padded(_ lo: Double, _ hi: Double, fraction: Double) -> ClosedRange<Double> {
        let span = hi - lo
        let pad = span > 0 ? span * fraction : max(abs(lo) * 0.1, 0.5)
        let a = lo - pad, b = hi + pad
        // Spans near Double's limits overflow to infinity; fall back to the raw extremes.
        guard a.isFinite, b.isFinite, a < b else { return lo < hi ? lo...hi : (lo - 1)...(hi + 1) }
        return a...b
    }

    /// The 1, 2 or 5 × 10^k step closest to cutting `span` into `target` intervals; 0
    /// when the span is not a usable positive finite number. Rounding to the nearest nice
    /// multiplier (rather than up) keeps 4–7 ticks instead of dropping to 2–3 when the
    /// padded span is just over a round number.
    static func niceStep(span: Double, target: Double = 5) -> Double {
        guard span.isFinite, span > 0 else { return 0 }
        let raw = span / target
        let magnitude = pow(10, floor(log10(raw)))
        let norm = raw / magnitude
        // Thresholds near the geometric means of neighbouring multipliers.
        let mult: Double = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10
        return mult * magnitude
    }

    /// Multiples of `step` inside `range` (at most 50, as a guard against precision loss).
    static func ticks(in range: ClosedRange<Double>, step: Double) -> [Double] {
        guard step > 0, step.isFinite else { return [] }
        let first = (range.lowerBound / step).rounded(.up)
        var out: [Double] = []
        // Index times step rather than repeated addition, so ticks stay exact multiples.
        for i in 0..<50 {
            let v = (first + Double(i)) * step
            if v > range.upperBound + step * 1e-9 { break }
            out.append(abs(v) < step * 1e-9 ? 0 : v)
        }
        return out
    }

    /// A tick value with just enough decimals to tell neighbouring ticks apart.
    static func tickLabel(_ v: Double, step: Double) -> String {
        let v = abs(v) < step * 1e-9 ? 0 : v
        if abs(v) >= 1e7 || (step > 0 && step < 1e-5) { return String(format: "%.3g", v) }
        let decimals = step >= 1 ? 0 : max(0, Int((-log10(step)).rounded(.up)))
        return String(format: "%.\(decimals)f", v)
    }

    /// Where `v` lies in `range` as 0...1 (unclamped); 0 for a degenerate range.
    static func fraction(_ v: Double, in range: ClosedRange<Double>) -> Double {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return 0 }
        return (v - range.lowerBound) / span
    }

    /// `v` rounded to a pixel coordinate, NaN to 0 and far values clamped, so the
    /// conversion to `Int` cannot trap.
    static func pixel(_ v: Double) -> Int {
        guard !v.isNaN else { return 0 }
        return Int(min(1e6, max(-1e6, v)).rounded())
    }

    // MARK: - Drawing

    static func draw(_ panel: Panel, on canvas: inout Canvas, originX ox: Int, size: (width: Int, height: Int)) {
        let ax = axes(for: panel, size: size)
        let l = ox + ax.left, r = ox + ax.right, t = ax.top, b = ax.bottom
        let glyphH = BitmapFont.textHeight(scale: 1)

        // Title centred over the plot area.
        let title = BitmapFont.truncated(panel.title, maxCharacters: max(3, (size.width - 2 * margin) / (BitmapFont.advance * titleScale)))
        let titleW = BitmapFont.textWidth(title, scale: titleScale)
        canvas.text(title, x: max(ox + margin, (l + r - titleW) / 2), y: margin, color: .black, scale: titleScale)

        // Grid lines and ticks first, so curves draw over them.
        for v in ax.yTicks {
            let y = ax.row(v)
            canvas.fillRect(x: l, y: y, width: r - l + 1, height: 1, color: .lightGray)
            canvas.fillRect(x: l - tickLength, y: y, width: tickLength, height: 1, color: .darkGray)
            let s = tickLabel(v, step: ax.yStep)
            canvas.text(s, x: l - tickLength - 3 - BitmapFont.textWidth(s), y: y - glyphH / 2, color: .darkGray)
        }
        for v in ax.xTicks {
            let x = ox + ax.column(v)
            canvas.fillRect(x: x, y: t, width: 1, height: b - t + 1, color: .lightGray)
            canvas.fillRect(x: x, y: b + 1, width: 1, height: tickLength, color: .darkGray)
            let s = tickLabel(v, step: ax.xStep)
            canvas.text(s, x: x - BitmapFont.textWidth(s) / 2, y: b + tickLength + 3, color: .darkGray)
        }
        canvas.strokeRect(x: l - 1, y: t - 1, width: r - l + 3, height: b - t + 3, color: .darkGray)

        // Axis labels.
        let xl = BitmapFont.truncated(panel.xLabel, maxCharacters: max(3, (r - l) / BitmapFont.advance))
        canvas.text(xl, x: (l + r - BitmapFont.textWidth(xl)) / 2, y: size.height - margin - glyphH, color: .black)
        let yl = BitmapFont.truncated(panel.yLabel, maxCharacters: max(3, (b - t) / BitmapFont.advance))
        canvas.verticalText(yl, x: ox + margin, y: (t + b - BitmapFont.textWidth(yl)) / 2, color: .black)

        // Curves: segments between consecutive finite points; a non-finite point leaves
        // a gap. Markers when points are few enough to be told apart, and always for a
        // point with no finite neighbour, which would otherwise be invisible.
        let colors = panel.series.indices.map { panel.series[$0].color ?? RGB.palette[$0 % RGB.palette.count] }
        var plotted: [(x: Int, y: Int)] = []
        for (si, s) in panel.series.enumerated() {
            let pts = s.points.map { p -> (x: Int, y: Int)? in
                p.x.isFinite && p.y.isFinite ? (x: ox + ax.column(p.x), y: ax.row(p.y)) : nil
            }
            let finiteCount = pts.lazy.compactMap { $0 }.count
            for (i, p) in pts.enumerated() {
                guard let p else { continue }
                plotted.append(p)
                let prev = i > 0 ? pts[i - 1] : nil, next = i + 1 < pts.count ? pts[i + 1] : nil
                if let prev {
                    canvas.line(from: prev, to: p, color: colors[si], thickness: 2)
                    // Samples along the segment, so the legend also avoids the lines
                    // between sparse points, not just the points themselves.
                    let n = max(abs(p.x - prev.x), abs(p.y - prev.y)) / 4
                    for k in Swift.stride(from: 1, to: n, by: 1) {
                        plotted.append((x: prev.x + (p.x - prev.x) * k / n, y: prev.y + (p.y - prev.y) * k / n))
                    }
                }
                if finiteCount <= 40 || (prev == nil && next == nil) {
                    canvas.fillRect(x: p.x - 2, y: p.y - 2, width: 5, height: 5, color: colors[si])
                }
            }
        }
        if plotted.isEmpty {
            let s = "no data"
            canvas.text(s, x: (l + r - BitmapFont.textWidth(s)) / 2, y: (t + b - glyphH) / 2, color: .gray)
        }

        drawLegend(panel.series.map(\.name), colors: colors, on: &canvas,
                   plot: (l, t, r, b), avoiding: plotted)
    }

    /// A boxed legend in whichever plot corner covers the fewest data points.
    static func drawLegend(_ names: [String], colors: [RGB], on canvas: inout Canvas,
                           plot: (l: Int, t: Int, r: Int, b: Int), avoiding points: [(x: Int, y: Int)]) {
        guard !names.isEmpty else { return }
        let labels = names.map { BitmapFont.truncated($0, maxCharacters: 24) }
        let swatch = 16, lineH = 11, pad = 5
        let w = pad + swatch + 4 + (labels.map { BitmapFont.textWidth($0) }.max() ?? 0) + pad
        let h = pad + labels.count * lineH - 4 + pad
        let inset = 6
        let corners = [(plot.r - inset - w, plot.t + inset), (plot.l + inset, plot.t + inset),
                       (plot.r - inset - w, plot.b - inset - h), (plot.l + inset, plot.b - inset - h)]
        // Ties keep the earlier corner: top-right is where readers look first.
        let (x, y) = corners.min { a, b in
            covered(points, x: a.0, y: a.1, w: w, h: h) < covered(points, x: b.0, y: b.1, w: w, h: h)
        }!
        canvas.fillRect(x: x, y: y, width: w, height: h, color: .white)
        canvas.strokeRect(x: x, y: y, width: w, height: h, color: .gray)
        for (i, label) in labels.enumerated() {
            let rowY = y + pad + i * lineH
            canvas.fillRect(x: x + pad, y: rowY + 2, width: swatch, height: 3, color: colors[i])
            canvas.text(label, x: x + pad + swatch + 4, y: rowY, color: .black)
        }
    }

    /// How many of `points` fall in the box, with a few pixels of slack for line width.
    static func covered(_ points: [(x: Int, y: Int)], x: Int, y: Int, w: Int, h: Int) -> Int {
        points.reduce(0) { n, p in n + (p.x >= x - 3 && p.x <= x + w + 3 && p.y >= y - 3 && p.y <= y + h + 3 ? 1 : 0) }
    }
}
