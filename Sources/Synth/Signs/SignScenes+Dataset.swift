import Foundation
import ImageIO

extension SignScenes {
    /// The annotation layout `writeDataset` writes.
    public enum DatasetFormat: String, Sendable, CaseIterable {
        /// `annotations.json`: images, annotations (bbox [x, y, w, h]), categories (ids from 1).
        case coco
        /// `labels/NNNNNN.txt` (class cx cy w h, normalised) and `classes.txt`.
        case yolo
    }

    /// What `writeDataset` wrote.
    public struct DatasetSummary: Sendable, Equatable {
        public var images: Int
        public var boxes: Int
        public var boxesPerClass: [String: Int]
    }

    /// Writes `scenes` scenes to `folder`: `images/000000.jpg…`, the annotations in `format`,
    /// and `contact-sheet.png` (the first 16 scenes with boxes and class names). Scene `i` is
    /// `render(seed: seed &+ i, …)`, with background `backgrounds[i % count]` when any are given
    /// (every other scene stays procedural so both kinds appear).
    @discardableResult
    public static func writeDataset(to folder: URL, scenes: Int, seed: UInt64 = 0,
                                    size: (width: Int, height: Int) = (640, 480),
                                    classes: [SignClass] = SignClass.allCases,
                                    format: DatasetFormat = .coco, backgrounds: [Image] = [],
                                    jpegQuality: Int = 90) throws -> DatasetSummary {
        let fm = FileManager.default
        let imagesDir = folder.appendingPathComponent("images")
        try fm.createDirectory(at: imagesDir, withIntermediateDirectories: true)
        let labelsDir = folder.appendingPathComponent("labels")
        if format == .yolo { try fm.createDirectory(at: labelsDir, withIntermediateDirectories: true) }
        var cocoImages: [[String: Any]] = [], cocoAnns: [[String: Any]] = []
        var sheet: [(Image, [SignBox])] = []
        var perClass: [String: Int] = [:]
        var boxCount = 0
        for i in 0..<max(0, scenes) {
            let bg: Image? = backgrounds.isEmpty || i % 2 == 1 ? nil : backgrounds[(i / 2) % backgrounds.count]
            let scene = render(seed: seed &+ UInt64(i), size: size, classes: classes, background: bg)
            let name = String(format: "%06d", i)
            let jpg = try ImageCodec.encodeJPEG(scene.image, quality: jpegQuality)
            try Data(jpg).write(to: imagesDir.appendingPathComponent(name + ".jpg"))
            let W = Double(scene.image.width), H = Double(scene.image.height)
            switch format {
            case .coco:
                cocoImages.append(["id": i + 1, "file_name": "images/\(name).jpg", "width": scene.image.width, "height": scene.image.height])
                for b in scene.boxes {
                    boxCount += 1
                    cocoAnns.append(["id": boxCount, "image_id": i + 1, "category_id": b.classIndex + 1,
                                     "bbox": [b.x0, b.y0, b.width, b.height], "area": b.width * b.height, "iscrowd": 0])
                }
            case .yolo:
                var lines = ""
                for b in scene.boxes {
                    boxCount += 1
                    let cx = (Double(b.x0) + Double(b.x1)) / 2 / W, cy = (Double(b.y0) + Double(b.y1)) / 2 / H
                    lines += String(format: "%d %.6f %.6f %.6f %.6f\n", b.classIndex, cx, cy, Double(b.width) / W, Double(b.height) / H)
                }
                try Data(lines.utf8).write(to: labelsDir.appendingPathComponent(name + ".txt"))
            }
            for b in scene.boxes { perClass[classes[b.classIndex].name, default: 0] += 1 }
            if sheet.count < 16 { sheet.append((scene.image, scene.boxes)) }
        }
        switch format {
        case .coco:
            let cats: [[String: Any]] = classes.enumerated().map { ["id": $0.offset + 1, "name": $0.element.name, "supercategory": "traffic_sign"] }
            let root: [String: Any] = ["info": ["description": "Vigil SignScenes synthetic traffic signs", "seed": seed],
                                       "images": cocoImages, "annotations": cocoAnns, "categories": cats]
            let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: folder.appendingPathComponent("annotations.json"))
        case .yolo:
            try Data((classes.map(\.name).joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("classes.txt"))
        }
        if !sheet.isEmpty {
            let png = try ImageCodec.encodePNG(contactSheet(sheet, classes: classes))
            try Data(png).write(to: folder.appendingPathComponent("contact-sheet.png"))
        }
        return DatasetSummary(images: max(0, scenes), boxes: boxCount, boxesPerClass: perClass)
    }

    /// A grid (4 columns) of scenes with their boxes and class names drawn, each tile `tileWidth` wide.
    public static func contactSheet(_ scenes: [(image: Image, boxes: [SignBox])], classes: [SignClass] = SignClass.allCases,
                                    tileWidth: Int = 400) -> Image {
        guard let first = scenes.first else { return Image(width: 1, height: 1, channels: 3, pixels8: [0, 0, 0]) }
        let cols = min(4, scenes.count), rows = (scenes.count + cols - 1) / cols
        let tw = tileWidth, th = max(1, tileWidth * first.image.height / max(1, first.image.width)), gap = 4
        var canvas = SignCanvas(width: cols * tw + (cols + 1) * gap, height: rows * th + (rows + 1) * gap)
        for i in canvas.px.indices { canvas.px[i] = 0.12 }
        let palette: [(Float, Float, Float)] = [(1, 0.2, 0.2), (1, 0.6, 0), (1, 1, 0.2), (0.2, 1, 0.3), (0.2, 1, 1),
                                                (0.3, 0.5, 1), (1, 0.3, 1), (1, 1, 1), (0.6, 1, 0.6)]
        for (k, scene) in scenes.enumerated() {
            let ox = gap + (k % cols) * (tw + gap), oy = gap + (k / cols) * (th + gap)
            let tile = scene.image.toRGB8().resized(width: tw, height: th).pixels8
            for y in 0..<th { for x in 0..<tw { for c in 0..<3 {
                canvas.px[((oy + y) * canvas.width + ox + x) * 3 + c] = Float(tile[(y * tw + x) * 3 + c]) / 255
            } } }
            let sx = Float(tw) / Float(scene.image.width), sy = Float(th) / Float(scene.image.height)
            for b in scene.boxes {
                let col = palette[b.classIndex % palette.count]
                let x0 = ox + Int(Float(b.x0) * sx), x1 = ox + max(Int(Float(b.x0) * sx) + 1, Int(Float(b.x1) * sx) - 1)
                let y0 = oy + Int(Float(b.y0) * sy), y1 = oy + max(Int(Float(b.y0) * sy) + 1, Int(Float(b.y1) * sy) - 1)
                for x in x0...x1 { canvas.blend(x, y0, col, 1); canvas.blend(x, y1, col, 1) }
                for y in y0...y1 { canvas.blend(x0, y, col, 1); canvas.blend(x1, y, col, 1) }
                let name = b.classIndex < classes.count ? classes[b.classIndex].name : "\(b.classIndex)"
                if let t = SignFont.render(name, pixelHeight: 11) {
                    let ty = y0 - t.height >= oy ? y0 - t.height : y1 + 1
                    for y in 0..<t.height { for x in 0..<t.width {
                        let px = x0 + x, py = ty + y
                        guard px < ox + tw, py < oy + th, py >= oy else { continue }
                        canvas.blend(px, py, (0, 0, 0), 0.55)
                        canvas.blend(px, py, col, Float(t.coverage[y * t.width + x]) / 255)
                    } }
                }
            }
        }
        return canvas.image
    }
}
