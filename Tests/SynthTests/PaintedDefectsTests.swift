import ImageIO
import XCTest
@testable import Synth

final class PaintedDefectsTests: XCTestCase {
    /// 128×128 gray value noise (a texture, 1 channel) and a smooth RGB gradient (3 channels).
    static func inputs() -> [(String, Image)] {
        let s = 128
        var rng = SeededRNGBox(seed: 99)
        var gray = [UInt8](repeating: 0, count: s * s)
        for i in 0..<(s * s) { gray[i] = UInt8(min(max(128 + 22 * rng.normal(), 0), 255)) }
        var rgb = [UInt8](repeating: 0, count: s * s * 3)
        for y in 0..<s { for x in 0..<s {
            let i = (y * s + x) * 3
            rgb[i] = UInt8(40 + x * 170 / s); rgb[i + 1] = UInt8(60 + y * 150 / s); rgb[i + 2] = UInt8(200 - (x + y) * 60 / s)
        }}
        return [("gray noise", Image(width: s, height: s, channels: 1, pixels8: gray)),
                ("RGB gradient", Image(width: s, height: s, channels: 3, pixels8: rgb))]
    }

    func testPaintedDefectsAreMaskedVisibleAndLocal() {
        for (name, input) in Self.inputs() {
            let before = input.toRGB8().pixels8
            for defect in DefectKind.allCases {
                for seed: UInt64 in [1, 2, 3] {
                    let (img, mask) = SurfaceSynth.paint(defect, on: input, seed: seed)
                    XCTAssertEqual(img.channels, 3); XCTAssertEqual(img.width, input.width); XCTAssertEqual(img.height, input.height)
                    XCTAssertEqual(mask.channels, 1); XCTAssertEqual(mask.width, input.width); XCTAssertEqual(mask.height, input.height)
                    let m = mask.pixels8, p = img.pixels8, n = m.count
                    XCTAssertTrue(m.allSatisfy { $0 == 0 || $0 == 255 })
                    var inside = 0, sIn = 0.0, sOut = 0.0
                    for i in 0..<n {
                        var d = 0
                        for c in 0..<3 { d += abs(Int(p[i * 3 + c]) - Int(before[i * 3 + c])) }
                        if m[i] == 255 { inside += 1; sIn += Double(d) / 3 } else { sOut += Double(d) / 3 }
                    }
                    let cover = Double(inside) / Double(n)
                    let tag = "\(name) \(defect) seed \(seed)"
                    XCTAssertGreaterThan(inside, 0, "\(tag): empty mask")
                    XCTAssertGreaterThanOrEqual(cover, 0.002, "\(tag): coverage \(cover)")
                    XCTAssertLessThanOrEqual(cover, 0.2, "\(tag): coverage \(cover)")
                    let meanIn = sIn / Double(max(inside, 1)), meanOut = sOut / Double(n - inside)
                    XCTAssertGreaterThanOrEqual(meanIn, 5 * meanOut, "\(tag): mean |Δ| in \(meanIn) out \(meanOut)")
                    XCTAssertGreaterThanOrEqual(meanIn, 3, "\(tag): the defect is nearly invisible (mean |Δ| \(meanIn))")
                    if name == "gray noise" {
                        // A gray input stays gray.
                        var colored = 0
                        for i in 0..<n where p[i * 3] != p[i * 3 + 1] || p[i * 3 + 1] != p[i * 3 + 2] { colored += 1 }
                        XCTAssertEqual(colored, 0, "\(tag): not gray")
                    }
                }
            }
        }
    }

    func testPaintingIsDeterministicForASeed() {
        for (_, input) in Self.inputs() {
            for defect in DefectKind.allCases {
                let a = SurfaceSynth.paint(defect, on: input, seed: 11)
                let b = SurfaceSynth.paint(defect, on: input, seed: 11)
                let c = SurfaceSynth.paint(defect, on: input, seed: 12)
                XCTAssertEqual(a.image, b.image, "\(defect)")
                XCTAssertEqual(a.mask, b.mask, "\(defect)")
                XCTAssertNotEqual(a.mask, c.mask, "\(defect): seeds 11 and 12 gave the same mask")
            }
        }
    }
}
