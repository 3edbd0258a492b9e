import ImageIO

/// One decoded frame of a video.
public struct VideoFrame: Sendable {
    /// The picture as 8-bit RGB (3 channels), at the size in ``VideoInfo``.
    public let image: Image
    /// Position among all decoded frames, counting from 0 (not among the sampled ones).
    public let index: Int
    /// Presentation time in seconds from the start of the video stream.
    public let timestamp: Double

    public init(image: Image, index: Int, timestamp: Double) {
        self.image = image
        self.index = index
        self.timestamp = timestamp
    }
}
