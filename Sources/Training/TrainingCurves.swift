import Reports
import Checkpoint
import Foundation
import ImageIO

/// The training-curve PNG: loss and accuracy per epoch, training beside validation.
public enum TrainingCurves {
    public static func render(history: [EpochRecord], title: String) -> Image {
        func series(_ name: String, _ color: RGB, _ value: (EpochRecord) -> Double?) -> LineChart.Series? {
            let points = history.compactMap { r in value(r).map { (x: Double(r.epoch), y: $0) } }
            return points.isEmpty ? nil : LineChart.Series(name: name, color: color, points: points)
        }
        let blue = RGB(31, 119, 180), orange = RGB(255, 127, 14)
        let loss = LineChart.Panel(title: "\(title): loss", xLabel: "epoch", yLabel: "cross-entropy",
                                   series: [series("train", blue, { $0.trainLoss }), series("validation", orange, { $0.valLoss })].compactMap { $0 })
        let acc = LineChart.Panel(title: "\(title): accuracy", xLabel: "epoch", yLabel: "accuracy",
                                  series: [series("train", blue, { $0.trainAccuracy }), series("validation", orange, { $0.valAccuracy })].compactMap { $0 })
        return LineChart.render(panels: [loss, acc])
    }

    public static func write(history: [EpochRecord], title: String, to path: String) throws {
        let png = try ImageCodec.encodePNG(render(history: history, title: title))
        try writeAtomically(Data(png), to: path)
    }
}
