// COCO's small / medium / large split of objects, used when listing what a detector missed.

/// COCO's size buckets for objects, by box area in square pixels.
public enum ObjectSize: String, Sendable, Codable, CaseIterable {
    /// Area below 32² = 1024.
    case small
    /// Area from 32² up to (not including) 96² = 9216.
    case medium
    /// Area of 96² or more.
    case large

    /// The bucket of a box with `area` square pixels.
    public init(area: Double) {
        self = area < 32 * 32 ? .small : area < 96 * 96 ? .medium : .large
    }
}
