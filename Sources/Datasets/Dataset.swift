import Foundation
import ImageIO
import TensorCore

/// Labelled images: `count` samples, each an image and a class index into `classes`.
public protocol Dataset: Sendable {
    var classes: [String] { get }
    var count: Int { get }
    func label(_ i: Int) -> Int
    /// A name for messages (a path, or "idx[17]").
    func name(_ i: Int) -> String
    /// Decodes sample i; throws an error naming the file when it cannot.
    func image(_ i: Int) throws -> Image
    /// The encoded file of sample i, for file-backed datasets (nil otherwise): lets the loader
    /// plan a crop from the header and decode JPEGs at the DCT scale the crop needs.
    func fileBytes(_ i: Int) throws -> [UInt8]?
}

extension Dataset {
    public func fileBytes(_ i: Int) throws -> [UInt8]? { nil }

    /// Samples per class, in class order.
    public var classCounts: [Int] {
        var c = [Int](repeating: 0, count: classes.count)
        for i in 0..<count { c[label(i)] += 1 }
        return c
    }

    /// Inverse-frequency class weights normalised to mean 1 (for the loss), 0 for empty classes.
    public var classWeights: [Float] {
        let counts = classCounts
        let present = counts.filter { $0 > 0 }.count
        let total = Float(count)
        return counts.map { $0 > 0 ? total / (Float(present) * Float($0)) : 0 }
    }
}

/// One subfolder per class (the torchvision ImageFolder convention); files found recursively
/// inside each class folder, hidden files skipped, in path order.
public struct ImageFolderDataset: Dataset {
    public let root: String
    public let classes: [String]
    let files: [(path: String, label: Int)]

    public init(root: String) throws {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root) else { throw DatasetError(path: root, reason: "cannot list the folder") }
        var isDir: ObjCBool = false
        let classNames = names.filter { !$0.hasPrefix(".") && fm.fileExists(atPath: root + "/" + $0, isDirectory: &isDir) && isDir.boolValue }.sorted()
        guard !classNames.isEmpty else { throw DatasetError(path: root, reason: "no class subfolders") }
        var files: [(String, Int)] = []
        for (label, cls) in classNames.enumerated() {
            let dir = root + "/" + cls
            let found = (fm.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? [])
                .filter { !$0.split(separator: "/").contains { $0.hasPrefix(".") } }
                .filter { var d: ObjCBool = false; return fm.fileExists(atPath: dir + "/" + $0, isDirectory: &d) && !d.boolValue }
                .sorted()
            files += found.map { (dir + "/" + $0, label) }
        }
        self.root = root
        self.classes = classNames
        self.files = files
    }

    public var count: Int { files.count }
    public func label(_ i: Int) -> Int { files[i].label }
    public func name(_ i: Int) -> String { files[i].path }
    public func image(_ i: Int) throws -> Image { try ImageCodec.decode(fileAt: files[i].path).image }
    public func fileBytes(_ i: Int) throws -> [UInt8]? { try readFile(files[i].path) }
}

/// A CSV or TSV file of `path,label` rows (paths relative to the file; an optional header
/// row `path,label`). Classes are the distinct labels, sorted.
public struct LabelFileDataset: Dataset {
    public let classes: [String]
    let files: [(path: String, label: Int)]

    public init(file: String) throws {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw DatasetError(path: file, reason: "cannot read") }
        let base = (file as NSString).deletingLastPathComponent
        let separator: Character = file.lowercased().hasSuffix(".tsv") || (!text.contains(",") && text.contains("\t")) ? "\t" : ","
        var rows: [(String, String)] = []
        for (n, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw DatasetError(path: file, reason: "line \(n + 1): expected path\(separator == "\t" ? "<TAB>" : ",")label")
            }
            if n == 0 && fields[0].lowercased() == "path" && fields[1].lowercased() == "label" { continue }
            rows.append((fields[0].hasPrefix("/") ? fields[0] : base + "/" + fields[0], fields[1]))
        }
        guard !rows.isEmpty else { throw DatasetError(path: file, reason: "no rows") }
        let classes = Set(rows.map(\.1)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        self.classes = classes
        self.files = rows.map { ($0.0, index[$0.1]!) }
    }

    public var count: Int { files.count }
    public func label(_ i: Int) -> Int { files[i].label }
    public func name(_ i: Int) -> String { files[i].path }
    public func image(_ i: Int) throws -> Image { try ImageCodec.decode(fileAt: files[i].path).image }
    public func fileBytes(_ i: Int) throws -> [UInt8]? { try readFile(files[i].path) }
}

/// Images and labels from a pair of IDX files (e.g. Fashion-MNIST's `train-images-idx3-ubyte.gz`
/// and `train-labels-idx1-ubyte.gz`), held in memory as 8-bit gray.
public struct IDXDataset: Dataset {
    public let classes: [String]
    let images: IDX.Array
    let labels: [UInt8]
    let side: (Int, Int)

    public init(images imagesPath: String, labels labelsPath: String, classes: [String]? = nil) throws {
        let imgs = try IDX.read(path: imagesPath), labs = try IDX.read(path: labelsPath)
        guard imgs.dims.count == 3 else { throw DatasetError(path: imagesPath, reason: "expected N×H×W images, got \(imgs.dims)") }
        guard labs.dims.count == 1, labs.dims[0] == imgs.dims[0] else {
            throw DatasetError(path: labelsPath, reason: "\(labs.dims) labels for \(imgs.dims[0]) images")
        }
        let k = Int(labs.bytes.max() ?? 0) + 1
        if let classes, classes.count < k { throw DatasetError(path: labelsPath, reason: "label \(k - 1) but only \(classes.count) class names") }
        self.classes = classes ?? (0..<k).map { String($0) }
        self.images = imgs
        self.labels = labs.bytes
        self.side = (imgs.dims[1], imgs.dims[2])
    }

    /// Fashion-MNIST's class names in label order.
    public static let fashionMNISTClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    public var count: Int { labels.count }
    public func label(_ i: Int) -> Int { Int(labels[i]) }
    public func name(_ i: Int) -> String { "idx[\(i)]" }
    public func image(_ i: Int) throws -> Image {
        let n = side.0 * side.1
        return Image(width: side.1, height: side.0, channels: 1, pixels8: Array(images.bytes[(i * n)..<((i + 1) * n)]))
    }
}

/// A subset of another dataset by indices (a split).
func readFile(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else {
        throw ImageFileError(path: path, error: FileReadError(reason: "cannot read"))
    }
    return [UInt8](d)
}

public struct Subset: Dataset {
    public let base: any Dataset
    public let indices: [Int]
    public init(_ base: any Dataset, _ indices: [Int]) {
        self.base = base
        self.indices = indices
    }
    public var classes: [String] { base.classes }
    public var count: Int { indices.count }
    public func label(_ i: Int) -> Int { base.label(indices[i]) }
    public func name(_ i: Int) -> String { base.name(indices[i]) }
    public func image(_ i: Int) throws -> Image { try base.image(indices[i]) }
    public func fileBytes(_ i: Int) throws -> [UInt8]? { try base.fileBytes(indices[i]) }
}

/// Explicit `train/`, `val/` (or `valid/`, `validation/`) and `test/` folders, each an image folder.
public func splitFolders(root: String) throws -> [String: ImageFolderDataset] {
    var out: [String: ImageFolderDataset] = [:]
    for (key, names) in [("train", ["train"]), ("val", ["val", "valid", "validation"]), ("test", ["test"])] {
        if let n = names.first(where: { FileManager.default.fileExists(atPath: root + "/" + $0) }) {
            out[key] = try ImageFolderDataset(root: root + "/" + n)
        }
    }
    guard out["train"] != nil else { throw DatasetError(path: root, reason: "no train/ folder") }
    return out
}

/// A seeded split that keeps each class's share: `fraction` of every class (rounded, at least
/// one sample when the class has two or more) goes to the second part.
public func stratifiedSplit(_ dataset: any Dataset, fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
    var byClass = [[Int]](repeating: [], count: dataset.classes.count)
    for i in 0..<dataset.count { byClass[dataset.label(i)].append(i) }
    var rng = SeededRNG(seed: seed)
    var train: [Int] = [], val: [Int] = []
    for var members in byClass {
        members.seededShuffle(using: &rng)
        var k = Int((Double(members.count) * fraction).rounded())
        if members.count >= 2 { k = min(max(k, 1), members.count - 1) } else { k = 0 }
        val += members.prefix(k)
        train += members.dropFirst(k)
    }
    return (train.sorted(), val.sorted())
}
