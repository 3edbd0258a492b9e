import Foundation
import ImageIO

/// `decode`: file bytes → image (PNG, JPEG; EXIF orientation applied). A file that does not
/// decode becomes an error record and the run goes on.
///
/// ```yaml
/// - decode: {max_pixels: 50000000, orientation: true, dct: auto}
/// ```
/// `dct: auto` lets a JPEG decode at a reduced DCT scale when every later stage only needs the
/// network input (the same scale `vigil classify` uses); `off` always decodes full size.
public final class DecodeStage: Stage {
    struct Parameters: StageParameters {
        var max_pixels: Int?
        var orientation: Bool?
        var dct: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case max_pixels, orientation, dct }
        typealias Keys = CodingKeys
    }

    public let kind = "decode"
    public var options = DecodeOptions()
    let allowDCT: Bool

    init(_ r: ParameterReader) throws {
        let p = try r.decode(Parameters.self)
        do {
            try Check.atLeast(p.max_pixels, "max_pixels", 1)
            try Check.oneOf(p.dct, "dct", ["auto", "off"])
        } catch let e as ParameterError { throw r.fail(e) }
        if let m = p.max_pixels { options.maxPixels = UInt64(m) }
        options.applyOrientation = p.orientation ?? true
        allowDCT = (p.dct ?? "auto") == "auto"
    }

    /// Decode JPEGs at the DCT scale this network input needs (when allowed).
    func reduce(for decodeOptions: DecodeOptions) {
        guard allowDCT else { return }
        options.targetSize = decodeOptions.targetSize
        options.minimumShorterSide = decodeOptions.minimumShorterSide
    }

    public var summary: String {
        var s = "PNG/JPEG → image" + (options.applyOrientation ? ", EXIF orientation applied" : "")
        if let m = options.minimumShorterSide { s += ", JPEG at the DCT scale that keeps the shorter side ≥ \(m)" }
        if let t = options.targetSize { s += ", JPEG at the DCT scale that keeps ≥ \(t.width)×\(t.height)" }
        return s
    }

    public func check(_ flow: inout Flow) throws {
        flow.image = true
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        for i in items.indices where items[i].ok && items[i].image == nil {
            guard let file = items[i].file else { continue }
            do {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file), options: .mappedIfSafe))
                let image = try ImageCodec.decode(bytes, options: options).image
                items[i].image = image
                items[i].width = image.width
                items[i].height = image.height
            } catch let e as ImageError {
                items[i].error = "\(e)"
            } catch {
                items[i].error = "\(FileReadError(reason: (error as NSError).localizedDescription))"
            }
        }
    }
}
