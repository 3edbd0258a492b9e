/// A video that cannot be opened or read, naming the file and the reason.
///
/// ```swift
/// do { _ = try VideoReader(path: "missing.mp4") }
/// catch let e as VideoError { print(e) }   // "missing.mp4: not found: cannot open: No such file or directory"
/// ```
public struct VideoError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in the short form manifests and reports record.
    public enum Kind: String, Sendable, Equatable {
        case notFound = "not_found"
        case notAVideo = "not_a_video"
        case noVideoStream = "no_video_stream"
        case unsupported = "unsupported"
        case corrupt = "corrupt"
        case truncated = "truncated"
        case other = "error"
    }

    public let path: String
    public let kind: Kind
    /// Human-readable reason, starting with the kind in words.
    public let reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    /// "PATH: reason".
    public var description: String { "\(path): \(reason)" }
}
