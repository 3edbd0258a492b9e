import Foundation
import ImageIO

// Object-detection box annotations as labelling tools export them (COCO JSON, YOLO txt,
// Pascal VOC XML), read into one form: boxes in pixels of the image as stored, x1/y1 exclusive.
// The readers live in BoxReaders.swift; this file holds the types, the box rules and `open`.

/// One labelled box in pixel coordinates of the image as stored (no EXIF rotation applied):
/// it covers x0 ≤ x < x1 and y0 ≤ y < y1, so `x1 - x0` is the width in pixels. Coordinates
/// are `Double` because COCO and YOLO carry fractional pixels; nothing is rounded.
public struct LabelledBox: Sendable, Equatable {
    /// Index into `BoxDataset.classes`.
    public var classIndex: Int
    /// `BoxDataset.classes[classIndex]`, kept beside the index for messages.
    public var className: String
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double
    /// VOC `<difficult>1</difficult>` or COCO `"iscrowd": 1`: the box is real but the
    /// object is hard or a group; a trainer usually neither rewards nor punishes it.
    public var isDifficult: Bool

    public init(classIndex: Int, className: String, x0: Double, y0: Double, x1: Double, y1: Double, isDifficult: Bool = false) {
        self.classIndex = classIndex
        self.className = className
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
        self.isDifficult = isDifficult
    }

    /// x1 - x0, in pixels.
    public var width: Double { x1 - x0 }
    /// y1 - y0, in pixels.
    public var height: Double { y1 - y0 }
}

/// An image file and its boxes. An image with no boxes is a negative (background) example.
public struct AnnotatedImage: Sendable, Equatable {
    /// Path of the image file (the dataset's root or images folder joined with the name).
    public var path: String
    /// Size of the image as stored, in pixels: from the annotation file (COCO, VOC) or the
    /// image header (YOLO, and VOC/COCO entries that leave it out or give 0).
    public var width: Int
    public var height: Int
    public var boxes: [LabelledBox]
    /// How many of this image's boxes were left out as problems. A trainer may prefer to skip
    /// such images: a dropped box leaves an unlabelled object that would be learnt as background.
    public var droppedBoxes: Int

    public init(path: String, width: Int, height: Int, boxes: [LabelledBox], droppedBoxes: Int = 0) {
        self.path = path
        self.width = width
        self.height = height
        self.boxes = boxes
        self.droppedBoxes = droppedBoxes
    }
}

/// A bad annotation entry: the file, the entry in it and the reason. Also what the readers
/// throw — in strict mode for the first problem, and always for a dataset that cannot be read
/// at all (no recognisable layout, COCO file that is not JSON, YOLO without class names).
public struct AnnotationProblem: Error, CustomStringConvertible, Sendable, Equatable {
    /// The annotation file (or image file) the entry is in.
    public var file: String
    /// Where in the file: "annotations[17]", "images[3]", "line 4", "object[2]", "filename",
    /// "header", "JSON", "file". Array-like entries count from 0, lines from 1.
    public var entry: String
    public var reason: String

    public init(file: String, entry: String, reason: String) {
        self.file = file
        self.entry = entry
        self.reason = reason
    }

    /// "FILE: ENTRY: reason".
    public var description: String { "\(file): \(entry): \(reason)" }
}

/// Which labelling-tool export a `BoxDataset` came from.
public enum BoxFormat: String, Sendable, Equatable {
    case coco
    case yolo
    case voc
}

/// Images with labelled boxes, plus the entries that were left out and why.
///
/// ```swift
/// let data = try BoxDataset.open("/data/parts")           // COCO, YOLO or VOC, detected
/// for p in data.problems { print(p) }                      // "labels/a.txt: line 4: …"
/// for image in data.images { train(image.path, image.boxes) }
/// ```
///
/// Box rules, the same for every format:
/// - a box with zero or negative width or height (after conversion to pixels) is a problem;
/// - a box that pokes out of the image by at most 1 px on each side (rounding in the tool, or
///   VOC's `xmin` 0 that becomes -1) is clipped to the image silently;
/// - a box further outside is clipped silently when at least half its area is inside, and is
///   a problem ("more than half outside") when less than half is inside — it then most
///   likely belongs to another image size or orientation;
/// - a problem leaves that one entry out and keeps the rest (see `AnnotatedImage.droppedBoxes`);
///   with `strict: true` the first problem is thrown instead.
public struct BoxDataset: Sendable {
    /// The folder (or COCO JSON file) the dataset was read from.
    public var root: String
    public var format: BoxFormat
    /// Class names in class-index order.
    public var classes: [String]
    /// Images in a stable order: COCO in the JSON's order; YOLO and VOC sorted by path.
    public var images: [AnnotatedImage]
    /// Entries left out, in the order they were found.
    public var problems: [AnnotationProblem]

    public init(root: String, format: BoxFormat, classes: [String], images: [AnnotatedImage], problems: [AnnotationProblem]) {
        self.root = root
        self.format = format
        self.classes = classes
        self.images = images
        self.problems = problems
    }

    /// Boxes per class, in class order.
    public var boxCounts: [Int] {
        var c = [Int](repeating: 0, count: classes.count)
        for image in images { for b in image.boxes where b.classIndex < c.count { c[b.classIndex] += 1 } }
        return c
    }

    /// Reads a dataset, detecting its format from the layout:
    /// - a folder with `labels/` → YOLO (`BoxDataset.yolo(root:)`);
    /// - a folder with `Annotations/` → Pascal VOC (`BoxDataset.voc(root:)`);
    /// - a `.json` file → COCO, images relative to the JSON's folder;
    /// - a folder with `instances.json` or exactly one `.json` file (in it or in its
    ///   `annotations/` subfolder) → COCO, images relative to the folder's `images/` when
    ///   that exists, else to the JSON's folder.
    /// The specific folders are tried first because a stray `.json` is common in any folder.
    /// Throws an `AnnotationProblem` when the path matches none of these.
    public static func open(_ path: String, strict: Bool = false) throws -> BoxDataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            throw AnnotationProblem(file: path, entry: "file", reason: "does not exist")
        }
        if !isDir.boolValue {
            guard path.lowercased().hasSuffix(".json") else {
                throw AnnotationProblem(file: path, entry: "file", reason: "not a .json file or a dataset folder")
            }
            return try coco(json: path, images: nil, strict: strict)
        }
        if boxPathIsFolder(path + "/labels") { return try yolo(root: path, strict: strict) }
        if boxPathIsFolder(path + "/Annotations") { return try voc(root: path, strict: strict) }
        var jsons: [String] = []
        for dir in [path, path + "/annotations"] {
            let names = (try? fm.contentsOfDirectory(atPath: dir)) ?? []
            if names.contains("instances.json") { jsons = [dir + "/instances.json"]; break }
            jsons += names.filter { $0.lowercased().hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { dir + "/" + $0 }
        }
        if jsons.count == 1 {
            let images = boxPathIsFolder(path + "/images") ? path + "/images" : nil
            return try coco(json: jsons[0], images: images, strict: strict)
        }
        if jsons.count > 1 {
            throw AnnotationProblem(file: path, entry: "layout",
                                    reason: "several .json files (\(jsons.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))); open one of them")
        }
        throw AnnotationProblem(file: path, entry: "layout",
                                reason: "not a box dataset: expected labels/ (YOLO), Annotations/ (VOC) or a COCO .json")
    }
}

// MARK: - Shared rules

/// Collects problems, or throws the first one in strict mode.
struct ProblemLog {
    let strict: Bool
    var problems: [AnnotationProblem] = []

    init(strict: Bool) { self.strict = strict }

    mutating func note(_ file: String, _ entry: String, _ reason: String) throws {
        let p = AnnotationProblem(file: file, entry: entry, reason: reason)
        if strict { throw p }
        problems.append(p)
    }
}

enum BoxRules {
    /// Pixels a box may stick out of the image on each side before it counts as outside.
    static let tolerance = 1.0

    /// The box clipped to a width × height image, or the reason it is left out.
    static func fit(x0: Double, y0: Double, x1: Double, y1: Double, width: Int, height: Int) -> Result<(Double, Double, Double, Double), BoxReason> {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return .failure(BoxReason("coordinates are not finite")) }
        let w = x1 - x0, h = y1 - y0
        guard w > 0, h > 0 else { return .failure(BoxReason("zero or negative size \(fmt(w))×\(fmt(h)) px")) }
        let W = Double(width), H = Double(height)
        let cx0 = max(x0, 0), cy0 = max(y0, 0), cx1 = min(x1, W), cy1 = min(y1, H)
        let inside = max(0, cx1 - cx0) * max(0, cy1 - cy0)
        let withinTolerance = x0 >= -tolerance && y0 >= -tolerance && x1 <= W + tolerance && y1 <= H + tolerance
        if inside <= 0 || (!withinTolerance && inside * 2 < w * h) {
            return .failure(BoxReason("box (\(fmt(x0)), \(fmt(y0)))–(\(fmt(x1)), \(fmt(y1))) is more than half outside the \(width)×\(height) image"))
        }
        return .success((cx0, cy0, cx1, cy1))
    }

    static func fmt(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.3g", v)
    }
}

struct BoxReason: Error {
    let text: String
    init(_ text: String) { self.text = text }
}

/// Image size as stored (no EXIF rotation), from the header alone where the format allows.
func storedImageSize(_ path: String) throws -> (width: Int, height: Int) {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw BoxReason("cannot open the image") }
    defer { try? handle.close() }
    let head = [UInt8](handle.readData(ofLength: 32))
    // PNG: signature, then the IHDR chunk whose data starts with big-endian width and height.
    if head.count >= 24, ImageFormat.sniff(head) == .png, head[12...15].elementsEqual([0x49, 0x48, 0x44, 0x52]) {
        let be = { (i: Int) in head[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        let w = be(16), h = be(20)
        if w > 0, h > 0 { return (w, h) }
        throw BoxReason("PNG header gives size \(w)×\(h)")
    }
    handle.seek(toFileOffset: 0)
    let bytes = [UInt8](handle.readDataToEndOfFile())
    var options = DecodeOptions()
    options.applyOrientation = false
    do {
        if let size = try ImageCodec.jpegSize(bytes, options: options) { return size }
        let info = try ImageCodec.decode(bytes, options: options).info
        return (info.width, info.height)
    } catch {
        throw BoxReason("cannot read the image size: \(error)")
    }
}

func boxPathIsFolder(_ path: String) -> Bool {
    var d: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
}

func boxPathIsFile(_ path: String) -> Bool {
    var d: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &d) && !d.boolValue
}

/// Lines of a small text file (BOM and CR stripped), or nil when it is not UTF-8 text.
func boxTextLines(_ path: String) -> [String]? {
    guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else { return nil }
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    return text.split(separator: "\n", omittingEmptySubsequences: false).map {
        $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
    }
}
