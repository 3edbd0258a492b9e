import XCTest
@testable import ImageIO

final class ResizeTests: XCTestCase {
    /// Obviously-correct reference: per output pixel, a 2-D sum with triangle weights
    /// computed on the spot (support widened by the scale when shrinking), normalised per axis.
    func reference(_ img: Image, _ ow: Int, _ oh: Int) -> [Double] {
        func weights(_ inSize: Int, _ outSize: Int, _ i: Int) -> [Double] {
            let scale = Double(inSize) / Double(outSize), fs = max(scale, 1)
            let center = (Double(i) + 0.5) * scale
            var w = (0..<inSize).map { j in max(0, 1 - abs((Double(j) + 0.5 - center) / fs)) }
            let s = w.reduce(0, +)
            w = w.map { $0 / s }
            return w
        }
        var out: [Double] = []
        for y in 0..<oh {
            let wy = weights(img.height, oh, y)
            for x in 0..<ow {
                let wx = weights(img.width, ow, x)
                for c in 0..<img.channels {
                    var acc = 0.0
                    for sy in 0..<img.height where wy[sy] > 0 {
                        for sx in 0..<img.width where wx[sx] > 0 {
                            acc += wy[sy] * wx[sx] * Double(img.sample(x: sx, y: sy, channel: c))
                        }
                    }
                    out.append(acc)
                }
            }
        }
        return out
    }

    func randomImage(_ w: Int, _ h: Int, _ ch: Int, seed: UInt64) -> Image {
        var s = seed
        let px = (0..<(w * h * ch)).map { _ -> UInt8 in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: s >> 56)
        }
        return Image(width: w, height: h, channels: ch, pixels8: px)
    }

    func testMatchesNaiveReferenceOnRandomShapes() {
        for (i, (w, h, ow, oh, ch)) in [(17, 9, 5, 4, 3), (8, 8, 16, 16, 1), (31, 13, 7, 19, 4), (10, 10, 10, 10, 2), (64, 36, 22, 22, 3)].enumerated() {
            let img = randomImage(w, h, ch, seed: UInt64(i + 1))
            let ref = reference(img, ow, oh)
            let got = img.resizedFloatCHW(width: ow, height: oh)  // [0, 1], CHW
            for y in 0..<oh {
                for x in 0..<ow {
                    for c in 0..<ch {
                        let r = ref[(y * ow + x) * ch + c] / 255
                        XCTAssertEqual(Double(got[c * ow * oh + y * ow + x]), r, accuracy: 1e-5, "\(w)x\(h)→\(ow)x\(oh) at (\(x),\(y),\(c))")
                    }
                }
            }
            let u8 = img.resized(width: ow, height: oh)
            for k in 0..<ref.count { XCTAssertLessThanOrEqual(abs(Double(u8.pixels8[k]) - ref[k]), 0.5 + 1e-6) }
        }
    }

    func testSameSizeIsIdentityAndConstantStaysConstant() {
        let img = randomImage(13, 7, 3, seed: 9)
        XCTAssertEqual(img.resized(width: 13, height: 7), img)
        let flat = Image(width: 40, height: 30, channels: 1, pixels8: [UInt8](repeating: 77, count: 1200))
        XCTAssertEqual(flat.resized(width: 7, height: 11).pixels8, [UInt8](repeating: 77, count: 77))
    }

    func testKnownPixelLandsWhereItShould() {
        // A single bright pixel in the top-right quarter of a 16×16 image stays in the
        // top-right quarter of an 8×8 downscale, at the pixel covering it.
        var px = [UInt8](repeating: 0, count: 256)
        px[3 * 16 + 12] = 255
        let small = Image(width: 16, height: 16, channels: 1, pixels8: px).resized(width: 8, height: 8)
        let brightest = small.pixels8.enumerated().max { $0.element < $1.element }!.offset
        XCTAssertEqual(brightest % 8, 6)
        XCTAssertEqual(brightest / 8, 1)
    }

    func testNormalisationIsApplied() {
        let img = Image(width: 2, height: 1, channels: 3, pixels8: [255, 0, 51, 255, 0, 51])
        let t = img.resizedFloatCHW(width: 1, height: 1, mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 1])
        XCTAssertEqual(t[0], 1, accuracy: 1e-6)
        XCTAssertEqual(t[1], -2, accuracy: 1e-6)
        XCTAssertEqual(t[2], -0.3, accuracy: 1e-6)
    }
}
