import XCTest
@testable import ImageIO

final class JPEGDecodeTests: XCTestCase {
    func decode(_ name: String, _ options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        try ImageCodec.decode(fileAt: FixturePatterns.path("jpeg/\(name)"), options: options)
    }

    /// JPEG is lossy: compare within a tolerance on the worst sample and on the mean.
    func assertClose(_ img: Image, maxDiff: Int = 24, meanDiff: Double = 3, _ expected: (Int, Int) -> [Int],
                     file: StaticString = #filePath, line: UInt = #line) {
        let r = compare(img, expected)
        XCTAssertLessThanOrEqual(r.max, maxDiff, "max |Δ|", file: file, line: line)
        XCTAssertLessThanOrEqual(r.mean, meanDiff, "mean |Δ|", file: file, line: line)
    }

    func testBaselineProgressiveAndSubsampledRGB() throws {
        for (name, w, h, progressive) in [("rgb_baseline_444.jpg", 32, 24, false), ("rgb_progressive.jpg", 32, 24, true),
                                          ("rgb_baseline_420_odd.jpg", 33, 17, false)] {
            let d = try decode(name)
            XCTAssertEqual(d.image.width, w)
            XCTAssertEqual(d.image.height, h)
            XCTAssertEqual(d.image.channels, 3)
            XCTAssertEqual(d.info.colorSpace, "ycbcr")
            XCTAssertEqual(d.info.interlaced, progressive, name)
            assertClose(d.image) { x, y in FixturePatterns.jpegRGB(w: w, h: h, x: x, y: y) }
        }
    }

    func testGrayscale() throws {
        for (name, w, h) in [("gray.jpg", 32, 24), ("gray_progressive.jpg", 31, 23)] {
            let d = try decode(name)
            XCTAssertEqual(d.image.channels, 1)
            XCTAssertEqual(d.info.colorSpace, "gray")
            assertClose(d.image) { x, y in [FixturePatterns.jpegRGB(w: w, h: h, x: x, y: y)[1]] }
        }
    }

    func testCMYKAndYCCKBecomeRGB() throws {
        for (name, space) in [("cmyk_adobe_inverted.jpg", "cmyk"), ("cmyk_plain.jpg", "cmyk"), ("ycck_adobe_inverted.jpg", "ycck")] {
            let d = try decode(name)
            XCTAssertEqual(d.info.colorSpace, space, name)
            XCTAssertEqual(d.info.channels, 4)
            XCTAssertEqual(d.image.channels, 3)
            assertClose(d.image) { x, y in FixturePatterns.jpegCMYKasRGB(w: 32, h: 24, x: x, y: y) }
        }
    }

    func testEveryEXIFOrientationIsApplied() throws {
        for o in 1...8 {
            let d = try decode("orientation_\(o).jpg")
            XCTAssertEqual(d.info.orientation, o)
            XCTAssertEqual(d.image.width, 32, "orientation \(o)")
            XCTAssertEqual(d.image.height, 24, "orientation \(o)")
            // Blocks have sharp edges; judge the block centres exactly-ish and the whole loosely.
            for (x, y, rgb) in [(4, 4, [255, 0, 0]), (27, 4, [0, 255, 0]), (4, 19, [0, 0, 255]), (27, 19, [128, 128, 128])] {
                for c in 0..<3 {
                    XCTAssertEqual(Double(d.image.sample(x: x, y: y, channel: c)), Double(rgb[c]), accuracy: 12,
                                   "orientation \(o) at (\(x), \(y))")
                }
            }
            assertClose(d.image, maxDiff: 90, meanDiff: 4) { x, y in FixturePatterns.orientationPicture(x: x, y: y) }
        }
    }

    func testOrientationCanBeIgnored() throws {
        var o = DecodeOptions()
        o.applyOrientation = false
        let d = try decode("orientation_6.jpg", o)
        XCTAssertEqual(d.info.orientation, 6)
        XCTAssertEqual(d.image.width, 24)
        XCTAssertEqual(d.image.height, 32)
        // Stored rotated 90° counter-clockwise: the red block sits bottom-left.
        XCTAssertGreaterThan(d.image.sample(x: 4, y: 28, channel: 0), 230)
    }

    func testDCTScalingPicksSmallestScaleCoveringTarget() throws {
        let full = try decode("rgb_640x480.jpg")
        XCTAssertEqual(full.image.width, 640)
        for (target, expected) in [((224, 224), (320, 240)), ((80, 60), (80, 60)), ((100, 50), (160, 120)), ((400, 300), (640, 480))] {
            var o = DecodeOptions()
            o.targetSize = target
            let d = try decode("rgb_640x480.jpg", o)
            XCTAssertEqual(d.image.width, expected.0, "target \(target)")
            XCTAssertEqual(d.image.height, expected.1, "target \(target)")
            XCTAssertEqual(d.info.width, 640, "file facts stay unscaled")
            assertClose(d.image) { x, y in
                // The scaled picture samples the same gradient at the centre of each block.
                let s = 640 / d.image.width
                return FixturePatterns.jpegRGB(w: 640, h: 480, x: x * s + s / 2, y: y * s + s / 2)
            }
        }
    }

    func testDCTScalingUsesTheOrientedTarget() throws {
        var o = DecodeOptions()
        // Upright 32×24 (stored 24×32): 1/2 gives upright 16×12, which covers 16×6; in stored
        // coordinates the same target would have forced full size.
        o.targetSize = (16, 6)
        let d = try decode("orientation_6.jpg", o)
        XCTAssertEqual(d.image.width, 16)
        XCTAssertEqual(d.image.height, 12)
    }

    func testEncodeRoundTrip() throws {
        let w = 40, h = 30
        var px: [UInt8] = []
        for y in 0..<h { for x in 0..<w { px += FixturePatterns.jpegRGB(w: w, h: h, x: x, y: y).map(UInt8.init) } }
        let img = Image(width: w, height: h, channels: 3, pixels8: px)
        for progressive in [false, true] {
            let bytes = try ImageCodec.encodeJPEG(img, quality: 95, progressive: progressive, chroma444: true, exifOrientation: 3)
            let back = try ImageCodec.decode(bytes, options: { var o = DecodeOptions(); o.applyOrientation = false; return o }())
            XCTAssertEqual(back.info.interlaced, progressive)
            XCTAssertEqual(back.info.orientation, 3)
            assertClose(back.image) { x, y in FixturePatterns.jpegRGB(w: w, h: h, x: x, y: y) }
        }
        // Quality changes size: a lower quality makes a smaller file.
        XCTAssertLessThan(try ImageCodec.encodeJPEG(img, quality: 30).count, try ImageCodec.encodeJPEG(img, quality: 95).count)
    }
}
