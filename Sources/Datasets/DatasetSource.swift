import Foundation

/// The parts of a labelled dataset found at one path, as `vigil train`, `finetune` and `eval`
/// take it:
///
/// - a folder with `train/` (and optionally `val/`, `test/`), each one subfolder per class;
/// - a folder with one subfolder per class (validation is split off by the caller);
/// - a CSV/TSV file of `path,label` rows;
/// - a folder holding IDX files (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`,
///   optionally `t10k-…` as the test part), as Fashion-MNIST and MNIST ship. Class names come
///   from a `classes.txt` beside them (one per line), else Fashion-MNIST's names when the
///   folder's name says "fashion", else "0"…"9".
public struct DatasetSource: Sendable {
    public var train: any Dataset
    public var validation: (any Dataset)?
    public var test: (any Dataset)?
    /// "folders", "split-folders", "label-file" or "idx".
    public var kind: String

    public init(train: any Dataset, validation: (any Dataset)? = nil, test: (any Dataset)? = nil, kind: String) {
        self.train = train
        self.validation = validation
        self.test = test
        self.kind = kind
    }

    public static func open(_ path: String) throws -> DatasetSource {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw DatasetError(path: path, reason: "no such file or folder") }
        if !isDir.boolValue {
            let lower = path.lowercased()
            guard lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") || lower.hasSuffix(".txt") else {
                throw DatasetError(path: path, reason: "a dataset is a folder or a CSV/TSV label file")
            }
            return DatasetSource(train: try LabelFileDataset(file: path), kind: "label-file")
        }
        if let trainImages = idxFile(in: path, prefix: "train-images") {
            guard let trainLabels = idxFile(in: path, prefix: "train-labels") else {
                throw DatasetError(path: path, reason: "\(trainImages) has no train-labels-idx1-ubyte file beside it")
            }
            let names = try idxClassNames(folder: path)
            let train = try IDXDataset(images: path + "/" + trainImages, labels: path + "/" + trainLabels, classes: names)
            var test: IDXDataset?
            if let ti = idxFile(in: path, prefix: "t10k-images") ?? idxFile(in: path, prefix: "test-images"),
               let tl = idxFile(in: path, prefix: "t10k-labels") ?? idxFile(in: path, prefix: "test-labels") {
                test = try IDXDataset(images: path + "/" + ti, labels: path + "/" + tl, classes: train.classes)
            }
            return DatasetSource(train: train, test: test, kind: "idx")
        }
        if fm.fileExists(atPath: path + "/train") {
            let parts = try splitFolders(root: path)
            let train = parts["train"]!
            for (key, part) in parts where part.classes != train.classes {
                throw DatasetError(path: path + "/" + key, reason: "classes \(part.classes) differ from train/'s \(train.classes)")
            }
            return DatasetSource(train: train, validation: parts["val"], test: parts["test"], kind: "split-folders")
        }
        return DatasetSource(train: try ImageFolderDataset(root: path), kind: "folders")
    }

    static func idxFile(in folder: String, prefix: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix(prefix) && $0.contains("idx") }.sorted().first
    }

    static func idxClassNames(folder: String) throws -> [String]? {
        let file = folder + "/classes.txt"
        if FileManager.default.fileExists(atPath: file) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw DatasetError(path: file, reason: "cannot read") }
            return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let resolved = (folder as NSString).resolvingSymlinksInPath
        if (resolved as NSString).lastPathComponent.lowercased().contains("fashion") { return IDXDataset.fashionMNISTClasses }
        return nil
    }
}
