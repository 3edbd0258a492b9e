import XCTest
@testable import ImageIO

/// Every broken fixture must fail with exactly the expected kind of error, and never crash.
final class BadFileTests: XCTestCase {
    func kind(_ name: String, _ options: DecodeOptions = DecodeOptions()) -> ImageError? {
        do {
            _ = try ImageCodec.decode(fileAt: FixturePatterns.path("bad/\(name)"), options: options)
            XCTFail("\(name) decoded but should not have")
            return nil
        } catch let e as ImageFileError {
            XCTAssertTrue(e.description.contains(name), "error names the file: \(e)")
            return e.imageError
        } catch {
            XCTFail("\(name): unexpected error type \(error)")
            return nil
        }
    }

    func testEveryBadFixtureHasItsErrorKind() {
        let names = FixturePatterns.files(in: "bad")
        XCTAssertGreaterThanOrEqual(names.count, 20)
        for name in names {
            let e = kind(name)
            switch name {
            case let n where n.hasPrefix("empty"), let n where n.contains("_truncated_"):
                XCTAssertEqual(e, .truncated, name)
            case "png_bad_crc.png":
                guard case .corrupt(let why)? = e else { XCTFail("\(name): \(String(describing: e))"); continue }
                XCTAssertTrue(why.contains("CRC"), why)
            case "png_huge_header.png":
                XCTAssertEqual(e, .tooLarge(width: 100000, height: 100000))
            case "jpeg_12bit.jpg":
                guard case .unsupported? = e else { XCTFail("\(name): \(String(describing: e))"); continue }
            case "jpeg_bad_sof.jpg", "png_bad_idat.png":
                guard case .corrupt? = e else { XCTFail("\(name): \(String(describing: e))"); continue }
            case "random_bytes.jpg", "notes.txt", "text_named.png":
                XCTAssertEqual(e, .notAnImage, name)
            default:
                XCTFail("no expectation for bad fixture \(name)")
            }
        }
    }

    func testLenientModeReturnsThePartOfATruncatedJPEG() throws {
        let name = FixturePatterns.files(in: "bad").first { $0.hasPrefix("jpeg_truncated_") && Int($0.dropFirst(15).dropLast(4))! > 1000 }!
        var o = DecodeOptions()
        o.lenient = true
        let d = try ImageCodec.decode(fileAt: FixturePatterns.path("bad/\(name)"), options: o)
        XCTAssertEqual(d.image.width, 640)
        XCTAssertEqual(d.image.height, 480)
        XCTAssertFalse(d.warnings.isEmpty, "a truncated file decodes with a warning")
        // The top rows were in the file: they match the source gradient.
        let top = compare(Image(width: 640, height: 8, channels: 3, pixels8: Array(d.image.pixels8.prefix(640 * 8 * 3)))) {
            x, y in FixturePatterns.jpegRGB(w: 640, h: 480, x: x, y: y)
        }
        XCTAssertLessThanOrEqual(top.mean, 3)
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try ImageCodec.decode(fileAt: "/nonexistent/vigil/x.png")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/vigil/x.png"))
        }
    }

    func testSniffingIgnoresExtensions() throws {
        // A PNG with a .jpg name still decodes as PNG.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: FixturePatterns.path("png/rgb8.png")))
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-sniff-\(getpid()).jpg")
        try bytes.write(to: tmp)
        defer { try? FileManager.default.removeItem(at: tmp) }
        XCTAssertEqual(try ImageCodec.decode(fileAt: tmp.path).info.format, .png)
    }
}
