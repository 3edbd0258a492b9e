import XCTest
@testable import ImageIO

final class PNGDecodeTests: XCTestCase {
    func decode(_ name: String, _ options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        try ImageCodec.decode(fileAt: FixturePatterns.path("png/\(name)"), options: options)
    }

    func testGrayAllBitDepthsExact() throws {
        for depth in [1, 2, 4, 8, 16] {
            let d = try decode("gray\(depth).png")
            XCTAssertEqual(d.image.width, 13)
            XCTAssertEqual(d.image.height, 7)
            XCTAssertEqual(d.image.channels, 1)
            XCTAssertEqual(d.image.bitDepth, depth == 16 ? 16 : 8)
            XCTAssertEqual(d.info.bitDepth, depth)
            XCTAssertEqual(d.info.colorSpace, "gray")
            let r = compare(d.image) { x, y in [FixturePatterns.expand(FixturePatterns.value(x, y, 0, depth: depth), depth: depth)] }
            XCTAssertEqual(r.max, 0, "gray\(depth)")
        }
    }

    func testColorTypes8And16Exact() throws {
        for depth in [8, 16] {
            for (name, ch) in [("gray_alpha", 2), ("rgb", 3), ("rgba", 4)] {
                let d = try decode("\(name)\(depth).png")
                XCTAssertEqual(d.image.channels, ch, name)
                XCTAssertEqual(d.image.bitDepth, depth, "16-bit must stay 16-bit")
                let r = compare(d.image) { x, y in (0..<ch).map { FixturePatterns.value(x, y, $0, depth: depth) } }
                XCTAssertEqual(r.max, 0, "\(name)\(depth)")
            }
        }
    }

    func testSixteenBitScaledTo8OnRequest() throws {
        var o = DecodeOptions()
        o.force8Bit = true
        let d = try decode("rgb16.png", o)
        XCTAssertEqual(d.image.bitDepth, 8)
        XCTAssertEqual(d.info.bitDepth, 16)
        let r = compare(d.image) { x, y in (0..<3).map { (FixturePatterns.value(x, y, $0, depth: 16) * 255 + 32767) / 65535 } }
        XCTAssertLessThanOrEqual(r.max, 1)
    }

    func testPaletteWithAndWithoutTransparency() throws {
        for depth in [1, 2, 4, 8] {
            let plain = try decode("palette\(depth).png")
            XCTAssertEqual(plain.image.channels, 3)
            XCTAssertEqual(plain.info.colorSpace, "palette")
            XCTAssertEqual(compare(plain.image) { x, y in FixturePatterns.paletteEntry(FixturePatterns.value(x, y, 0, depth: depth)) }.max, 0)

            let n = 1 << depth
            let k = n > 2 ? max(1, n / 2 + 1) : 1
            let t = try decode("palette\(depth)_trns.png")
            XCTAssertEqual(t.image.channels, 4, "tRNS expands to alpha")
            let r = compare(t.image) { x, y in
                let i = FixturePatterns.value(x, y, 0, depth: depth)
                return FixturePatterns.paletteEntry(i) + [i < k ? FixturePatterns.trnsAlpha(i) : 255]
            }
            XCTAssertEqual(r.max, 0, "palette\(depth)_trns")
        }
    }

    func testColorKeyTransparency() throws {
        let g = try decode("gray8_trns.png")
        XCTAssertEqual(g.image.channels, 2)
        let key = FixturePatterns.value(0, 0, 0, depth: 8)
        XCTAssertEqual(compare(g.image) { x, y in
            let v = FixturePatterns.value(x, y, 0, depth: 8)
            return [v, v == key ? 0 : 255]
        }.max, 0)
        let rgb = try decode("rgb8_trns.png")
        XCTAssertEqual(rgb.image.channels, 4)
        XCTAssertEqual(rgb.image.sample(x: 0, y: 0, channel: 3), 0)
        XCTAssertEqual(rgb.image.sample(x: 1, y: 0, channel: 3), 255)
    }

    func testAdam7Interlaced() throws {
        for (name, ch, depth) in [("rgb8_adam7", 3, 8), ("gray1_adam7", 1, 1), ("rgba16_adam7", 4, 16)] {
            let d = try decode("\(name).png")
            XCTAssertTrue(d.info.interlaced)
            XCTAssertEqual(d.image.width, 11)
            XCTAssertEqual(d.image.height, 9)
            let r = compare(d.image) { x, y in
                (0..<ch).map { FixturePatterns.expand(FixturePatterns.value(x, y, $0, depth: depth), depth: depth) }
            }
            XCTAssertEqual(r.max, 0, name)
        }
    }

    func testEncodeRoundTrip8And16() throws {
        for ch in 1...4 {
            let w = 9, h = 5
            let p8 = (0..<(w * h * ch)).map { UInt8(truncatingIfNeeded: $0 * 37 + 3) }
            let img8 = Image(width: w, height: h, channels: ch, pixels8: p8)
            XCTAssertEqual(try ImageCodec.decode(ImageCodec.encodePNG(img8)).image, img8)
            let p16 = (0..<(w * h * ch)).map { UInt16(truncatingIfNeeded: $0 * 7919 + 11) }
            let img16 = Image(width: w, height: h, channels: ch, pixels16: p16)
            XCTAssertEqual(try ImageCodec.decode(ImageCodec.encodePNG(img16)).image, img16)
        }
    }

    func testPixelLimitRefusesBeforeDecoding() throws {
        var o = DecodeOptions()
        o.maxPixels = 50
        XCTAssertThrowsError(try ImageCodec.decode(FixturePatterns.pngBytes("rgb8.png"), options: o)) {
            XCTAssertEqual($0 as? ImageError, .tooLarge(width: 13, height: 7))
        }
    }
}

extension FixturePatterns {
    static func pngBytes(_ name: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path("png/\(name)"))!) }
}
