// A labelled object an evaluation scores detections against; same pixel frame as `Box`.

/// One annotated object: where it is and which class it belongs to. The box is in the
/// pixel frame of the predictions it is compared with (see `Box`: x1/y1 exclusive).
public struct GroundTruthBox: Sendable, Equatable, Codable, Hashable {
    public var box: Box
    /// Index into the evaluation's class names.
    public var classIndex: Int

    public init(box: Box, classIndex: Int) {
        self.box = box
        self.classIndex = classIndex
    }

    /// A box from its corners.
    public init(x0: Double, y0: Double, x1: Double, y1: Double, classIndex: Int) {
        self.init(box: Box(x0: x0, y0: y0, x1: x1, y1: y1), classIndex: classIndex)
    }
}
