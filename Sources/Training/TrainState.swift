import Foundation

/// One finished epoch of classification training, as `Trainer` reports it (a typed view of
/// the run loop's `EpochRow`).
public struct EpochRecord: Codable, Equatable, Sendable {
    /// 1-based.
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var valLoss: Double?
    public var valAccuracy: Double?
    /// The learning rate of the epoch's last step.
    public var learningRate: Double
    /// Training time of the epoch (validation excluded).
    public var seconds: Double
    public var imagesPerSecond: Double

    /// The metrics log's header (the run loop writes the rows).
    public static let csvHeader = EpochRow.csvHeader(columns: ["train_loss", "train_accuracy", "val_loss", "val_accuracy"])

    public init(_ row: EpochRow) {
        epoch = row.epoch
        trainLoss = row["train_loss"] ?? .nan
        trainAccuracy = row["train_accuracy"] ?? .nan
        valLoss = row["val_loss"]
        valAccuracy = row["val_accuracy"]
        learningRate = row.learningRate
        seconds = row.seconds
        imagesPerSecond = row.imagesPerSecond
    }
}
