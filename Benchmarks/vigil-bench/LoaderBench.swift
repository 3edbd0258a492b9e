// vigil-bench loader: Datasets.Loader throughput for 1280×720 JPEGs → 224×224 random-resized
// crops with the driving preset, normalised NHWC batches, 1 and 2 threads.
import Augment
import Datasets
import Foundation

func runLoader(_ args: [String]) throws {
    var folder = "/tmp/anchor-images/jpg"
    var epochs = 2
    var it = args.makeIterator()
    while let a = it.next() {
        switch a {
        case "--epochs": epochs = Int(it.next() ?? "") ?? epochs
        default: folder = a
        }
    }
    // A one-class label file over the folder's JPEGs.
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".jpg") }.sorted()
    let list = NSTemporaryDirectory() + "vigil-bench-loader-\(getpid()).csv"
    try names.map { "\(folder)/\($0),photo" }.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: list) }
    let dataset = try LabelFileDataset(file: list)
    let chain = AugmentChain([.randomResizedCrop(size: 224, scale: 0.08...1, ratio: 0.75...1.333)] + AugmentChain.driving.ops)
    print("vigil-bench loader: \(dataset.count) JPEGs from \(folder) → 224×224 random-resized crops + driving preset, batch 32, \(epochs) epochs")
    for threads in [1, 2] {
        let loader = Loader(dataset: dataset, batchSize: 32, side: 224, channels: 3, chain: chain,
                            mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], seed: 1, threads: threads)
        var images = 0
        let t0 = now()
        for e in 0..<epochs { try loader.forEachBatch(epoch: e) { images += $0.labels.count } }
        let dt = now() - t0
        print(String(format: "threads %d: %.1f images/s (%d images in %.2f s)", threads, Double(images) / dt, images, dt))
    }
}
