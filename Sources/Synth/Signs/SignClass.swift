/// The traffic-sign classes `SignScenes` draws, European (Vienna-convention) style.
/// `rawValue` is the label name written to datasets (`no_entry`, `speed_30`, …).
public enum SignClass: String, CaseIterable, Sendable, Codable {
    /// Red octagon, white border, white "STOP".
    case stop
    /// Inverted triangle, red border, white inside.
    case yield
    /// Red disc with a white horizontal bar.
    case noEntry = "no_entry"
    /// White disc, red ring, black "30".
    case speed30 = "speed_30"
    /// White disc, red ring, black "50".
    case speed50 = "speed_50"
    /// White disc, red ring, black "70".
    case speed70 = "speed_70"
    /// Yellow diamond with a white border.
    case priorityRoad = "priority_road"
    /// Blue square, white triangle with a walking figure.
    case pedestrianCrossing = "pedestrian_crossing"
    /// Blue disc, red ring, one red diagonal.
    case noParking = "no_parking"

    /// The label name (same as `rawValue`).
    public var name: String { rawValue }

    /// Whether the sign's mirror image is the same sign, so training may flip it left–right.
    /// Lettering, digits, the walking figure and the no-parking diagonal are not symmetric.
    public var isMirrorSymmetric: Bool {
        switch self {
        case .yield, .noEntry, .priorityRoad: return true
        default: return false
        }
    }
}

/// One labelled sign in a scene: `classIndex` indexes the `classes` array the scene was
/// rendered with; the box is in pixels, `x0, y0` inclusive and `x1, y1` exclusive, so
/// `x1 - x0` is the width. It bounds the visible (warped, unoccluded) extent of the sign face.
public struct SignBox: Sendable, Equatable, Codable {
    public var classIndex: Int
    public var x0: Int
    public var y0: Int
    public var x1: Int
    public var y1: Int
    /// Fraction of the sign face left visible after occlusion (1 = unoccluded).
    public var visibleFraction: Float

    public init(classIndex: Int, x0: Int, y0: Int, x1: Int, y1: Int, visibleFraction: Float = 1) {
        self.classIndex = classIndex
        self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
        self.visibleFraction = visibleFraction
    }

    public var width: Int { x1 - x0 }
    public var height: Int { y1 - y0 }
}
