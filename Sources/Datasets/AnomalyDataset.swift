import Foundation

/// Images for anomaly detection, in the MVTec AD layout — `train/good/`, `test/good/`,
/// `test/<defect>/`, `ground_truth/<defect>/<name>_mask.png` — or as plain `good/` and
/// `defect/` (or any other named) folders without masks.
public struct AnomalyDataset {
    public struct Sample: Sendable, Equatable {
        public var path: String
        /// nil for good parts; the defect type otherwise (the folder name).
        public var defect: String?
        /// The pixel mask (white = defect), when the layout has one.
        public var mask: String?
    }

    public let root: String
    /// Good images to fit on.
    public var train: [String]
    /// Good and defective images to evaluate on.
    public var test: [Sample]
    public var isMVTec: Bool

    /// Defect types present in `test`, sorted.
    public var defectTypes: [String] { Array(Set(test.compactMap(\.defect))).sorted() }

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp"]

    static func images(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted().map { folder + "/" + $0 }
    }

    static func folders(in folder: String) -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        return ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter {
            !$0.hasPrefix(".") && fm.fileExists(atPath: folder + "/" + $0, isDirectory: &isDir) && isDir.boolValue
        }.sorted()
    }

    public static func open(_ root: String) throws -> AnomalyDataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw DatasetError(path: root, reason: "not a folder")
        }
        if fm.fileExists(atPath: root + "/train/good") || fm.fileExists(atPath: root + "/test") {
            let train = images(in: root + "/train/good")
            var test: [Sample] = []
            for d in folders(in: root + "/test") {
                for p in images(in: root + "/test/" + d) {
                    if d == "good" { test.append(Sample(path: p, defect: nil, mask: nil)); continue }
                    let stem = ((p as NSString).lastPathComponent as NSString).deletingPathExtension
                    let mask = root + "/ground_truth/" + d + "/" + stem + "_mask.png"
                    test.append(Sample(path: p, defect: d, mask: fm.fileExists(atPath: mask) ? mask : nil))
                }
            }
            if train.isEmpty && test.isEmpty { throw DatasetError(path: root, reason: "no images under train/good or test/") }
            return AnomalyDataset(root: root, train: train, test: test, isMVTec: true)
        }
        let subs = folders(in: root)
        guard subs.contains("good") else {
            throw DatasetError(path: root, reason: "expected the MVTec AD layout (train/good, test/…) or a good/ folder beside defect folders")
        }
        let good = images(in: root + "/good")
        var test = good.map { Sample(path: $0, defect: nil, mask: nil) }
        for d in subs where d != "good" { test += images(in: root + "/" + d).map { Sample(path: $0, defect: d, mask: nil) } }
        return AnomalyDataset(root: root, train: good, test: test, isMVTec: false)
    }
}
