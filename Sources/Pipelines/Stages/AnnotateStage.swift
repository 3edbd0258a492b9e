import Checkpoint
import Foundation
import ImageIO
import Reports

/// `annotate`: draws what the pipeline found onto the image — boxes with class and score, a
/// caption with the top classes, the heat map blended in — and writes it as JPEG or PNG under
/// `outputs.dir/dir`, at the input's relative path (video frames as `clip@000120.jpg`).
///
/// ```yaml
/// - annotate: {dir: annotated, format: jpg, quality: 90, heatmap: true, alpha: 0.5}
/// ```
public final class AnnotateStage: Stage {
    struct Parameters: StageParameters {
        var dir: String?
        var format: String?
        var quality: Int?
        var heatmap: Bool?
        var alpha: Double?
        var unlabelled: Bool?
        enum CodingKeys: String, CodingKey, CaseIterable { case dir, format, quality, heatmap, alpha, unlabelled }
        typealias Keys = CodingKeys
    }

    public let kind = "annotate"
    let folder: String
    let relativeFolder: String
    let format: String
    let quality: Int
    let drawHeatmap: Bool
    let alpha: Double
    let drawUnlabelled: Bool

    init(_ r: ParameterReader, env: StageEnvironment) throws {
        let p = try r.decode(Parameters.self)
        do {
            try Check.oneOf(p.format, "format", ["jpg", "png"])
            try Check.range(p.quality, "quality", 1...100)
            try Check.range(p.alpha, "alpha", 0...1)
        } catch let e as ParameterError { throw r.fail(e) }
        relativeFolder = p.dir ?? "annotated"
        folder = (env.outputPath(relativeFolder) as NSString).standardizingPath
        format = p.format ?? "jpg"
        quality = p.quality ?? 90
        drawHeatmap = p.heatmap ?? true
        alpha = p.alpha ?? 0.5
        drawUnlabelled = p.unlabelled ?? true
    }

    public var summary: String { "boxes, labels and heat maps drawn, written as \(format.uppercased()) to \(folder)/" }

    public func check(_ flow: inout Flow) throws {
        guard flow.image else { throw ParameterError(nil, "needs an image: put decode (or video) before it") }
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        for i in items.indices where items[i].ok {
            guard let image = items[i].image else { continue }
            var canvas = Canvas(image: image)
            let item = items[i]
            if drawHeatmap, let h = item.heatmap {
                Annotator.overlay(&canvas, map: h.values, mapWidth: h.width, mapHeight: h.height, alpha: alpha)
            }
            var boxes: [AnnotationBox] = []
            for r in item.regions {
                if r.label == nil && !drawUnlabelled { continue }
                let text = r.label.map { String(format: "%@ %.0f%%", $0, Double(r.score) * 100) } ?? ""
                let color = r.label == nil ? RGB.lightGray : Annotator.color(forClass: r.classIndex ?? 0)
                boxes.append(AnnotationBox(x0: r.box.x0, y0: r.box.y0, x1: r.box.x1, y1: r.box.y1, text: text, color: color))
            }
            Annotator.draw(&canvas, boxes: boxes)
            var caption = item.top.prefix(3).map { String(format: "%@ %.1f%%", $0.label, Double($0.score) * 100) }
            if let h = item.heatmap, drawHeatmap { caption.append(h.title) }
            if let t = item.timestamp { caption.insert(String(format: "t = %.2f s", t), at: 0) }
            if !caption.isEmpty { Annotator.caption(&canvas, lines: caption) }
            let rel = ((relativeFolder as NSString).appendingPathComponent(item.stem + "." + format) as NSString).standardizingPath
            let path = folder + "/" + item.stem + "." + format
            do {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let bytes = format == "png" ? try ImageCodec.encodePNG(canvas.image) : try ImageCodec.encodeJPEG(canvas.image, quality: quality)
                try writeAtomically(Data(bytes), to: path)
                items[i].outputs.append(rel)
            } catch {
                items[i].error = "annotate: cannot write \(path): \(error)"
            }
        }
    }
}
