// Post-processing of [Detection] in one coordinate frame (pixels): greedy NMS and transitive merging of tile hits.

/// Indices of `dets` ordered by score, highest first; equal scores keep their input order.
func scoreOrder(_ dets: [Detection]) -> [Int] {
    dets.indices.sorted { a, b in
        dets[a].score != dets[b].score ? dets[a].score > dets[b].score : a < b
    }
}

/// Greedy non-maximum suppression.
public enum NMS {
    /// Keeps the highest-scoring detection, drops every remaining one whose IoU with a kept box is
    /// greater than `iou`, and repeats. Detections are visited by score, highest first; ties keep
    /// their input order. The result is in that order.
    /// - Parameters:
    ///   - iou: suppression threshold in [0, 1]; a box overlapping a kept one by more than this is dropped.
    ///   - perClass: when true only boxes of the same `classIndex` suppress each other;
    ///     when false a box suppresses every class.
    ///   - maxDetections: stop after keeping this many (nil: no cap).
    public static func apply(_ dets: [Detection], iou: Double, perClass: Bool = true,
                             maxDetections: Int? = nil) -> [Detection] {
        keep(dets, iou: iou, perClass: perClass, maxDetections: maxDetections).map { dets[$0] }
    }

    /// As `apply`, returning the indices of the kept detections (in the same order).
    public static func keep(_ dets: [Detection], iou: Double, perClass: Bool = true,
                            maxDetections: Int? = nil) -> [Int] {
        let cap = maxDetections ?? Int.max
        guard cap > 0 else { return [] }
        var kept: [Int] = []
        for i in scoreOrder(dets) {
            let d = dets[i]
            let suppressed = kept.contains { k in
                (!perClass || dets[k].classIndex == d.classIndex) && dets[k].box.iou(d.box) > iou
            }
            if !suppressed {
                kept.append(i)
                if kept.count == cap { break }
            }
        }
        return kept
    }
}

/// Merges overlapping detections of one class into regions, e.g. sliding-window tile hits.
public enum BoxMerge {
    /// Groups detections of the same `classIndex` whose boxes are linked, transitively
    /// (A–B and B–C put A, B, C in one group even if A and C are apart), and returns one
    /// detection per group: the union of its boxes, the group's highest score, and the class
    /// and label of its highest-scoring member. Groups come out by score, highest first
    /// (ties in input order of their best member).
    /// - Parameters:
    ///   - minIoU: two boxes are linked when their IoU is greater than this.
    ///   - touching: when true, boxes are also linked when they overlap or merely share an
    ///     edge or corner (so adjacent tiles join), whatever their IoU.
    public static func merge(_ dets: [Detection], minIoU: Double = 0, touching: Bool = true) -> [Detection] {
        let n = dets.count
        var parent = Array(0..<n)
        func find(_ i: Int) -> Int {
            var r = i
            while parent[r] != r { r = parent[r] }
            var j = i
            while parent[j] != r { let next = parent[j]; parent[j] = r; j = next }
            return r
        }
        // O(n²) pair test: tile grids give hundreds of hits, not millions.
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) where dets[i].classIndex == dets[j].classIndex {
                let a = dets[i].box, b = dets[j].box
                guard (touching && a.touches(b)) || a.iou(b) > minIoU else { continue }
                let ri = find(i), rj = find(j)
                if ri != rj { parent[max(ri, rj)] = min(ri, rj) }
            }
        }
        // Visiting by score makes each group's first visitor its best member.
        var groupOf = [Int: Int]()
        var out: [Detection] = []
        for i in scoreOrder(dets) {
            let r = find(i)
            if let g = groupOf[r] {
                out[g].box = out[g].box.union(dets[i].box)
            } else {
                groupOf[r] = out.count
                out.append(dets[i])
            }
        }
        return out
    }
}
