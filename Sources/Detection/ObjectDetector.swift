import Augment
import Foundation
import ImageIO
import Layers
import TensorCore
import Zoo

/// A trained detection model ready to run on images: preprocessing (`DetectionInput`),
/// the network, peak decoding and per-class non-maximum suppression.
///
/// ```swift
/// let detector = try ObjectDetector(model: Model.load(path: "models/detect/traffic-signs.safetensors"))
/// let found = detector.detect([image], context: Context(threads: 2))[0]
/// ```
///
/// Not thread-safe (the network keeps buffers between calls): one detector per thread.
public final class ObjectDetector {
    public let model: Model
    public let input: DetectionInput
    public var decoder: CenterNetDecoder
    /// Boxes of one class overlapping more than this are suppressed (0 or ≥ 1: off).
    public var nmsIoU: Double
    public var classes: [String] { model.card.labels }

    /// `fuse: true` folds BatchNorms into convolutions for speed — the model then only runs
    /// inference; pass false to evaluate a model that is still being trained.
    public init(model: Model, threshold: Float = 0.3, nmsIoU: Double = 0.5, maxDetections: Int = 100, fuse: Bool = true) throws {
        guard let net = model.network.layers.first as? CenterNetDetector, model.network.layers.count == 1 else {
            throw DetectionError(message: "\(model.card.architecture) is not a detection model (train one with vigil train-detect)")
        }
        if fuse { model.network.fuseForInference() }
        self.model = model
        let pre = model.card.preprocessing
        input = DetectionInput(longerSide: pre.resizeTo, mean: pre.mean, std: pre.std)
        decoder = CenterNetDecoder(stride: net.stride, threshold: threshold, maxDetections: maxDetections)
        self.nmsIoU = nmsIoU
    }

    /// Detections per image, in the images' own pixel coordinates, best first.
    public func detect(_ images: [Image], context: Context) -> [[Detection]] {
        var out = [[Detection]](repeating: [], count: images.count)
        var i = 0
        while i < images.count {
            // Consecutive images of the same size share a batch.
            let first = images[i]
            var j = i + 1
            while j < images.count && images[j].width == first.width && images[j].height == first.height && j - i < 16 { j += 1 }
            let plan = input.plan(width: first.width, height: first.height)
            let slice = plan.paddedWidth * plan.paddedHeight * 3
            var x = Tensor(uninitialized: [j - i, plan.paddedHeight, plan.paddedWidth, 3])
            x.data.withUnsafeMutableBufferPointer { buf in
                for k in i..<j {
                    input.prepare(images[k], plan: plan, into: UnsafeMutableBufferPointer(rebasing: buf[(k - i) * slice..<(k - i + 1) * slice]))
                }
            }
            let y = model.network.forward(x, context: context, training: false)
            let found = decoder.decode(y, classes: classes, scaleX: plan.scaleX, scaleY: plan.scaleY,
                                       imageWidth: Double(first.width), imageHeight: Double(first.height))
            for k in i..<j {
                let dets = found[k - i]
                out[k] = nmsIoU > 0 && nmsIoU < 1 ? NMS.apply(dets, iou: nmsIoU, perClass: true) : dets
            }
            i = j
        }
        return out
    }
}

/// A detection model or run that cannot work; the message says why.
public struct DetectionError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
