import Foundation
import ImageIO
import TensorCore

extension SurfaceSynth {
    /// An MVTec AD category from one real photo of a texture. The photo is cut into a grid of
    /// `crop × crop` blocks coloured like a checkerboard: good training crops (`train/good`) come
    /// from the "white" blocks, good and defective test crops (`test/…`, `ground_truth/…`) from
    /// the "black" ones, so no test crop overlaps a training crop and slow changes across the
    /// photo (perspective, light) fall on both sides alike. Each crop is one of the block's eight
    /// turns and mirror images, drawn from the seed.
    public static func writePaintedMVTec(from photo: Image, to root: String, trainGood: Int, testGood: Int, testPerDefect: Int,
                                         crop: Int, seed: UInt64) throws {
        let img = photo.toRGB8()
        let cols = img.width / crop, rows = img.height / crop
        guard cols * rows >= 4 else {
            throw SynthError(path: root, reason: "the photo (\(img.width)×\(img.height)) holds fewer than 4 blocks of \(crop) px; use a smaller --crop")
        }
        let folders = ["train/good", "test/good"] + DefectKind.allCases.flatMap { ["test/\($0.rawValue)", "ground_truth/\($0.rawValue)"] }
        for f in folders {
            do { try FileManager.default.createDirectory(atPath: root + "/" + f, withIntermediateDirectories: true) } catch {
                throw SynthError(path: root + "/" + f, reason: "cannot create the folder: \(error.localizedDescription)")
            }
        }
        let blocks = (0..<(cols * rows)).map { ($0 % cols, $0 / cols) }
        let white = blocks.filter { ($0.0 + $0.1) % 2 == 0 }, black = blocks.filter { ($0.0 + $0.1) % 2 == 1 }
        var rng = SeededRNG(seed: seed ^ 0x9A17)
        func sample(_ set: [(Int, Int)], _ fromTest: Bool) -> Image {
            let b = set[Int(rng.next() % UInt64(set.count))]
            var c = img.cropped(x: b.0 * crop, y: b.1 * crop, width: crop, height: crop)
            let t = Int(rng.next() % 8)
            for _ in 0..<(t % 4) { c = quarterTurn(c) }
            if t >= 4 { c = mirrored(c) }
            return c
        }
        for i in 0..<trainGood { try writePNG(sample(white, false), to: "\(root)/train/good/\(name(i)).png") }
        for i in 0..<testGood { try writePNG(sample(black, true), to: "\(root)/test/good/\(name(i)).png") }
        for (k, defect) in DefectKind.allCases.enumerated() {
            for i in 0..<testPerDefect {
                let (d, mask) = paint(defect, on: sample(black, true), seed: seed &+ UInt64(i) &* 7919 &+ UInt64(k) &* 104_729)
                try writePNG(d, to: "\(root)/test/\(defect.rawValue)/\(name(i)).png")
                try writePNG(mask, to: "\(root)/ground_truth/\(defect.rawValue)/\(name(i))_mask.png")
            }
        }
    }

    /// The image mirrored left to right.
    static func mirrored(_ img: Image) -> Image {
        guard case .uint8(let p) = img.samples else { return img }
        let w = img.width, c = img.channels
        var out = p
        for y in 0..<img.height { for x in 0..<w { for k in 0..<c { out[(y * w + x) * c + k] = p[(y * w + (w - 1 - x)) * c + k] } } }
        return Image(width: w, height: img.height, channels: c, pixels8: out)
    }

    /// The image turned a quarter clockwise.
    static func quarterTurn(_ img: Image) -> Image {
        guard case .uint8(let p) = img.samples else { return img }
        let w = img.width, h = img.height, c = img.channels
        var out = [UInt8](repeating: 0, count: p.count)
        for y in 0..<h { for x in 0..<w { for k in 0..<c { out[((x * h) + (h - 1 - y)) * c + k] = p[(y * w + x) * c + k] } } }
        return Image(width: h, height: w, channels: c, pixels8: out)
    }
}
