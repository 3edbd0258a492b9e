// Boxes are (x0, y0, x1, y1) in pixels of the image they refer to, origin top-left; x1/y1 are exclusive edges.

/// An axis-aligned box in pixel coordinates. Edges `x1` and `y1` are exclusive, so a box
/// covering pixel columns 10…19 has `x0 = 10, x1 = 20` and width 10.
/// A box whose `x1 <= x0` or `y1 <= y0` is empty: zero width/height/area.
public struct Box: Sendable, Equatable, Codable, Hashable {
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double

    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
    }

    /// A box from its top-left corner and size.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.init(x0: x, y0: y, x1: x + width, y1: y + height)
    }

    /// `x1 − x0`, or 0 for an inverted box.
    public var width: Double { max(0, x1 - x0) }
    /// `y1 − y0`, or 0 for an inverted box.
    public var height: Double { max(0, y1 - y0) }
    /// `width × height`, in square pixels.
    public var area: Double { width * height }
    /// True when the box covers no area.
    public var isEmpty: Bool { x1 <= x0 || y1 <= y0 }
    /// The midpoint of the box.
    public var center: (x: Double, y: Double) { ((x0 + x1) / 2, (y0 + y1) / 2) }

    /// The overlap of two boxes, or nil when they share no area (merely touching edges is no overlap).
    public func intersection(_ o: Box) -> Box? {
        let b = Box(x0: max(x0, o.x0), y0: max(y0, o.y0), x1: min(x1, o.x1), y1: min(y1, o.y1))
        return b.isEmpty ? nil : b
    }

    /// The smallest box containing both boxes.
    public func union(_ o: Box) -> Box {
        Box(x0: min(x0, o.x0), y0: min(y0, o.y0), x1: max(x1, o.x1), y1: max(y1, o.y1))
    }

    /// Intersection over union: overlap area / (area A + area B − overlap), in [0, 1]; 0 when both are empty.
    public func iou(_ o: Box) -> Double {
        guard let i = intersection(o) else { return 0 }
        let inter = i.area
        let u = area + o.area - inter
        return u > 0 ? inter / u : 0
    }

    /// True when the boxes overlap or share an edge or corner (closed intervals), e.g. adjacent tiles.
    public func touches(_ o: Box) -> Bool {
        x0 <= o.x1 && o.x0 <= x1 && y0 <= o.y1 && o.y0 <= y1
    }

    /// The box clamped to the image `[0, width) × [0, height)`; may become empty.
    public func clipped(width w: Double, height h: Double) -> Box {
        Box(x0: min(max(x0, 0), w), y0: min(max(y0, 0), h), x1: min(max(x1, 0), w), y1: min(max(y1, 0), h))
    }

    /// The box with x coordinates multiplied by `sx` and y by `sy` (e.g. mapping between resolutions).
    public func scaled(sx: Double, sy: Double) -> Box {
        Box(x0: x0 * sx, y0: y0 * sy, x1: x1 * sx, y1: y1 * sy)
    }

    /// The box moved by `(dx, dy)` (e.g. from tile to image coordinates).
    public func offset(dx: Double, dy: Double) -> Box {
        Box(x0: x0 + dx, y0: y0 + dy, x1: x1 + dx, y1: y1 + dy)
    }

    /// The box grown by `dx` on the left and right and `dy` on the top and bottom.
    public func padded(dx: Double, dy: Double) -> Box {
        Box(x0: x0 - dx, y0: y0 - dy, x1: x1 + dx, y1: y1 + dy)
    }
}

/// One detected object: where, which class, and how sure.
public struct Detection: Sendable, Equatable, Codable {
    /// Pixel box in the coordinates of the image the detector saw (see `Box`).
    public var box: Box
    /// Index into the model's class list.
    public var classIndex: Int
    /// Human-readable class name.
    public var label: String
    /// Confidence, higher is surer (usually in [0, 1]).
    public var score: Float

    public init(box: Box, classIndex: Int, label: String, score: Float) {
        self.box = box; self.classIndex = classIndex; self.label = label; self.score = score
    }
}
