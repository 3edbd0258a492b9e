import Foundation
import ImageIO
import XCTest

@testable import Video

/// Videos are made at test time with the `ffmpeg` command-line tool (apt: ffmpeg);
/// without it the decoding tests skip.
final class VideoTests: XCTestCase {
    private static var dir: URL?
    private static var ffmpeg: String?

    override class func setUp() {
        super.setUp()
        ffmpeg = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg", "/opt/homebrew/bin/ffmpeg"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map { "\($0)/ffmpeg" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-video-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        dir = d
    }

    override class func tearDown() {
        if let dir { try? FileManager.default.removeItem(at: dir) }
        super.tearDown()
    }

    /// Runs ffmpeg once per output name and returns the file's path.
    private func make(_ name: String, _ args: [String]) throws -> String {
        guard let ffmpeg = Self.ffmpeg, let dir = Self.dir else { throw XCTSkip("ffmpeg is not installed") }
        let out = dir.appendingPathComponent(name).path
        if FileManager.default.fileExists(atPath: out) { return out }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ffmpeg)
        p.arguments = ["-v", "error", "-nostdin", "-y"] + args + [out]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("ffmpeg could not make \(name)") }
        return out
    }

    /// 64×48 test pattern, 10 fps, 2 s (20 frames), H.264 in MP4 with the index first.
    private func clip() throws -> String {
        try make("clip.mp4", ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=2",
                              "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
    }

    /// Lossless (FFV1, RGB) 32×24, 10 fps, 2 s: frame N is solid (25N mod 256, 128, 255 − 25N mod 256).
    private func colours() throws -> String {
        try make("colours.mkv", ["-f", "lavfi", "-i", "color=c=black:s=32x24:r=10:d=2", "-vf",
                                 "format=gbrp,geq=r='mod(N*25\\,256)':g='128':b='255-mod(N*25\\,256)'",
                                 "-c:v", "ffv1"])
    }

    /// Lossless intra-only 160×120 test pattern, 10 fps, 3 s: every frame decodes on its own.
    private func pattern() throws -> String {
        try make("pattern.mkv", ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3", "-c:v", "ffv1"])
    }

    /// 160×120 test pattern, 10 fps, 3 s, H.264 with a keyframe every 5 frames, index first.
    private func patternMP4() throws -> String {
        try make("pattern.mp4", ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3", "-c:v", "libx264",
                                 "-g", "5", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
    }

    private func readAll(_ path: String, _ sampling: FrameSampling = .all, maxFrames: Int? = nil)
        throws -> ([VideoFrame], VideoError?) {
        let reader = try VideoReader(path: path)
        var frames: [VideoFrame] = []
        let (n, error) = reader.read(sampling: sampling, maxFrames: maxFrames) { frames.append($0); return true }
        XCTAssertEqual(n, frames.count)
        return (frames, error)
    }

    /// Copies the first `fraction` of a file's bytes, or overwrites a stretch in its middle.
    private func damaged(_ path: String, name: String, keep fraction: Double? = nil, scribble: Bool = false,
                         at position: Double = 0.5) throws -> String {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        if let fraction { bytes = bytes.prefix(Int(Double(bytes.count) * fraction)) }
        if scribble {
            let mid = Int(Double(bytes.count) * position)
            for i in mid..<min(bytes.count, mid + 2000) { bytes[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        }
        let out = Self.dir!.appendingPathComponent(name).path
        try bytes.write(to: URL(fileURLWithPath: out))
        return out
    }

    func testInfo() throws {
        let info = try VideoReader(path: clip()).info
        XCTAssertEqual(info.width, 64)
        XCTAssertEqual(info.height, 48)
        XCTAssertEqual(info.framesPerSecond, 10, accuracy: 1e-9)
        XCTAssertEqual(info.duration ?? 0, 2, accuracy: 0.05)
        XCTAssertEqual(info.frameCount, 20)
        XCTAssertEqual(info.codec, "h264")
        let mkv = try VideoReader(path: colours()).info
        XCTAssertEqual([mkv.width, mkv.height], [32, 24])
        XCTAssertEqual(mkv.duration ?? 0, 2, accuracy: 0.05)
    }

    func testAllFramesAndTimestamps() throws {
        let (frames, error) = try readAll(clip())
        XCTAssertNil(error)
        XCTAssertEqual(frames.count, 20)
        XCTAssertEqual(frames.map(\.index), Array(0..<20))
        for (i, f) in frames.enumerated() {
            XCTAssertEqual(f.timestamp, Double(i) / 10, accuracy: 1e-6)
            XCTAssertEqual([f.image.width, f.image.height, f.image.channels, f.image.bitDepth], [64, 48, 3, 8])
        }
        XCTAssertNotEqual(frames[0].image, frames[10].image, "the test pattern moves")
    }

    func testSampling() throws {
        let path = try clip()
        let (nth, _) = try readAll(path, .everyNth(3))
        XCTAssertEqual(nth.map(\.index), [0, 3, 6, 9, 12, 15, 18])
        let (timed, _) = try readAll(path, .every(seconds: 0.5))
        XCTAssertEqual(timed.map(\.index), [0, 5, 10, 15])
        XCTAssertEqual(timed.map(\.timestamp), [0, 0.5, 1.0, 1.5], accuracy: 1e-6)
        let (coarse, _) = try readAll(path, .every(seconds: 0.25))  // 0, 0.3, 0.5, 0.8 …
        XCTAssertEqual(coarse.map(\.index), [0, 3, 5, 8, 10, 13, 15, 18])
        let (capped, capError) = try readAll(path, .all, maxFrames: 4)
        XCTAssertEqual(capped.map(\.index), [0, 1, 2, 3])
        XCTAssertNil(capError)
    }

    func testStopEarlyAndContinue() throws {
        let reader = try VideoReader(path: clip())
        var seen: [Int] = []
        let first = reader.read(sampling: .all) { seen.append($0.index); return $0.index < 2 }
        XCTAssertEqual(first.delivered, 3)
        XCTAssertNil(first.error)
        let rest = reader.read(sampling: .all) { seen.append($0.index); return true }
        XCTAssertEqual(rest.delivered, 17)
        XCTAssertEqual(seen, Array(0..<20))
        XCTAssertEqual(reader.read(sampling: .all) { _ in true }.delivered, 0)
    }

    func testExactColours() throws {
        let (frames, error) = try readAll(colours())
        XCTAssertNil(error)
        XCTAssertEqual(frames.count, 20)
        for f in frames {
            let r = (f.index * 25) % 256
            let want = [UInt8(r), 128, UInt8(255 - r)]
            let px = f.image.pixels8
            XCTAssertEqual(Array(px[0..<3]), want, "frame \(f.index)")
            XCTAssertEqual(Array(px[(px.count - 3)...]), want, "frame \(f.index)")
        }
    }

    func testLossyColoursWithinTolerance() throws {
        let path = try make("red-blue.mp4", [
            "-f", "lavfi", "-i", "color=c=red:s=64x48:r=10:d=1", "-f", "lavfi", "-i", "color=c=blue:s=64x48:r=10:d=1",
            "-filter_complex", "[0][1]concat=n=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "10",
        ])
        let (frames, error) = try readAll(path)
        XCTAssertNil(error)
        XCTAssertEqual(frames.count, 20)
        for f in frames {
            let want: [Int] = f.timestamp < 0.95 ? [255, 0, 0] : [0, 0, 255]
            for c in 0..<3 {
                XCTAssertEqual(f.image.sample(x: 32, y: 24, channel: c), want[c], accuracy: 6, "frame \(f.index)")
            }
        }
    }

    func testTruncatedFilesYieldFramesWithoutCrashing() throws {
        for (source, name) in [(try pattern(), "half.mkv"), (try patternMP4(), "half.mp4")] {
            let half = try damaged(source, name: name, keep: 0.5)
            let (frames, error) = try readAll(half)
            XCTAssertGreaterThan(frames.count, 0, name)
            XCTAssertLessThan(frames.count, 30, name)
            XCTAssertEqual(frames.map(\.index), Array(0..<frames.count))
            XCTAssertEqual(error?.path, half)
            XCTAssertEqual(error?.kind, .truncated, "\(String(describing: error))")
        }
    }

    func testContainersEndCleanlyWithRelativeTimestamps() throws {
        let src = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=2"]
        let tone = ["-f", "lavfi", "-i", "sine=duration=3"]  // audio outlasting the video must not look like truncation
        let cases: [(String, [String])] = [
            ("mpeg4.avi", src + ["-c:v", "mpeg4"]),
            ("h264.ts", src + ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),  // MPEG-TS starts at 1.4 s
            ("vp9.webm", src + ["-c:v", "libvpx-vp9", "-deadline", "realtime"]),
            ("mpeg2.mpg", src + ["-c:v", "mpeg2video"]),
            ("with-audio.mov", src + tone + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"]),
            ("with-audio.mkv", src + tone + ["-c:v", "ffv1", "-c:a", "aac"]),
        ]
        for (name, args) in cases {
            let (frames, error) = try readAll(make(name, args))
            XCTAssertNil(error, "\(name): \(String(describing: error))")
            XCTAssertEqual(frames.count, 20, name)
            XCTAssertEqual(frames.first?.timestamp ?? -1, 0, accuracy: 1e-6, name)
            XCTAssertEqual(frames.last?.timestamp ?? -1, 1.9, accuracy: 1e-6, name)
        }
    }

    func testCorruptMiddleDeliversFramesAroundTheDamage() throws {
        let bad = try damaged(pattern(), name: "scribbled.mkv", scribble: true)
        let (frames, error) = try readAll(bad)
        XCTAssertGreaterThan(frames.count, 0)
        XCTAssertEqual(error?.kind, .corrupt, "\(String(describing: error))")
        XCTAssertEqual(error?.path, bad)
        XCTAssertGreaterThan(frames.last?.timestamp ?? 0, 2.5, "frames after the damage are still delivered")
        XCTAssertTrue(frames.allSatisfy { $0.image.width == 160 && $0.image.height == 120 })
    }

    func testDamageAnywhereNeverCrashes() throws {
        for source in [try pattern(), try patternMP4(), try make("mpeg4.avi", ["-f", "lavfi", "-i",
                        "testsrc=size=64x48:rate=10:duration=2", "-c:v", "mpeg4"])] {
            let ext = (source as NSString).pathExtension
            for i in 1..<10 {
                for (k, variant) in [(1, true), (2, false)] {
                    let f = Double(i) / 10
                    let path = try damaged(source, name: "d\(i)-\(k).\(ext)", keep: variant ? f : nil,
                                           scribble: !variant, at: f)
                    guard let reader = try? VideoReader(path: path) else { continue }  // damage in the header
                    let (n, error) = reader.read(sampling: .all) { _ in true }
                    XCTAssertLessThanOrEqual(n, 40, path)
                    if let error { XCTAssertEqual(error.path, path) }
                }
            }
        }
    }

    func testOpenErrorsNameThePath() throws {
        _ = try clip()  // skips without ffmpeg, like the rest
        let missing = Self.dir!.appendingPathComponent("missing.mp4").path
        XCTAssertThrowsError(try VideoReader(path: missing)) { e in
            let e = e as! VideoError
            XCTAssertEqual(e.kind, .notFound)
            XCTAssertTrue(e.description.hasPrefix("\(missing): not found"), e.description)
        }
        let garbage = Self.dir!.appendingPathComponent("garbage.mp4")
        try Data(String(repeating: "this is not a video file. ", count: 400).utf8).write(to: garbage)
        XCTAssertThrowsError(try VideoReader(path: garbage.path)) { e in
            let e = e as! VideoError
            XCTAssertEqual(e.path, garbage.path)
            XCTAssertEqual(e.kind, .notAVideo, e.description)
        }
        let audio = try make("tone.wav", ["-f", "lavfi", "-i", "sine=duration=0.5"])
        XCTAssertThrowsError(try VideoReader(path: audio)) { e in
            XCTAssertEqual((e as! VideoError).kind, .noVideoStream, "\(e)")
        }
    }

    func testSamplingParser() {
        XCTAssertEqual(FrameSampling(parsing: "all"), .all)
        XCTAssertEqual(FrameSampling(parsing: " ALL "), .all)
        XCTAssertEqual(FrameSampling(parsing: "5"), .everyNth(5))
        XCTAssertEqual(FrameSampling(parsing: "5f"), .everyNth(5))
        XCTAssertEqual(FrameSampling(parsing: "0.5s"), .every(seconds: 0.5))
        XCTAssertEqual(FrameSampling(parsing: "2s"), .every(seconds: 2))
        for bad in ["", "0", "-3", "0s", "-1s", "xs", "every", "nans", "infs", "1.5", "3 f"] {
            XCTAssertNil(FrameSampling(parsing: bad), bad)
        }
        for s in [FrameSampling.all, .everyNth(7), .every(seconds: 0.25)] {
            XCTAssertEqual(FrameSampling(parsing: s.description), s)
        }
    }

    func testIsVideo() {
        for p in ["a.mp4", "b/C.MOV", "x.mkv", "y.avi", "z.webm", "q.m4v", "r.mpg", "s.mpeg", "t.ts"] {
            XCTAssertTrue(VideoReader.isVideo(path: p), p)
        }
        for p in ["a.png", "b.jpg", "mp4", "dir.mp4/file", "x.txt"] {
            XCTAssertFalse(VideoReader.isVideo(path: p), p)
        }
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
