import Video

/// `video`: video inputs (mp4, mov, mkv, avi, webm, …) become frames at a chosen rate, each
/// carrying its frame number and timestamp. Without this stage, video files are not read.
///
/// ```yaml
/// - video: {every: 0.5s}      # or 5f (every 5th frame), or all; max_frames: 1000
/// ```
public final class VideoStage: Stage {
    struct Parameters: StageParameters {
        var every: String?
        var max_frames: Int?
        enum CodingKeys: String, CodingKey, CaseIterable { case every, max_frames }
        typealias Keys = CodingKeys
    }

    public let kind = "video"
    public let sampling: FrameSampling
    public let maxFrames: Int?

    init(_ r: ParameterReader) throws {
        let p = try r.decode(Parameters.self)
        let text = p.every ?? "all"
        guard let s = FrameSampling(parsing: text) else {
            throw r.fail("every", "expected a time such as 0.5s, a frame step such as 5f, or all; got \(text)")
        }
        sampling = s
        do { try Check.atLeast(p.max_frames, "max_frames", 1) } catch let e as ParameterError { throw r.fail(e) }
        maxFrames = p.max_frames
    }

    public var summary: String {
        let rate: String
        switch sampling {
        case .all: rate = "every frame"
        case .everyNth(let n): rate = "every \(n)th frame"
        case .every(let s): rate = "a frame every \(s) s"
        }
        return "video files → \(rate)" + (maxFrames.map { ", at most \($0) per file" } ?? "") + ", with timestamps"
    }

    public func check(_ flow: inout Flow) throws {
        flow.image = true
    }
}
