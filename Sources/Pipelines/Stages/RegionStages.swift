import Detection
import Foundation

/// `filter` (also `threshold`): keeps the regions that pass — a score at least `min_score`,
/// a class in `classes` and not in `exclude`, box sides within `min_size` … `max_size` pixels.
///
/// ```yaml
/// - filter: {min_score: 0.6, classes: [stop], min_size: 12}
/// ```
public final class FilterStage: Stage {
    struct Parameters: StageParameters {
        var min_score: Double?
        var classes: [String]?
        var exclude: [String]?
        var min_size: Double?
        var max_size: Double?
        enum CodingKeys: String, CodingKey, CaseIterable { case min_score, classes, exclude, min_size, max_size }
        typealias Keys = CodingKeys
    }

    public let kind: String
    let minScore: Float?
    let classes: Set<String>?
    let exclude: Set<String>
    let minSize: Double?
    let maxSize: Double?

    init(_ r: ParameterReader, kind: String) throws {
        self.kind = kind
        let p = try r.decode(Parameters.self)
        do {
            try Check.range(p.min_score, "min_score", 0...1)
            try Check.atLeast(p.min_size, "min_size", 0)
            try Check.atLeast(p.max_size, "max_size", p.min_size ?? 0)
        } catch let e as ParameterError { throw r.fail(e) }
        minScore = p.min_score.map(Float.init)
        classes = p.classes.map(Set.init)
        exclude = Set(p.exclude ?? [])
        minSize = p.min_size
        maxSize = p.max_size
    }

    public var summary: String {
        var parts: [String] = []
        if let s = minScore { parts.append("score ≥ \(s)") }
        if let c = classes { parts.append("classes " + c.sorted().joined(separator: ", ")) }
        if !exclude.isEmpty { parts.append("not " + exclude.sorted().joined(separator: ", ")) }
        if let m = minSize { parts.append("sides ≥ \(m) px") }
        if let m = maxSize { parts.append("sides ≤ \(m) px") }
        return parts.isEmpty ? "keeps every region" : "keeps regions with " + parts.joined(separator: ", ")
    }

    public func check(_ flow: inout Flow) throws {
        guard flow.regions != nil else { throw ParameterError(nil, "has no regions to filter: put tile, propose or detect before it") }
        if (classes != nil || !exclude.isEmpty) && !flow.regionsLabelled {
            throw ParameterError(classes != nil ? "classes" : "exclude", "the regions have no classes yet: classify them first")
        }
    }

    func keep(_ r: Region) -> Bool {
        if let s = minScore, r.score < s { return false }
        if let c = classes, !c.contains(r.label ?? "") { return false }
        if exclude.contains(r.label ?? "") { return false }
        let short = min(r.box.width, r.box.height), long = max(r.box.width, r.box.height)
        if let m = minSize, short < m { return false }
        if let m = maxSize, long > m { return false }
        return true
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        for i in items.indices where items[i].ok { items[i].regions = items[i].regions.filter(keep) }
    }
}

/// `nms`: non-maximum suppression — of overlapping boxes (IoU above `iou`), keep the best
/// scored; per class unless `per_class: false`.
///
/// ```yaml
/// - nms: {iou: 0.5, per_class: true, max: 100}
/// ```
public final class NMSStage: Stage {
    struct Parameters: StageParameters {
        var iou: Double?
        var per_class: Bool?
        var max: Int?
        enum CodingKeys: String, CodingKey, CaseIterable { case iou, per_class, max }
        typealias Keys = CodingKeys
    }

    public let kind = "nms"
    let iou: Double
    let perClass: Bool
    let maxDetections: Int?

    init(_ r: ParameterReader) throws {
        let p = try r.decode(Parameters.self)
        do {
            try Check.range(p.iou, "iou", 0.01...1)
            try Check.atLeast(p.max, "max", 1)
        } catch let e as ParameterError { throw r.fail(e) }
        iou = p.iou ?? 0.5
        perClass = p.per_class ?? true
        maxDetections = p.max
    }

    public var summary: String { "IoU > \(iou) suppressed" + (perClass ? " per class" : " across classes") + (maxDetections.map { ", at most \($0)" } ?? "") }

    public func check(_ flow: inout Flow) throws {
        guard flow.regions != nil else { throw ParameterError(nil, "has no boxes upstream: put tile, propose or detect (and classify) before it") }
        if perClass && !flow.regionsLabelled { throw ParameterError("per_class", "the boxes have no classes yet: classify them first, or set per_class: false") }
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        for i in items.indices where items[i].ok && !items[i].regions.isEmpty {
            let regions = items[i].regions
            items[i].regions = NMS.keep(regions.map(\.asDetection), iou: iou, perClass: perClass, maxDetections: maxDetections).map { regions[$0] }
        }
    }
}

/// `merge`: tile (or any) regions of the same class that overlap or touch become one box —
/// tile results back as objects in image coordinates — with the best score of the group.
///
/// ```yaml
/// - merge: {exclude: [ok], min_iou: 0}
/// ```
public final class MergeStage: Stage {
    struct Parameters: StageParameters {
        var exclude: [String]?
        var min_iou: Double?
        enum CodingKeys: String, CodingKey, CaseIterable { case exclude, min_iou }
        typealias Keys = CodingKeys
    }

    public let kind = "merge"
    let exclude: Set<String>
    let minIoU: Double

    init(_ r: ParameterReader) throws {
        let p = try r.decode(Parameters.self)
        do { try Check.range(p.min_iou, "min_iou", 0...1) } catch let e as ParameterError { throw r.fail(e) }
        exclude = Set(p.exclude ?? [])
        minIoU = p.min_iou ?? 0
    }

    public var summary: String {
        "same-class regions that " + (minIoU > 0 ? "overlap by IoU > \(minIoU)" : "touch or overlap") + " become one box"
            + (exclude.isEmpty ? "" : "; drops " + exclude.sorted().joined(separator: ", "))
    }

    public func check(_ flow: inout Flow) throws {
        guard flow.regions != nil else { throw ParameterError(nil, "has no regions to merge: put tile (and classify) before it") }
        guard flow.regionsLabelled else { throw ParameterError(nil, "the regions have no classes yet: classify them first") }
        flow.regions = .merged
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        for i in items.indices where items[i].ok {
            let regions = items[i].regions.filter { !exclude.contains($0.label ?? "") }
            let merged = BoxMerge.merge(regions.map(\.asDetection), minIoU: minIoU, touching: minIoU == 0)
            items[i].regions = merged.map { Region(box: $0.box, origin: .merged, label: $0.label, classIndex: $0.classIndex, score: $0.score) }
        }
    }
}
