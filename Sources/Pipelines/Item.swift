import Detection
import Foundation
import ImageIO

/// One image or video frame on its way through a pipeline, with everything the stages
/// learned about it. Coordinates are pixels of the decoded (upright) image.
public struct PipelineItem {
    /// The path as reported in records (relative to the input folder it came from).
    public var source: String
    /// The file to read (nil for video frames, which arrive decoded).
    public var file: String?
    /// Video frames: the frame's number in the file (from 0) and its time in seconds.
    public var frame: Int?
    public var timestamp: Double?
    /// The decoded picture (RGB or gray, 8- or 16-bit).
    public var image: Image?
    /// A network input made by `preprocess`: `(size, size, channels)` floats.
    public var input: [Float]?
    /// Whole-image classes, best first.
    public var top: [(index: Int, label: String, score: Float)] = []
    /// A feature vector (`features`).
    public var features: [Float]?
    /// Boxes: tiles, proposals or detections, in image coordinates.
    public var regions: [Region] = []
    /// A map over the image in [0, 1] (`explain`, anomaly scores).
    public var heatmap: HeatMap?
    /// Anomaly score and the threshold it is judged against (`anomaly`): NG when above.
    public var anomalyScore: Float?
    public var anomalyThreshold: Float?
    /// Why the item failed; later stages skip it and the records say so.
    public var error: String?
    /// Files written for this item (annotated images), relative to the output folder.
    public var outputs: [String] = []
    /// Size of the decoded image, kept after the pixels are released.
    public var width = 0, height = 0

    public init(source: String, file: String?) {
        self.source = source
        self.file = file
    }

    public var ok: Bool { error == nil }

    /// A name unique per item for files written from it: the source path, with `@frame` for video.
    public var stem: String {
        let base = (source as NSString).deletingPathExtension
        return frame.map { base + String(format: "@%06d", $0) } ?? base
    }

    /// The resume key: the source, and the frame for video.
    public var key: String { frame.map { "\(source)#\($0)" } ?? source }
}

/// A box found or made by a stage, with what a classifier or detector said about it.
public struct Region: Sendable {
    public enum Origin: String, Sendable { case tile, proposal, detection, merged }
    public var box: Box
    public var origin: Origin
    public var label: String?
    public var classIndex: Int?
    /// The classifier's or detector's probability; the proposal's own score before that.
    public var score: Float

    public init(box: Box, origin: Origin, label: String? = nil, classIndex: Int? = nil, score: Float = 0) {
        self.box = box
        self.origin = origin
        self.label = label
        self.classIndex = classIndex
        self.score = score
    }

    var asDetection: Detection { Detection(box: box, classIndex: classIndex ?? -1, label: label ?? "", score: score) }
}

/// A coarse map over an image, values in [0, 1], row-major `(height, width)`.
public struct HeatMap: Sendable {
    public var width: Int
    public var height: Int
    public var values: [Float]
    /// What it shows, e.g. "grad-cam: stop_sign".
    public var title: String

    public init(width: Int, height: Int, values: [Float], title: String) {
        precondition(values.count == width * height, "heat map size")
        self.width = width
        self.height = height
        self.values = values
        self.title = title
    }
}
