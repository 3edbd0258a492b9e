import CFFmpeg
import Foundation
import ImageIO

/// Decodes the frames of a video file (anything FFmpeg reads: MP4, MOV, MKV, AVI,
/// WebM, MPEG-TS …) into RGB ``Image``s, with their timestamps.
///
/// Damaged files do not crash or stop a batch: opening throws a ``VideoError``
/// naming the file, and a stream that breaks part-way delivers the frames before
/// the damage and then returns the error from ``read(sampling:maxFrames:_:)``.
///
/// ```swift
/// let reader = try VideoReader(path: "drive.mp4")
/// let (count, error) = try reader.read(sampling: .every(seconds: 0.5)) { frame in
///     print(frame.index, frame.timestamp, frame.image.width)
///     return true            // false stops early
/// }
/// if let error { print("kept \(count) frames; \(error)") }
/// ```
///
/// A reader reads its file once, from the start: a second `read` continues where
/// the first stopped. It is not thread-safe; use one reader per thread.
public final class VideoReader {
    /// The file this reader was opened on, as given.
    public let path: String
    /// Size, frame rate and length declared by the file.
    public let info: VideoInfo

    private var handle: OpaquePointer?
    private var buffer: [UInt8]
    private var nextIndex = 0
    private var endError: VideoError?
    private var ended = false

    /// File extensions treated as video by ``isVideo(path:)``.
    public static let videoExtensions: Set<String> = ["mp4", "mov", "mkv", "avi", "webm", "m4v", "mpg", "mpeg", "ts"]

    /// Whether the path's extension (case-insensitive) names a video container.
    public static func isVideo(path: String) -> Bool {
        videoExtensions.contains((path as NSString).pathExtension.lowercased())
    }

    /// Opens the file and its video stream.
    /// - Throws: ``VideoError`` when the file is missing, is not a media file, has no
    ///   video stream, or uses a codec this FFmpeg cannot decode.
    public init(path: String) throws {
        self.path = path
        var info = vg_video_info()
        var status = vg_video_status()
        var h: OpaquePointer?
        let code = vg_video_open(path, &h, &info, &status)
        guard code == Int32(VG_VIDEO_OK), let h else {
            throw VideoReader.error(path: path, code: code, status: &status)
        }
        handle = h
        self.info = VideoInfo(
            width: Int(info.width), height: Int(info.height), framesPerSecond: info.fps,
            duration: info.duration >= 0 ? info.duration : nil,
            frameCount: info.frame_count >= 0 ? Int(info.frame_count) : nil,
            codec: VideoReader.string(&info.codec), container: VideoReader.string(&info.format))
        buffer = [UInt8](repeating: 0, count: Int(info.width) * Int(info.height) * 3)
    }

    deinit { vg_video_close(handle) }

    /// Calls `body` with each sampled frame in order; `body` returns false to stop.
    ///
    /// - Parameters:
    ///   - sampling: which decoded frames to deliver (``FrameSampling``).
    ///   - maxFrames: stop after delivering this many (nil: no limit).
    /// - Returns: the number of frames delivered, and the error that ended decoding
    ///   early (corrupt or truncated data), or nil at a clean end, at `maxFrames`, or
    ///   when `body` stopped.
    /// - Precondition: `.everyNth(n)` has n ≥ 1 and `.every(seconds: s)` has s > 0
    ///   (``FrameSampling/init(parsing:)`` only produces such values).
    public func read(sampling: FrameSampling, maxFrames: Int? = nil,
                     _ body: (VideoFrame) throws -> Bool) rethrows -> (delivered: Int, error: VideoError?) {
        switch sampling {
        case .all: break
        case .everyNth(let n): precondition(n >= 1, "everyNth needs n ≥ 1")
        case .every(let s): precondition(s > 0 && s.isFinite, "every(seconds:) needs a positive interval")
        }
        var delivered = 0
        // every(seconds:): the next frame kept is the first with timestamp ≥ nextSlot × seconds.
        var nextSlot = 0.0
        let width = info.width, height = info.height
        while !ended {
            if let maxFrames, delivered >= maxFrames { break }
            var status = vg_video_status()
            var timestamp = 0.0
            let got = vg_video_next(handle, &timestamp, &status)
            if got <= 0 {
                ended = true
                if got < 0 { endError = VideoReader.error(path: path, code: -got, status: &status) }
                return (delivered, endError)
            }
            let index = nextIndex
            nextIndex += 1
            let keep: Bool
            switch sampling {
            case .all: keep = true
            case .everyNth(let n): keep = index % n == 0
            case .every(let s):
                // A small tolerance so 5 × 0.1 s still counts as 0.5 s.
                keep = timestamp >= nextSlot * s - 1e-6
                if keep { nextSlot = (timestamp / s + 1e-6).rounded(.down) + 1 }
            }
            guard keep else { continue }  // skipped frames are never converted to RGB
            let converted = buffer.withUnsafeMutableBufferPointer { buf in
                vg_video_frame_rgb(handle, buf.baseAddress, buf.count, &status)
            }
            if converted < 0 {
                ended = true
                endError = VideoReader.error(path: path, code: -converted, status: &status)
                return (delivered, endError)
            }
            let image = Image(width: width, height: height, channels: 3, pixels8: buffer)
            delivered += 1
            if try !body(VideoFrame(image: image, index: index, timestamp: timestamp)) { break }
        }
        return (delivered, ended ? endError : nil)
    }

    private static func error(path: String, code: Int32, status: inout vg_video_status) -> VideoError {
        let message = string(&status.message)
        let kind: VideoError.Kind
        let words: String
        switch Int(code) {
        case Int(VG_VIDEO_NOT_FOUND): (kind, words) = (.notFound, "not found")
        case Int(VG_VIDEO_NOT_A_VIDEO): (kind, words) = (.notAVideo, "not a video")
        case Int(VG_VIDEO_NO_VIDEO_STREAM): (kind, words) = (.noVideoStream, "no video stream")
        case Int(VG_VIDEO_UNSUPPORTED): (kind, words) = (.unsupported, "unsupported")
        case Int(VG_VIDEO_CORRUPT): (kind, words) = (.corrupt, "corrupt")
        case Int(VG_VIDEO_TRUNCATED): (kind, words) = (.truncated, "truncated")
        default: (kind, words) = (.other, "error")
        }
        let reason = message.isEmpty || message == words ? words : "\(words): \(message)"
        return VideoError(path: path, kind: kind, reason: reason)
    }

    /// A fixed-size C char array as a String.
    private static func string<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
