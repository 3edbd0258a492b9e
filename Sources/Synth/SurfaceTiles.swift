import Foundation
import ImageIO
import TensorCore

/// Labelled tiles for a supervised defect classifier: crops of defective surfaces centred on
/// the defect (labelled with its type) and crops of good surfaces (labelled `ok`), written as
/// class folders (`OUT/<label>/<surface>_000.png`) that `vigil train` and `vigil finetune` read.
public enum SurfaceTiles {
    /// The label folders written, in order.
    public static let labels = ["crack", "ok", "pit", "scratch", "stain"]

    /// Writes `perClass` tiles of `tile × tile` pixels per defect label for each kind (rendered at
    /// `size`), and `okFactor × perClass` ok tiles: a classifier run over whole parts sees mostly
    /// good tiles, so it should learn what good texture looks like from many of them.
    /// A defect tile is centred on a random pixel of the defect's mask, jittered by up to a
    /// quarter tile, so the defect need not sit in the middle; it is kept only when at least 2 % of
    /// its pixels are defective.
    public static func write(to root: String, kinds: [SurfaceKind], perClass: Int, okFactor: Int = 1, tile: Int = 64, size: Int = 256,
                             seed: UInt64) throws {
        let defects: [(String, DefectKind)] = [("crack", .crack), ("pit", .pit), ("scratch", .scratch), ("stain", .stain)]
        for label in labels { try FileManager.default.createDirectory(atPath: root + "/" + label, withIntermediateDirectories: true) }
        for (ki, kind) in kinds.enumerated() {
            var rng = SeededRNG(seed: seed &+ UInt64(ki) &* 0x9E37_79B9)
            for i in 0..<(perClass * max(1, okFactor)) {
                // Eight products per surface, so the classifier learns defects rather than one design.
                let good = SurfaceSynth.render(kind: kind, product: seed &+ UInt64(i % 8), seed: seed &+ 10_000 &+ UInt64(i * 7 + ki), size: size)
                let x = Int(rng.next() % UInt64(size - tile + 1)), y = Int(rng.next() % UInt64(size - tile + 1))
                try save(good.cropped(x: x, y: y, width: tile, height: tile), root + "/ok/\(kind.rawValue)_\(String(format: "%03d", i)).png")
            }
            for (label, defect) in defects {
                var written = 0, attempt = 0
                while written < perClass && attempt < perClass * 4 {
                    attempt += 1
                    let (img, mask) = SurfaceSynth.renderDefective(kind: kind, defect: defect, product: seed &+ UInt64(attempt % 8),
                                                                   seed: seed &+ 20_000 &+ UInt64(attempt * 13 + ki), size: size)
                    guard case .uint8(let m) = mask.samples else { continue }
                    let on = m.indices.filter { m[$0] > 127 }
                    guard !on.isEmpty else { continue }
                    let p = on[Int(rng.next() % UInt64(on.count))]
                    let jitter = tile / 4
                    let cx = p % size + Int(rng.next() % UInt64(2 * jitter + 1)) - jitter, cy = p / size + Int(rng.next() % UInt64(2 * jitter + 1)) - jitter
                    let x = min(max(0, cx - tile / 2), size - tile), y = min(max(0, cy - tile / 2), size - tile)
                    var inside = 0
                    for yy in y..<(y + tile) { for xx in x..<(x + tile) where m[yy * size + xx] > 127 { inside += 1 } }
                    guard inside * 50 >= tile * tile else { continue }
                    try save(img.cropped(x: x, y: y, width: tile, height: tile), root + "/\(label)/\(kind.rawValue)_\(String(format: "%03d", written)).png")
                    written += 1
                }
            }
        }
    }

    static func save(_ image: Image, _ path: String) throws {
        let tmp = path + ".partial"
        try Data(try ImageCodec.encodePNG(image)).write(to: URL(fileURLWithPath: tmp))
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    }
}
