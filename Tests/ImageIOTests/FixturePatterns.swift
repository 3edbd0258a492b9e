import Foundation
import ImageIO

/// The pixel patterns Fixtures/generate.py and Fixtures/tools/jpegfix.c draw; change together.
enum FixturePatterns {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ sub: String) -> String { root.appendingPathComponent(sub).path }

    static func files(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(dir))) ?? []).sorted()
    }

    static func v16(_ x: Int, _ y: Int, _ c: Int) -> Int {
        ((x * 4099 + y * 7919 + c * 21011 + 1234) * 40503) & 0xFFFF
    }

    static func value(_ x: Int, _ y: Int, _ c: Int, depth: Int) -> Int { v16(x, y, c) >> (16 - depth) }

    static func paletteEntry(_ i: Int) -> [Int] { [(i * 37 + 5) % 256, (i * 91 + 17) % 256, (i * 151 + 29) % 256] }

    static func trnsAlpha(_ i: Int) -> Int { (i * 53 + 7) % 256 }

    /// 1..8 bit gray expanded to 8 bits the way PNG defines it (bit replication = v × 255 / max).
    static func expand(_ v: Int, depth: Int) -> Int { depth >= 8 ? v : v * 255 / ((1 << depth) - 1) }

    static func jpegRGB(w: Int, h: Int, x: Int, y: Int) -> [Int] {
        [40 + x * 170 / (w - 1), 40 + y * 170 / (h - 1), 200 - (x + y) * 100 / (w + h)]
    }

    /// The RGB a CMYK fixture pixel stands for: 255 × (1 − C)(1 − K) and so on.
    static func jpegCMYKasRGB(w: Int, h: Int, x: Int, y: Int) -> [Int] {
        let c = x * 200 / (w - 1), m = y * 200 / (h - 1), yy = 60, k = 30
        return [c, m, yy].map { (255 - $0) * (255 - k) / 255 }
    }

    /// The upright 32×24 picture behind every orientation fixture.
    static func orientationPicture(x: Int, y: Int) -> [Int] {
        if x < 8 && y < 8 { return [255, 0, 0] }
        if x >= 24 && y < 8 { return [0, 255, 0] }
        if x < 8 && y >= 16 { return [0, 0, 255] }
        return [128, 128, 128]
    }
}

/// Max and mean absolute difference between an image and expected samples.
func compare(_ img: Image, _ expected: (Int, Int) -> [Int]) -> (max: Int, mean: Double) {
    var worst = 0, total = 0, n = 0
    for y in 0..<img.height {
        for x in 0..<img.width {
            let e = expected(x, y)
            for c in 0..<img.channels {
                let d = abs(img.sample(x: x, y: y, channel: c) - e[c])
                worst = max(worst, d)
                total += d
                n += 1
            }
        }
    }
    return (worst, Double(total) / Double(max(n, 1)))
}
