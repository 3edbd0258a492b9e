import Detection
import Foundation
import TensorCore
import Zoo

/// `detect`: a detection model (`vigil train-detect`) finds objects in the whole image:
/// labelled boxes with scores, after per-class non-maximum suppression.
///
/// ```yaml
/// - detect: {model: models/detect/traffic-signs.safetensors, threshold: 0.3, classes: [stop]}
/// ```
/// `classes` keeps only those labels; `nms` is the per-class IoU above which the weaker of
/// two boxes is dropped (1: off); `max_detections` caps boxes per image.
public final class DetectStage: Stage {
    struct Parameters: StageParameters {
        var model: String?
        var threshold: Double?
        var nms: Double?
        var max_detections: Int?
        var classes: [String]?
        enum CodingKeys: String, CodingKey, CaseIterable { case model, threshold, nms, max_detections, classes }
        typealias Keys = CodingKeys
    }

    public let kind = "detect"
    let detectors: [ObjectDetector]
    let contexts: [Context]
    let spec: String
    let keep: Set<String>?

    init(_ r: ParameterReader, env: StageEnvironment) throws {
        let p = try r.decode(Parameters.self)
        guard let spec = p.model else { throw r.fail(nil, "missing model (a file made by vigil train-detect)") }
        do {
            try Check.range(p.threshold, "threshold", 0...1)
            try Check.range(p.nms, "nms", 0...1)
            try Check.atLeast(p.max_detections, "max_detections", 1)
        } catch let e as ParameterError { throw r.fail(e) }
        let models: [Model]
        do { models = try env.loadReplicas(spec, fuse: false) } catch { throw r.fail("model", "\(error)") }
        do {
            detectors = try models.map {
                try ObjectDetector(model: $0, threshold: Float(p.threshold ?? 0.3), nmsIoU: p.nms ?? 0.5, maxDetections: p.max_detections ?? 100)
            }
        } catch { throw r.fail("model", "\(error)") }
        if let wanted = p.classes {
            let known = Set(detectors[0].classes)
            if let bad = wanted.first(where: { !known.contains($0) }) {
                throw r.fail("classes", "\(bad) is not a class of \(spec) (classes: \(detectors[0].classes.joined(separator: ", ")))")
            }
            keep = Set(wanted)
        } else {
            keep = nil
        }
        contexts = detectors.map { _ in Context(threads: 1) }
        self.spec = spec
    }

    public var summary: String {
        let d = detectors[0]
        let which = keep.map { $0.sorted().joined(separator: ", ") } ?? "\(d.classes.count) classes"
        return "\(d.model.card.architecture) (\(spec)): \(which), score ≥ \(d.decoder.threshold), per-class NMS at IoU \(d.nmsIoU)"
    }

    public var shapes: String? {
        let d = detectors[0]
        return "input (1, H, W, 3) with the longer side \(d.input.longerSide) → (1, H/8, W/8, \(d.classes.count + 4))"
    }

    public func check(_ flow: inout Flow) throws {
        guard flow.image else { throw ParameterError(nil, "needs an image: put decode (or video) before it") }
        if flow.regions != nil { throw ParameterError(nil, "finds its own boxes in the whole image; put it before tile or propose") }
        flow.regions = .detection
        flow.regionsLabelled = true
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        let detector = detectors[worker], ctx = contexts[worker]
        for i in items.indices where items[i].ok {
            guard let image = items[i].image else { continue }
            let found = detector.detect([image], context: ctx)[0]
            items[i].regions = found.filter { keep?.contains($0.label) ?? true }.map {
                Region(box: $0.box, origin: .detection, label: $0.label, classIndex: $0.classIndex, score: $0.score)
            }
        }
    }
}
