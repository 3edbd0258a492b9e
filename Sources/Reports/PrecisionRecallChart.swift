import ImageIO

/// Precision–recall curves, one per class, in one `LineChart` panel with both axes fixed to
/// 0…1 so that curves of different runs and models compare at a glance.
///
/// The curves are plain numbers (Reports does not know about detections): map a detection
/// evaluation's per-class curve points to `(recall, precision)` pairs, e.g. with the
/// interpolated precision for COCO's staircase.
///
/// ```swift
/// let curves = eval.precisionRecallCurves(iou: 0.5).enumerated().map { c, pts in
///     (name: eval.classNames[c], points: pts.map { (recall: $0.recall, precision: $0.interpolatedPrecision) })
/// }
/// let img = PrecisionRecallChart.render(curves: curves, title: "val, IoU 0.5")
/// ```
public enum PrecisionRecallChart {
    /// Renders the curves as an RGB8 image of `size` pixels (raised to `LineChart`'s minimum
    /// panel size when smaller). Points are joined in the order given; a curve with no points
    /// still gets its legend entry.
    /// - Parameters:
    ///   - curves: one per class: its name (the legend) and its points.
    ///   - title: drawn above the plot.
    public static func render(curves: [(name: String, points: [(recall: Double, precision: Double)])],
                              title: String = "precision-recall, IoU 0.5",
                              size: (width: Int, height: Int) = (480, 360)) -> Image {
        let series = curves.map { c in
            LineChart.Series(name: c.name, points: c.points.map { (x: $0.recall, y: $0.precision) })
        }
        // The data ranges' own padding, around 0…1 instead of around the data.
        let panel = LineChart.Panel(title: title, xLabel: "recall", yLabel: "precision", series: series,
                                    xRange: LineChart.padded(0, 1, fraction: 0.02),
                                    yRange: LineChart.padded(0, 1, fraction: 0.06))
        return LineChart.render(panels: [panel], panelSize: size)
    }
}
