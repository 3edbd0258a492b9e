import Jobs
import Datasets
import Foundation
import Layers
import TensorCore

/// The frozen part of a network evaluated once per sample and kept in memory. When nothing
/// upstream of the trained layers changes between epochs (frozen weights, BatchNorm on
/// running statistics, no augmentation), recomputing it every epoch gives the same numbers,
/// so training a head on the cache is the same run, only seconds instead of minutes.
struct FeatureCache {
    /// Shape of one sample's output, without the batch axis.
    let sampleShape: [Int]
    let stride: Int
    var data: [Float]
    /// Samples the loader could not decode have no row.
    var valid: [Bool]
    let labels: [Int]

    /// Runs `frozen` over every sample `loader` yields (the loader must not shuffle).
    static func build(frozen: Sequential, loader: Loader, context: Context, progress: Bool) throws -> FeatureCache {
        let n = loader.dataset.count
        var shape: [Int] = []
        var data: [Float] = []
        var valid = [Bool](repeating: false, count: n)
        let bar = ProgressBar(total: n, label: "features", enabled: progress)
        try loader.forEachBatch(epoch: 0) { batch in
            let out = frozen.forward(batch.images, context: context, training: false)
            let rows = batch.labels.count
            if shape.isEmpty {
                shape = Array(out.shape.dims.dropFirst())
                data = [Float](repeating: 0, count: n * out.count / rows)
            }
            let stride = out.count / rows
            out.data.withUnsafeBufferPointer { src in
                data.withUnsafeMutableBufferPointer { dst in
                    for (k, i) in batch.indices.enumerated() {
                        (dst.baseAddress! + i * stride).update(from: src.baseAddress! + k * stride, count: stride)
                        valid[i] = true
                    }
                }
            }
            bar.advance(by: rows)
        }
        bar.finish()
        guard !shape.isEmpty else { throw TrainError(message: "no sample of \(n) could be read") }
        return FeatureCache(sampleShape: shape, stride: shape.reduce(1, *), data: data, valid: valid,
                            labels: (0..<n).map { loader.dataset.label($0) })
    }

    /// Batches over `order` (dataset indices, e.g. a loader's epoch order) starting at
    /// `position`, with the same position bookkeeping as `Loader.forEachBatch`.
    func forEachBatch(order: [Int], from position: Int, batchSize: Int, _ body: (Batch) throws -> Void) throws {
        var picked: [Int] = []
        func flush(end: Int) throws {
            guard !picked.isEmpty else { return }
            var t = Tensor(shape: Shape([picked.count] + sampleShape))
            t.data.withUnsafeMutableBufferPointer { dst in
                data.withUnsafeBufferPointer { src in
                    for (k, i) in picked.enumerated() { (dst.baseAddress! + k * stride).update(from: src.baseAddress! + i * stride, count: stride) }
                }
            }
            try body(Batch(images: t, labels: picked.map { labels[$0] }, indices: picked, endPosition: end))
            picked.removeAll(keepingCapacity: true)
        }
        var k = position
        while k < order.count {
            let i = order[k]
            k += 1
            guard valid[i] else { continue }
            picked.append(i)
            if picked.count == batchSize { try flush(end: k) }
        }
        try flush(end: k)
    }
}
