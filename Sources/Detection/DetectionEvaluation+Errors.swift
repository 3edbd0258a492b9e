// What went wrong, object by object: the surest false positives and the missed objects.

extension DetectionEvaluation {
    /// A prediction that matched no ground truth, with what it overlapped.
    public struct FalsePositive: Sendable, Equatable, Codable {
        /// Why a prediction found nothing, judged from its overlaps (after TIDE's error types).
        public enum Kind: String, Sendable, Codable, CaseIterable {
            /// It overlaps an object of its class by at least the IoU threshold, but a
            /// better-scoring prediction already took that object.
            case duplicate
            /// It overlaps an object of another class by at least the IoU threshold: the
            /// box is right, the class is not.
            case confusion
            /// Its best overlap with an object of its class is below the IoU threshold but at
            /// least the background IoU: the right object, badly boxed.
            case localisation
            /// It overlaps nothing of its class by the background IoU, and nothing of another
            /// class by the IoU threshold: a false alarm.
            case background
        }

        /// The name the image was added under.
        public var image: String
        public var box: Box
        public var classIndex: Int
        public var className: String
        public var score: Float
        /// Best IoU with any ground-truth box of the prediction's class in the image.
        public var bestIoUSameClass: Double
        /// Best IoU with any ground-truth box of any class in the image.
        public var bestIoUAnyClass: Double
        /// Class of the box giving `bestIoUAnyClass`; nil when it overlaps no box at all.
        public var nearestClass: String?
        public var kind: Kind
    }

    /// A ground-truth box no kept prediction of its class matched.
    public struct Miss: Sendable, Equatable, Codable {
        /// The name the image was added under.
        public var image: String
        public var box: Box
        public var classIndex: Int
        public var className: String
        /// Box area in square pixels.
        public var area: Double
        /// COCO's size bucket of `area`.
        public var size: ObjectSize
        /// Best IoU of any scored prediction of the same class in the image, whatever its
        /// score (0 when there is none; see `maxDetectionsPerImage`). A high IoU here means the object was found with too low a
        /// score, or taken by another object's prediction.
        public var bestIoU: Double
        /// Score of the prediction giving `bestIoU`; nil when none overlaps.
        public var bestScore: Float?
    }

    /// TIDE's background IoU: below this a prediction has not even found the object.
    public static let defaultBackgroundIoU = 0.1

    /// Predictions unmatched at IoU `iou`, highest score first (ties in the order added),
    /// each with its overlaps and the `FalsePositive.Kind` they point to. Predictions beyond
    /// `maxDetectionsPerImage` are not scored, so never listed.
    /// - Parameters:
    ///   - limit: keep only the first this many (nil: all).
    ///   - backgroundIoU: a same-class overlap below this makes a false alarm rather than a
    ///     localisation error.
    public func falsePositives(iou: Double = 0.5, limit: Int? = nil,
                               backgroundIoU: Double = defaultBackgroundIoU) -> [FalsePositive] {
        var out: [(fp: FalsePositive, order: Int)] = []
        for i in images.indices {
            let image = images[i]
            for (c, m) in matches(inImage: i) {
                for (r, g) in m.assignments(threshold: iou).enumerated() where g == nil {
                    let p = image.predictions[m.ranked[r]]
                    let same = m.iou[r].max() ?? 0
                    var any = 0.0, nearest: Int? = nil
                    for t in image.truth {
                        let v = p.box.iou(t.box)
                        if v > any { any = v; nearest = t.classIndex }
                    }
                    let kind: FalsePositive.Kind = same >= iou ? .duplicate : any >= iou ? .confusion
                        : same >= backgroundIoU ? .localisation : .background
                    let fp = FalsePositive(image: image.name, box: p.box, classIndex: c, className: classNames[c],
                                           score: p.score, bestIoUSameClass: same, bestIoUAnyClass: any,
                                           nearestClass: nearest.map { classNames[$0] }, kind: kind)
                    out.append((fp, out.count))
                }
            }
        }
        out.sort { a, b in a.fp.score != b.fp.score ? a.fp.score > b.fp.score : a.order < b.order }
        return out.prefix(max(0, limit ?? Int.max)).map(\.fp)
    }

    /// Ground-truth boxes that no prediction scoring at least `scoreThreshold` matches at IoU
    /// `iou`, largest first (ties in the order added). Matching is done over all predictions;
    /// since it goes by descending score, dropping the low scorers afterwards leaves the same
    /// matches as leaving them out from the start.
    /// - Parameter limit: keep only the first this many (nil: all).
    public func misses(scoreThreshold: Float, iou: Double = 0.5, limit: Int? = nil) -> [Miss] {
        var out: [(miss: Miss, order: Int)] = []
        for i in images.indices {
            let image = images[i]
            for (c, m) in matches(inImage: i) {
                var found = [Bool](repeating: false, count: m.truth.count)
                for (r, g) in m.assignments(threshold: iou).enumerated() {
                    if let g, image.predictions[m.ranked[r]].score >= scoreThreshold { found[g] = true }
                }
                for (g, t) in m.truth.enumerated() where !found[g] {
                    let box = image.truth[t].box
                    var best = 0.0, bestScore: Float? = nil
                    for r in m.ranked.indices where m.iou[r][g] > best {
                        best = m.iou[r][g]
                        bestScore = image.predictions[m.ranked[r]].score
                    }
                    let miss = Miss(image: image.name, box: box, classIndex: c, className: classNames[c],
                                    area: box.area, size: ObjectSize(area: box.area), bestIoU: best, bestScore: bestScore)
                    out.append((miss, out.count))
                }
            }
        }
        out.sort { a, b in a.miss.area != b.miss.area ? a.miss.area > b.miss.area : a.order < b.order }
        return out.prefix(max(0, limit ?? Int.max)).map(\.miss)
    }
}
