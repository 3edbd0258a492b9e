import Foundation

/// Which decoded frames a ``VideoReader`` hands on.
///
/// ```swift
/// FrameSampling(parsing: "all")    // .all
/// FrameSampling(parsing: "5")      // .everyNth(5): frames 0, 5, 10 …
/// FrameSampling(parsing: "0.5s")   // .every(seconds: 0.5): the first frame at or after 0, 0.5, 1.0 … s
/// ```
public enum FrameSampling: Sendable, Equatable, CustomStringConvertible {
    /// Every decoded frame.
    case all
    /// Frames whose decoded index is a multiple of n (n ≥ 1): 0, n, 2n …
    case everyNth(Int)
    /// The first frame whose timestamp is at or after k × seconds, for k = 0, 1, 2 …
    /// A gap longer than the interval yields one frame, not a burst.
    case every(seconds: Double)

    /// Parses "all", "N" or "Nf" (every Nth frame, N ≥ 1) and "Xs" (every X seconds, X > 0).
    /// Case and surrounding spaces are ignored; anything else gives nil.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "all" {
            self = .all
        } else if t.hasSuffix("s"), let s = Double(t.dropLast()), s.isFinite, s > 0 {
            self = .every(seconds: s)
        } else if let n = Int(t.hasSuffix("f") ? String(t.dropLast()) : t), n >= 1 {
            self = .everyNth(n)
        } else {
            return nil
        }
    }

    /// The form `init(parsing:)` reads back: "all", "5f", "0.5s".
    public var description: String {
        switch self {
        case .all: return "all"
        case .everyNth(let n): return "\(n)f"
        case .every(let s): return "\(s)s"
        }
    }
}
