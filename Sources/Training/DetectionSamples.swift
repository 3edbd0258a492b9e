import Augment
import Datasets
import Foundation
import ImageIO
import TensorCore

/// Options that only detection training has (the run machinery's are in `TrainOptions`).
public struct DetectOptions: Codable, Equatable, Sendable {
    /// The network input's longer side at inference (and the scale training crops are cut at).
    public var inputSize = 512
    /// Training windows, in network-input pixels (multiples of 16).
    public var cropWidth = 384
    public var cropHeight = 288
    /// Random zoom around the inference scale, drawn log-uniformly.
    public var zoomMin = 0.6
    public var zoomMax = 1.6
    /// Class names that may be mirrored left–right (the sign still means the same).
    public var mirrorable: [String] = []
    /// Loss weights: GIoU and L1 on the box regressions (the heat map's focal loss weighs 1).
    public var giouWeight: Float = 2
    public var l1Weight: Float = 0.5
    /// Also train the box at the 3×3 neighbours of each centre (weighted by the heat map).
    public var neighbours = true
    /// Backbone layers kept as pretrained (`features.0` … `features.N−1`), BatchNorms included.
    public var frozenLayers = 4

    public init() {}

    public func validate() throws {
        guard inputSize >= 64, inputSize % 16 == 0 else { throw TrainError(message: "--input-size must be a multiple of 16, at least 64") }
        guard cropWidth >= 64, cropHeight >= 64, cropWidth % 16 == 0, cropHeight % 16 == 0 else {
            throw TrainError(message: "--crop must be WxH with both sides multiples of 16, at least 64")
        }
        guard zoomMin > 0, zoomMax >= zoomMin else { throw TrainError(message: "--zoom must be MIN:MAX with 0 < MIN ≤ MAX") }
        guard giouWeight >= 0, l1Weight >= 0 else { throw TrainError(message: "loss weights must not be negative") }
        guard (0...7).contains(frozenLayers) else { throw TrainError(message: "--freeze must be in 0…7 (backbone layers up to stride 8)") }
    }
}

/// Training samples of a box dataset: each image decoded (as stored: box annotations refer
/// to the stored pixels, not the EXIF-rotated view), cut and moved by `DetectionCrop`, and
/// then changed photometrically by an augmentation chain (colour, weather, blur, noise — no
/// geometry there, so the boxes stay true). Everything is drawn from (seed, epoch, index), so
/// a resumed run sees exactly the samples it would have seen.
public struct DetectionSamples: Sendable {
    public let dataset: BoxDataset
    public let indices: [Int]
    public let crop: DetectionCrop
    public let photometric: AugmentChain?
    public let seed: UInt64

    public init(dataset: BoxDataset, indices: [Int], crop: DetectionCrop, photometric: AugmentChain?, seed: UInt64) {
        self.dataset = dataset
        self.indices = indices
        self.crop = crop
        self.photometric = photometric
        self.seed = seed
    }

    public var count: Int { indices.count }

    /// The `k`-th sample of the subset in `epoch`.
    public func sample(_ k: Int, epoch: Int) throws -> (image: FloatImage, boxes: [LabelledRect]) {
        let entry = dataset.images[indices[k]]
        var options = DecodeOptions()
        options.applyOrientation = false
        let image: Image
        do { image = try ImageCodec.decode(fileAt: entry.path, options: options).image } catch {
            throw TrainError(message: "\(entry.path): \(error)")
        }
        guard image.width == entry.width && image.height == entry.height else {
            throw TrainError(message: "\(entry.path): the image is \(image.width)×\(image.height) but its annotation says \(entry.width)×\(entry.height)")
        }
        let rects = entry.boxes.map { LabelledRect(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1, label: $0.classIndex) }
        var rng = AugmentChain.generator(seed: seed, sample: indices[k], epoch: epoch)
        var (img, boxes) = crop.apply(image, boxes: rects, rng: &rng)
        if let photometric { img = photometric.apply(img, rng: &rng) }
        return (img, boxes)
    }

    /// The photometric part of a named preset or chain file: its geometric steps are left
    /// out (they would move pixels under the boxes).
    public static func photometricChain(_ spec: String) throws -> AugmentChain? {
        if spec == "none" { return nil }
        let chain: AugmentChain
        if let preset = AugmentChain.preset(spec) { chain = preset } else {
            do { chain = try ChainFile.load(path: spec) } catch { throw TrainError(message: "--augment \(spec): \(error)") }
        }
        let kept = chain.ops.filter { !$0.movesPixels }
        return kept.isEmpty ? nil : AugmentChain(kept)
    }
}
