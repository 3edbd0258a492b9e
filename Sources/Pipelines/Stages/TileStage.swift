import Detection
import Foundation

/// `tile`: sliding windows over the image, each a region carrying its place, for finding
/// small things (defects, distant signs) a whole-image classifier would miss.
///
/// ```yaml
/// - tile: {size: 128, overlap: 0.25}     # or stride: 96
/// ```
/// The last row and column are moved in to end at the image's edge, so every pixel is covered
/// and no tile hangs outside; an image smaller than a tile is one tile.
public final class TileStage: Stage {
    struct Parameters: StageParameters {
        var size: Int?
        var stride: Int?
        var overlap: Double?
        enum CodingKeys: String, CodingKey, CaseIterable { case size, stride, overlap }
        typealias Keys = CodingKeys
    }

    public let kind = "tile"
    public let size: Int
    public let stride: Int

    init(_ r: ParameterReader) throws {
        let p = try r.decode(Parameters.self)
        guard let size = p.size else { throw r.fail(nil, "missing size (the tile side in pixels)") }
        do {
            try Check.range(size, "size", 8...8192)
            try Check.range(p.stride, "stride", 1...size)
            try Check.range(p.overlap, "overlap", 0...0.95)
            if p.stride != nil && p.overlap != nil { throw ParameterError("stride", "give stride or overlap, not both") }
        } catch let e as ParameterError { throw r.fail(e) }
        self.size = size
        stride = p.stride ?? max(1, Int((Double(size) * (1 - (p.overlap ?? 0))).rounded()))
    }

    public var summary: String { "\(size)×\(size) windows every \(stride) px" }

    public func check(_ flow: inout Flow) throws {
        guard flow.image else { throw ParameterError(nil, "needs an image: put decode (or video) before it") }
        if flow.regions != nil { throw ParameterError(nil, "the image already has regions; tile before propose or detect") }
        flow.regions = .tile
        flow.regionsLabelled = false
    }

    /// Window origins along one axis of length `n`.
    static func origins(_ n: Int, size: Int, stride: Int) -> [Int] {
        guard n > size else { return [0] }
        var out = Array(Swift.stride(from: 0, through: n - size, by: stride))
        if out.last! != n - size { out.append(n - size) }
        return out
    }

    public static func tiles(width: Int, height: Int, size: Int, stride: Int) -> [Box] {
        var out: [Box] = []
        for y in origins(height, size: size, stride: stride) {
            for x in origins(width, size: size, stride: stride) {
                out.append(Box(x0: Double(x), y0: Double(y), x1: Double(min(width, x + size)), y1: Double(min(height, y + size))))
            }
        }
        return out
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        for i in items.indices where items[i].ok {
            guard let img = items[i].image else { continue }
            items[i].regions = Self.tiles(width: img.width, height: img.height, size: size, stride: stride).map { Region(box: $0, origin: .tile) }
        }
    }
}
