/// What a video file declares about its video stream, read when it is opened.
///
/// ```swift
/// let reader = try VideoReader(path: "drive.mp4")
/// print(reader.info.width, reader.info.height, reader.info.framesPerSecond)  // 1280 720 30.0
/// ```
public struct VideoInfo: Sendable, Equatable {
    /// Frame size in pixels; every delivered frame has this size.
    public let width: Int
    public let height: Int
    /// Average frame rate, or 0 when the container does not say.
    public let framesPerSecond: Double
    /// Length in seconds (of the video stream where known, else of the file), or nil.
    public let duration: Double?
    /// Frames declared by the container (MP4/MOV do, Matroska usually does not), or nil.
    public let frameCount: Int?
    /// FFmpeg's decoder name, e.g. "h264", "ffv1".
    public let codec: String
    /// FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    public let container: String

    public init(width: Int, height: Int, framesPerSecond: Double, duration: Double?, frameCount: Int?,
                codec: String = "", container: String = "") {
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.duration = duration
        self.frameCount = frameCount
        self.codec = codec
        self.container = container
    }
}
