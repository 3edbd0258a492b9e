import XCTest
import Augment
import ImageIO
import TensorCore
@testable import Datasets

final class DatasetsTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vigil-data-\(UUID().uuidString)"
        // Two classes, imbalanced: 9 "h" (horizontal stripes) and 3 "v"; one broken file in "h".
        for (cls, n) in [("h", 9), ("v", 3)] {
            try FileManager.default.createDirectory(atPath: "\(dir!)/\(cls)", withIntermediateDirectories: true)
            for i in 0..<n {
                var px = [UInt8](repeating: 0, count: 20 * 16 * 3)
                for y in 0..<16 { for x in 0..<20 { for c in 0..<3 { px[(y * 20 + x) * 3 + c] = UInt8((cls == "h" ? y : x) * 12 + i) } } }
                try Data(ImageCodec.encodePNG(Image(width: 20, height: 16, channels: 3, pixels8: px))).write(to: URL(fileURLWithPath: "\(dir!)/\(cls)/\(i).png"))
            }
        }
        try Data("broken".utf8).write(to: URL(fileURLWithPath: "\(dir!)/h/zz-broken.png"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func testImageFolderAndLabelFile() throws {
        let folder = try ImageFolderDataset(root: dir)
        XCTAssertEqual(folder.classes, ["h", "v"])
        XCTAssertEqual(folder.classCounts, [10, 3])
        XCTAssertEqual(folder.classWeights[1] / folder.classWeights[0], 10.0 / 3.0, accuracy: 1e-5)
        try "path,label\nh/0.png,h\nv/1.png,v\n\"v/2.png\",v\n".write(toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
        let csv = try LabelFileDataset(file: dir + "/labels.csv")
        XCTAssertEqual(csv.classes, ["h", "v"])
        XCTAssertEqual((0..<csv.count).map(csv.label), [0, 1, 1])
        XCTAssertEqual(try csv.image(1).width, 20)
        try "h/0.png\th\n".write(toFile: dir + "/labels.tsv", atomically: true, encoding: .utf8)
        XCTAssertEqual(try LabelFileDataset(file: dir + "/labels.tsv").count, 1)
        try "h/0.png;h\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelFileDataset(file: dir + "/bad.csv")) { XCTAssertTrue("\($0)".contains("line 1")) }
    }

    func testIDXPlainAndGzipped() throws {
        // 3 images of 2×4, labels 2, 0, 1.
        var img: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4]
        img += (0..<24).map { UInt8($0 * 10) }
        let lab: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 1]
        try Data(img).write(to: URL(fileURLWithPath: dir + "/img-idx3-ubyte"))
        try Data(lab).write(to: URL(fileURLWithPath: dir + "/lab-idx1-ubyte"))
        let ds = try IDXDataset(images: dir + "/img-idx3-ubyte", labels: dir + "/lab-idx1-ubyte")
        XCTAssertEqual(ds.count, 3)
        XCTAssertEqual(ds.classes, ["0", "1", "2"])
        XCTAssertEqual(try ds.image(1).pixels8, (8..<16).map { UInt8($0 * 10) })
        XCTAssertEqual(try ds.image(1).width, 4)
        XCTAssertEqual(ds.label(0), 2)
        // The same through gzip (Debian ships .gz files).
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gz.arguments = ["-k", "-f", dir + "/img-idx3-ubyte"]
        try gz.run(); gz.waitUntilExit()
        XCTAssertEqual(try IDX.read(path: dir + "/img-idx3-ubyte.gz").bytes, Array(img.dropFirst(16)))
        // Truncated files are clear errors.
        try Data(img.prefix(30)).write(to: URL(fileURLWithPath: dir + "/short"))
        XCTAssertThrowsError(try IDX.read(path: dir + "/short")) { XCTAssertTrue("\($0)".contains("truncated")) }
        let gzBytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/img-idx3-ubyte.gz"))
        try gzBytes.prefix(gzBytes.count / 2).write(to: URL(fileURLWithPath: dir + "/short.gz"))
        XCTAssertThrowsError(try IDX.read(path: dir + "/short.gz")) { XCTAssertTrue("\($0)".contains("gzip"), "\($0)") }
    }

    func testRealFashionMNISTWhenInstalled() throws {
        let base = "/usr/share/datasets/fashion-mnist"
        guard FileManager.default.fileExists(atPath: base + "/train-images-idx3-ubyte.gz") else {
            throw XCTSkip("SKIPPED: Debian's dataset-fashion-mnist is not installed")
        }
        let train = try IDXDataset(images: base + "/train-images-idx3-ubyte.gz", labels: base + "/train-labels-idx1-ubyte.gz",
                                   classes: IDXDataset.fashionMNISTClasses)
        let test = try IDXDataset(images: base + "/t10k-images-idx3-ubyte.gz", labels: base + "/t10k-labels-idx1-ubyte.gz")
        print("Fashion-MNIST: \(train.count) training, \(test.count) test images")
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(train.classCounts, [Int](repeating: 6000, count: 10))
        XCTAssertEqual(try train.image(0).width, 28)
    }

    func testStratifiedSplitKeepsClassSharesAndIsSeeded() throws {
        let ds = try ImageFolderDataset(root: dir)
        let (train, val) = stratifiedSplit(ds, fraction: 0.3, seed: 4)
        XCTAssertEqual(Set(train).union(val), Set(0..<ds.count))
        XCTAssertTrue(Set(train).isDisjoint(with: val))
        XCTAssertEqual(val.filter { ds.label($0) == 0 }.count, 3)
        XCTAssertEqual(val.filter { ds.label($0) == 1 }.count, 1)
        XCTAssertEqual(stratifiedSplit(ds, fraction: 0.3, seed: 4).validation, val)
        XCTAssertNotEqual(stratifiedSplit(ds, fraction: 0.3, seed: 5).validation, val)
    }

    func testLoaderGivesIdenticalBatchesForAnyThreadCountAndSkipsBrokenFilesOnce() throws {
        let ds = try ImageFolderDataset(root: dir)
        var runs: [[Batch]] = []
        for threads in [1, 2] {
            let loader = Loader(dataset: ds, batchSize: 4, side: 12, channels: 3, chain: .driving, mean: [0.5, 0.5, 0.5],
                                std: [0.25, 0.25, 0.25], seed: 11, threads: threads)
            var batches: [Batch] = []
            for epoch in 0..<2 { try loader.forEachBatch(epoch: epoch) { batches.append($0) } }
            XCTAssertEqual(loader.failures.count, 1, "the broken file is reported once")
            XCTAssertTrue(loader.failures.keys.first!.hasSuffix("zz-broken.png"))
            XCTAssertEqual(batches.map(\.labels.count), [4, 4, 4, 4, 4, 4])  // 12 good samples per epoch
            runs.append(batches)
        }
        for (a, b) in zip(runs[0], runs[1]) {
            XCTAssertEqual(a.indices, b.indices)
            XCTAssertEqual(a.images, b.images)
        }
        XCTAssertNotEqual(runs[0][0].indices, runs[0][3].indices, "each epoch reshuffles")
    }

    func testLoaderFeedsEveryDatasetKind() throws {
        var img: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0, 6]
        img += (0..<144).map { UInt8($0) }
        try Data(img).write(to: URL(fileURLWithPath: dir + "/i-idx3-ubyte"))
        try Data([0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 0, 1]).write(to: URL(fileURLWithPath: dir + "/l-idx1-ubyte"))
        try "h/0.png,h\nv/0.png,v\nv/1.png,v\n".write(toFile: dir + "/labels.csv", atomically: true, encoding: .utf8)
        let split = dir + "-split"
        defer { try? FileManager.default.removeItem(atPath: split) }
        try FileManager.default.createDirectory(atPath: split + "/train", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir + "/h", toPath: split + "/train/h")
        let kinds: [(String, any Dataset, Int)] = [
            ("idx", try IDXDataset(images: dir + "/i-idx3-ubyte", labels: dir + "/l-idx1-ubyte"), 4),
            ("csv", try LabelFileDataset(file: dir + "/labels.csv"), 3),
            ("folder", try ImageFolderDataset(root: dir), 12),
            ("split", try splitFolders(root: split)["train"]!, 9),
        ]
        for (name, ds, good) in kinds {
            let loader = Loader(dataset: ds, batchSize: 2, side: 6, channels: 1, chain: .inspection, seed: 2, threads: 2)
            var seen = 0
            try loader.forEachBatch(epoch: 0) { b in
                XCTAssertEqual(b.images.shape.dims.dropFirst(), [6, 6, 1], name)
                seen += b.labels.count
            }
            XCTAssertEqual(seen, good, name)
        }
    }

    func testBalancedSamplingEvensOutClasses() throws {
        let ds = try ImageFolderDataset(root: dir)
        let loader = Loader(dataset: ds, batchSize: 4, side: 8, channels: 1, seed: 3)
        loader.balanced = true
        var counts = [0, 0]
        for epoch in 0..<50 { for i in loader.order(epoch: epoch) { counts[ds.label(i)] += 1 } }
        XCTAssertEqual(Double(counts[1]) / Double(counts[0] + counts[1]), 0.5, accuracy: 0.06, "\(counts)")
    }
}
