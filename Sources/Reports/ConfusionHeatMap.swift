import ImageIO

/// Draws a confusion matrix as a heat map: one row per true class, one column per
/// predicted class, each cell shaded by the fraction of its row (so a rare class's
/// mistakes are as visible as a common one's) and labelled with its raw count.
///
/// The cell size shrinks with the number of classes so that even 1000 classes stay
/// around 3–4k pixels wide; counts are printed only when they fit in a cell, and labels
/// are thinned out (every k-th) when rows get thinner than a line of text.
///
/// ```swift
/// let img = ConfusionHeatMap.render(rowLabels: ["cat", "dog"], columnLabels: ["cat", "dog", "other"],
///                                   counts: [[9, 1, 0], [2, 7, 1]], title: "val, epoch 3")
/// try FileManager.default.createFile(atPath: "cm.png", contents: Data(ImageCodec.encodePNG(img)))
/// ```
public enum ConfusionHeatMap {
    /// Labels longer than this are cut and end in "..".
    public static let maxLabelCharacters = 16
    /// The grid (not counting labels) aims to fit in this many pixels per side.
    public static let gridBudget = 3600
    /// Cells never grow beyond this, so a 2-class matrix is not a poster.
    public static let maxCell = 48

    /// Renders `counts[truth][prediction]` as an RGB image.
    ///
    /// - Parameters:
    ///   - rowLabels: names of the true classes, one per row.
    ///   - columnLabels: names of the predicted classes, one per column; may have extra
    ///     entries beyond `rowLabels` (e.g. an "other" column for rejected predictions).
    ///   - counts: one row per true class; short rows count as zeros.
    ///   - title: drawn above the grid.
    public static func render(rowLabels: [String], columnLabels: [String], counts: [[Int]], title: String) -> Image {
        let rows = max(rowLabels.count, counts.count)
        let cols = max(columnLabels.count, counts.map(\.count).max() ?? 0)
        func label(_ list: [String], _ i: Int) -> String {
            i < list.count ? BitmapFont.truncated(list[i], maxCharacters: maxLabelCharacters) : ""
        }
        let rowNames = (0..<rows).map { label(rowLabels, $0) }
        let colNames = (0..<cols).map { label(columnLabels, $0) }
        let maxCount = counts.lazy.flatMap { $0 }.max() ?? 0
        let lay = Layout(rows: rows, cols: cols, rowNames: rowNames, colNames: colNames, maxCount: maxCount, title: title)

        var canvas = Canvas(width: lay.width, height: lay.height, background: .white)
        let ls = lay.labelScale, lh = BitmapFont.textHeight(scale: ls)

        // Title, centred over the grid but kept inside the image.
        let titleW = BitmapFont.textWidth(lay.title, scale: Layout.titleScale)
        let titleX = min(max(Layout.margin, lay.gridX + (lay.cols * lay.cell - titleW) / 2), lay.width - Layout.margin - titleW)
        canvas.text(lay.title, x: titleX, y: Layout.margin, color: .black, scale: Layout.titleScale)

        // Cells. Colour by row fraction; a 1-px white gap between cells once cells are big
        // enough for the gap not to swallow the colour.
        let gap = lay.cell >= 12 ? 1 : 0
        for r in 0..<rows {
            let row = r < counts.count ? counts[r] : []
            let total = row.reduce(0) { $0 + max(0, $1) }
            for c in 0..<cols {
                let n = c < row.count ? row[c] : 0
                let fraction = total > 0 ? Double(max(0, n)) / Double(total) : 0
                let fill = RGB.sequentialBlue(fraction)
                let x = lay.gridX + c * lay.cell, y = lay.gridY + r * lay.cell
                canvas.fillRect(x: x, y: y, width: lay.cell - gap, height: lay.cell - gap, color: fill)
                guard let cs = lay.countScale else { continue }
                let s = String(n)
                // Zeros in a muted tone: they are the bulk of a good matrix and should
                // recede behind the counts that matter.
                let ink: RGB = fill.luminance < 0.5 ? .white : (n == 0 ? RGB(170, 170, 170) : .black)
                let tw = BitmapFont.textWidth(s, scale: cs), th = BitmapFont.textHeight(scale: cs)
                canvas.text(s, x: x + (lay.cell - gap - tw) / 2, y: y + (lay.cell - gap - th) / 2, color: ink, scale: cs)
            }
        }
        canvas.strokeRect(x: lay.gridX - 1, y: lay.gridY - 1, width: cols * lay.cell + 2 - gap, height: rows * lay.cell + 2 - gap, color: .darkGray)

        // Row labels right-aligned against the grid; column labels read bottom to top,
        // their ends against the grid so the eye finds the column from the label's end.
        if lay.labelStride > 0 {
            for r in Swift.stride(from: 0, to: rows, by: lay.labelStride) {
                let w = BitmapFont.textWidth(rowNames[r], scale: ls)
                canvas.text(rowNames[r], x: lay.gridX - Layout.labelGap - w, y: lay.gridY + r * lay.cell + (lay.cell - gap - lh) / 2, color: .black, scale: ls)
            }
            let top = lay.gridY + rows * lay.cell + Layout.labelGap
            for c in Swift.stride(from: 0, to: cols, by: lay.labelStride) {
                canvas.verticalText(colNames[c], x: lay.gridX + c * lay.cell + (lay.cell - gap - lh) / 2, y: top, color: .black, scale: ls)
            }
        }

        // Axis titles.
        let axisH = BitmapFont.textHeight(scale: Layout.axisScale)
        let truthW = BitmapFont.textWidth("truth", scale: Layout.axisScale)
        canvas.verticalText("truth", x: Layout.margin, y: lay.gridY + (rows * lay.cell - truthW) / 2, color: .darkGray, scale: Layout.axisScale)
        let predW = BitmapFont.textWidth("prediction", scale: Layout.axisScale)
        canvas.text("prediction", x: lay.gridX + (cols * lay.cell - predW) / 2, y: lay.height - Layout.margin - axisH, color: .darkGray, scale: Layout.axisScale)

        // Colour bar: the scale of the row fraction, 100% at the top.
        let barH = rows * lay.cell - gap
        if barH > 1 {
            for i in 0..<barH {
                canvas.fillRect(x: lay.barX, y: lay.gridY + i, width: Layout.barWidth, height: 1, color: RGB.sequentialBlue(1 - Double(i) / Double(barH - 1)))
            }
            canvas.strokeRect(x: lay.barX - 1, y: lay.gridY - 1, width: Layout.barWidth + 2, height: barH + 2, color: .darkGray)
            let tx = lay.barX + Layout.barWidth + Layout.barLabelGap
            canvas.text("100%", x: tx, y: lay.gridY, color: .black, scale: ls)
            if barH >= 3 * lh { canvas.text("50%", x: tx, y: lay.gridY + (barH - lh) / 2, color: .black, scale: ls) }
            if barH >= 2 * lh { canvas.text("0%", x: tx, y: lay.gridY + barH - lh, color: .black, scale: ls) }
        }
        return canvas.image
    }

    /// Where everything goes: computed once from the class count and label lengths,
    /// shared by `render` and the tests.
    struct Layout {
        static let margin = 12
        static let titleScale = 2
        static let axisScale = 2
        static let titleGap = 12
        static let labelGap = 6
        static let axisGap = 8
        static let barGap = 16
        static let barWidth = 14
        static let barLabelGap = 4

        let rows: Int, cols: Int
        let cell: Int
        /// Scale of class labels and colour-bar ticks.
        let labelScale: Int
        /// Draw every `labelStride`-th label so neighbours never overlap; 0 draws none.
        let labelStride: Int
        /// Scale of the counts inside cells; nil when the largest count does not fit.
        let countScale: Int?
        let title: String
        let gridX: Int, gridY: Int
        let barX: Int
        let width: Int, height: Int

        init(rows: Int, cols: Int, rowNames: [String], colNames: [String], maxCount: Int, title: String) {
            self.rows = rows
            self.cols = cols
            let cell = max(1, min(ConfusionHeatMap.maxCell, ConfusionHeatMap.gridBudget / max(1, rows, cols)))
            self.cell = cell
            let ls = cell >= 20 ? 2 : 1
            labelScale = ls
            let lh = BitmapFont.textHeight(scale: ls)
            // A label needs its own height plus one pixel of air; thin cells share it.
            let stride = cell >= 2 ? (lh + 1 + cell - 1) / cell : 0
            labelStride = stride

            let widest = String(max(0, maxCount))
            let inner = cell - (cell >= 12 ? 1 : 0)
            if BitmapFont.textWidth(widest, scale: 2) + 6 <= inner && BitmapFont.textHeight(scale: 2) + 6 <= inner {
                countScale = 2
            } else if BitmapFont.textWidth(widest, scale: 1) + 2 <= inner && BitmapFont.textHeight(scale: 1) + 2 <= inner {
                countScale = 1
            } else {
                countScale = nil
            }

            func widestLabel(_ names: [String]) -> Int {
                guard stride > 0 else { return 0 }
                return Swift.stride(from: 0, to: names.count, by: stride).map { BitmapFont.textWidth(names[$0], scale: ls) }.max() ?? 0
            }
            let rowLabelW = widestLabel(rowNames), colLabelH = widestLabel(colNames)
            let axisH = BitmapFont.textHeight(scale: Layout.axisScale)
            let titleH = BitmapFont.textHeight(scale: Layout.titleScale)

            gridX = Layout.margin + axisH + Layout.axisGap + rowLabelW + Layout.labelGap
            gridY = Layout.margin + titleH + Layout.titleGap
            barX = gridX + cols * cell + Layout.barGap
            let barLabelW = BitmapFont.textWidth("100%", scale: ls)
            let contentW = barX + Layout.barWidth + Layout.barLabelGap + barLabelW + Layout.margin
            // Keep very long titles from widening the image past the size cap.
            let maxTitleChars = max(3, (max(contentW, 4000) - 2 * Layout.margin) / (BitmapFont.advance * Layout.titleScale))
            self.title = BitmapFont.truncated(title, maxCharacters: maxTitleChars)
            width = max(contentW, BitmapFont.textWidth(self.title, scale: Layout.titleScale) + 2 * Layout.margin)
            height = gridY + rows * cell + Layout.labelGap + colLabelH + Layout.axisGap + axisH + Layout.margin
        }
    }
}
