import Augment
import Foundation
import ImageIO

import TensorCore

/// A batch: images `(N, H, W, C)` normalised, their labels and dataset indices.
public struct Batch: Sendable {
    public var images: Tensor
    public var labels: [Int]
    public var indices: [Int]
    /// How many entries of the epoch's order have been consumed once this batch is done:
    /// passing it back as `from:` continues the epoch right after this batch.
    public var endPosition: Int

    public init(images: Tensor, labels: [Int], indices: [Int], endPosition: Int) {
        self.images = images
        self.labels = labels
        self.indices = indices
        self.endPosition = endPosition
    }
}

/// Feeds batches from a dataset: decoding and augmentation run on worker threads into a
/// bounded window of ready samples (prefetch), emitted in epoch order. Each sample's
/// augmentation draws from a generator fixed by (seed, sample index, epoch), so a given seed
/// gives identical batches for any thread count. Memory stays bounded by the window whatever
/// the dataset's size. Samples that cannot be decoded are reported once and left out.
public final class Loader {
    public let dataset: any Dataset
    public var batchSize: Int
    /// Final network input: side × side × channels (1 gray, 3 RGB).
    public var side: Int
    public var channels: Int
    public var chain: AugmentChain
    public var mean: [Float]
    public var std: [Float]
    public var seed: UInt64
    public var threads: Int
    /// Batches decoded ahead of the consumer.
    public var prefetch = 4
    public var shuffle = true
    /// Draw samples with probability inversely proportional to their class size.
    public var balanced = false
    public var dropLast = false
    /// Keep decoded images in memory across epochs (small datasets).
    public var cacheDecoded = false
    /// Evaluation: samples skip `chain` and become exactly what inference makes of the same
    /// file (`ModelInput`: decode, resize, centre crop, normalise), bit for bit.
    public var evaluationInput: ModelInput?

    /// Samples that failed to decode: name → reason (each reported once).
    public private(set) var failures: [String: String] = [:]
    private let cache = DecodedCache()

    public init(dataset: any Dataset, batchSize: Int, side: Int, channels: Int, chain: AugmentChain = AugmentChain([]),
                mean: [Float] = [], std: [Float] = [], seed: UInt64 = 0, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        precondition(batchSize >= 1 && side >= 1 && (channels == 1 || channels == 3))
        self.dataset = dataset
        self.batchSize = batchSize
        self.side = side
        self.channels = channels
        self.chain = chain
        self.mean = mean
        self.std = std
        self.seed = seed
        self.threads = threads
    }

    /// A loader for evaluation: every sample is prepared as inference prepares a file.
    public convenience init(dataset: any Dataset, batchSize: Int, input: ModelInput, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.init(dataset: dataset, batchSize: batchSize, side: input.size, channels: input.channels,
                  mean: input.mean, std: input.std, seed: 0, threads: threads)
        evaluationInput = input
        shuffle = false
    }

    /// The dataset indices of one epoch, in order.
    public func order(epoch: Int) -> [Int] {
        var rng = AugmentChain.generator(seed: seed ^ 0x5EED, sample: -1, epoch: epoch)
        if balanced {
            let weights = dataset.classWeights
            var cumulative: [Double] = []
            var total = 0.0
            for i in 0..<dataset.count { total += Double(weights[dataset.label(i)]); cumulative.append(total) }
            return (0..<dataset.count).map { _ in
                let u = Double(rng.unit()) * total
                var lo = 0, hi = cumulative.count - 1
                while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] <= u { lo = mid + 1 } else { hi = mid } }
                return lo
            }
        }
        var idx = Array(0..<dataset.count)
        if shuffle { idx.seededShuffle(using: &rng) }
        return idx
    }

    /// One sample, ready for the network: `side × side × channels` floats.
    public func sample(_ i: Int, epoch: Int) throws -> [Float] {
        if let input = evaluationInput {
            let image: Image
            if cacheDecoded, let hit = cache.get(i) { image = hit } else {
                if let bytes = try dataset.fileBytes(i) {
                    do { image = try ImageCodec.decode(bytes, options: input.decodeOptions).image } catch {
                        throw ImageFileError(path: dataset.name(i), error: error)
                    }
                } else {
                    image = try dataset.image(i)
                }
                if cacheDecoded { cache.put(i, image) }
            }
            var out = [Float](repeating: 0, count: input.sliceCount)
            out.withUnsafeMutableBufferPointer { input.prepare(image, into: $0) }
            return out
        }
        var rng = AugmentChain.generator(seed: seed, sample: i, epoch: epoch)
        var f: FloatImage
        if !cacheDecoded, let bytes = try dataset.fileBytes(i) {
            do { f = try chain.apply(encoded: bytes, rng: &rng) } catch { throw ImageFileError(path: dataset.name(i), error: error) }
        } else {
            let image: Image
            if cacheDecoded, let hit = cache.get(i) { image = hit } else {
                image = try dataset.image(i)
                if cacheDecoded { cache.put(i, image) }
            }
            f = chain.apply(image, rng: &rng)
        }
        if f.channels != channels {
            let img = f.toImage()
            f = FloatImage(channels == 1 ? img.toGray8() : img.toRGB8())
        }
        if f.width == side && f.height == side {
            // Already the input size: only normalise.
            var out = f.data
            let m = (0..<channels).map { mean.isEmpty ? 0 : mean[$0] }, s = (0..<channels).map { std.isEmpty ? 1 : 1 / std[$0] }
            out.withUnsafeMutableBufferPointer { o in
                for p in 0..<(side * side) { for c in 0..<channels { o[p * channels + c] = (o[p * channels + c] - m[c]) * s[c] } }
            }
            return out
        }
        let final = Image(width: f.width, height: f.height, channels: f.channels,
                          pixels16: f.data.map { UInt16((min(max($0, 0), 1) * 65535).rounded()) })
        var out = [Float](repeating: 0, count: side * side * channels)
        out.withUnsafeMutableBufferPointer { final.resizeFloatHWC(width: side, height: side, mean: mean, std: std, into: $0) }
        return out
    }

    /// Calls `body` with each batch of `epoch`, in order, starting `position` entries into the
    /// epoch's order (a resumed run passes the last batch's `endPosition`).
    public func forEachBatch(epoch: Int, from position: Int = 0, _ body: (Batch) throws -> Void) throws {
        let order = Array(order(epoch: epoch).dropFirst(position))
        let slice = side * side * channels
        var pending: [(Int, [Float])] = []
        var consumed = position
        func flush(final: Bool) throws {
            guard !pending.isEmpty, pending.count == batchSize || (final && !dropLast) else { return }
            var t = Tensor([pending.count, side, side, channels])
            for (k, (_, data)) in pending.enumerated() {
                t.data.withUnsafeMutableBufferPointer { dst in
                    data.withUnsafeBufferPointer { (dst.baseAddress! + k * slice).update(from: $0.baseAddress!, count: slice) }
                }
            }
            try body(Batch(images: t, labels: pending.map { dataset.label($0.0) }, indices: pending.map(\.0), endPosition: consumed))
            pending.removeAll(keepingCapacity: true)
        }
        let work: @Sendable (Int) -> Result<[Float], DatasetError> = { [self] k in
            do { return .success(try sample(order[k], epoch: epoch)) } catch {
                return .failure(DatasetError(path: dataset.name(order[k]), reason: "\(error)"))
            }
        }
        try orderedParallel(count: order.count, threads: threads, window: max(prefetch * batchSize, threads), work: work, emit: { k, result in
            consumed = position + k + 1
            switch result {
            case .success(let data):
                pending.append((order[k], data))
                try flush(final: false)
            case .failure(let e):
                if failures[e.path] == nil {
                    failures[e.path] = e.reason
                    FileHandle.standardError.write(Data("skipping \(e.path): \(e.reason)\n".utf8))
                }
            }
        })
        try flush(final: true)
    }
}

/// Decoded images kept across epochs, shared by the worker threads.
private final class DecodedCache: @unchecked Sendable {
    private var images: [Int: Image] = [:]
    private let lock = NSLock()
    func get(_ i: Int) -> Image? { lock.lock(); defer { lock.unlock() }; return images[i] }
    func put(_ i: Int, _ image: Image) { lock.lock(); images[i] = image; lock.unlock() }
}
