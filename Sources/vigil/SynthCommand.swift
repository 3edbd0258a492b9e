import ArgumentParser
import Foundation
import ImageIO
import Jobs
import Synth
import Datasets
import Detection
import Pipelines
import Training
import Checkpoint

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate labelled data that cannot be downloaded: surfaces with defects, road scenes with signs.",
        subcommands: [Surfaces.self, Tiles.self, Painted.self, Signs.self, Crops.self]
    )

    struct Surfaces: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render surfaces with scratches, pits, cracks, stains, dents and missing print, in the MVTec AD layout.",
            discussion: """
            Surfaces: \(SurfaceKind.allCases.map(\.rawValue).joined(separator: ", ")). Each surface \
            is one product (one board design, one fabric, one wood species and finish, drawn from \
            the seed), photographed many times: pose, lighting, exposure, colour temperature, blur, \
            sensor noise and compression vary per image, so a model cannot key on the generator's \
            shortcuts. A defective image is a good instance with the defect painted in, and its mask \
            marks the changed pixels.

            Writes OUT/<surface>/train/good/000.png…, test/good/…, test/<defect>/…, and \
            ground_truth/<defect>/000_mask.png… — the MVTec AD layout that `vigil anomaly fit` and \
            `vigil eval --task anomaly` read. The same seed writes the same files.

            Example:
              vigil synth surfaces --out data/surfaces --train 200 --test-good 40 --test-per-defect 10
            """
        )

        @Option(help: "Output folder (one subfolder per surface).")
        var out: String

        @Option(help: "Surfaces, comma-separated (default: all).")
        var kinds: String?

        @Option(help: "Good training images per surface.")
        var train = 100

        @Option(help: "Good test images per surface.")
        var testGood = 20

        @Option(help: "Defective test images per surface and defect type.")
        var testPerDefect = 10

        @Option(help: "Image side in pixels.")
        var size = 256

        @Option(help: "Seed.")
        var seed: UInt64 = 0

        func validate() throws {
            guard size >= 32 && size <= 4096 else { throw ValidationError("--size must be in 32…4096") }
            guard train >= 0 && testGood >= 0 && testPerDefect >= 0 else { throw ValidationError("counts must not be negative") }
            try checkSurfaceKinds(kinds)
        }

        func run() throws {
            let chosen = surfaceKinds(kinds)
            let started = Date()
            try runJob("vigil synth surfaces") {
                for k in chosen {
                    try SurfaceSynth.writeMVTec(to: out, kinds: [k], trainGood: train, testGood: testGood, testPerDefect: testPerDefect, size: size, seed: seed)
                    printError("\(k.rawValue): \(train) train, \(testGood) good and \(testPerDefect * k.defects.count) defective test images → \(out)/\(k.rawValue)")
                }
            }
            printError(String(format: "done in %.1f s", Date().timeIntervalSince(started)))
        }
    }

    struct Tiles: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Labelled defect tiles (crack, ok, pit, scratch, stain) as class folders, for a supervised tile classifier.",
            discussion: """
            Crops of defective surfaces centred near the defect, labelled with its type, and crops of \
            good surfaces labelled ok, from several products of every surface. OUT/<label>/ is the \
            class-folder layout vigil train and vigil finetune read.

            Example:
              vigil synth tiles --out data/tiles --per-class 120
              vigil finetune data/tiles --from mobilenet_v2 --freeze backbone --out runs/tiles
            """
        )

        @Option(help: "Output folder.")
        var out: String

        @Option(help: "Surfaces, comma-separated (default: all).")
        var kinds: String?

        @Option(help: "Tiles per label and surface.")
        var perClass = 40

        @Option(name: .customLong("ok-factor"), help: "ok tiles per defect tile of one label (whole parts are mostly good).")
        var okFactor = 1

        @Option(help: "Tile side in pixels.")
        var tile = 64

        @Option(help: "Seed.")
        var seed: UInt64 = 0

        func validate() throws {
            try checkSurfaceKinds(kinds)
            guard tile >= 16 && tile <= 256 else { throw ValidationError("--tile must be in 16…256") }
            guard perClass >= 1 else { throw ValidationError("--per-class must be at least 1") }
        }

        func run() throws {
            let chosen = surfaceKinds(kinds)
            try runJob("vigil synth tiles") {
                try SurfaceTiles.write(to: out, kinds: chosen, perClass: perClass, okFactor: okFactor, tile: tile, seed: seed)
            }
            printError("wrote \(SurfaceTiles.labels.count) labels × \(perClass) tiles × \(chosen.count) surfaces to \(out)/{\(SurfaceTiles.labels.joined(separator: ","))}")
        }
    }

    struct Painted: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Real photos of textures with defects painted on, as MVTec AD categories.",
            discussion: """
            Each PHOTO becomes a category OUT/<photo name>/. The photo is cut into --crop blocks \
            coloured like a checkerboard: good crops from one colour go to train/good; good crops \
            and crops with painted scratches, pits, cracks, stains, dents and missing texture (with \
            masks) from the other go to test/, so no test crop overlaps a training crop. Crops are \
            turned and mirrored; the defects' contrast follows the photo's own texture.

            Example (scikit-image's brick, grass and gravel photos):
              vigil synth painted brick.png grass.png gravel.png --out data/painted
              vigil anomaly fit data/painted/brick --out brick.safetensors
              vigil eval --task anomaly data/painted/brick --model brick.safetensors
            """
        )

        @Argument(help: "Photos of textures (PNG or JPEG).")
        var photos: [String]

        @Option(help: "Output folder (one subfolder per photo).")
        var out: String

        @Option(help: "Crop side in pixels.")
        var crop = 128

        @Option(help: "Good training crops per photo.")
        var train = 100

        @Option(help: "Good test crops per photo.")
        var testGood = 20

        @Option(help: "Defective test crops per photo and defect type.")
        var testPerDefect = 5

        @Option(help: "Seed.")
        var seed: UInt64 = 0

        func run() throws {
            try runJob("vigil synth painted") {
                for p in photos {
                    let image = try ImageCodec.decode(fileAt: p).image
                    let name = ((p as NSString).lastPathComponent as NSString).deletingPathExtension
                    try SurfaceSynth.writePaintedMVTec(from: image, to: out + "/" + name, trainGood: train, testGood: testGood,
                                                       testPerDefect: testPerDefect, crop: crop, seed: seed)
                    printError("\(p): \(train) train, \(testGood) good and \(testPerDefect * DefectKind.allCases.count) painted test crops → \(out)/\(name)")
                }
            }
        }
    }

    struct Signs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Road scenes with traffic signs and their boxes, as COCO JSON or YOLO txt.",
            discussion: """
            Signs: \(SignClass.allCases.map(\.rawValue).joined(separator: ", ")) — real shapes and \
            colours, lettering drawn with DejaVu Sans Bold through FreeType — on poles in procedural \
            street scenes (or crops of your --backgrounds photos), 0–4 per scene, from 16 px to a \
            third of the frame, with perspective, partial occlusion, blur, fog, night and glare, and \
            hard negatives (red, blue and yellow shapes that are not signs, red cars) without boxes.

            Writes OUT/images/000000.jpg…, OUT/annotations.json (COCO) or OUT/labels/*.txt + \
            classes.txt (YOLO), and OUT/contact-sheet.png with the boxes drawn.

            Example:
              vigil synth signs --out data/signs --scenes 2000 --backgrounds photos/
            """
        )

        @Option(help: "Output folder.")
        var out: String

        @Option(help: "Number of scenes.")
        var scenes = 100

        @Option(help: "Sign classes, comma-separated (default: all).")
        var classes: String?

        @Option(help: "Annotations: coco or yolo.")
        var format = "coco"

        @Option(help: "A folder of photos to use as backgrounds for every other scene.")
        var backgrounds: String?

        @Option(help: "Scene size WIDTHxHEIGHT.")
        var size = "640x480"

        @Option(help: "Seed.")
        var seed: UInt64 = 0

        func validate() throws {
            guard SignScenes.DatasetFormat(rawValue: format) != nil else { throw ValidationError("--format must be coco or yolo") }
            let wh = size.split(separator: "x").compactMap { Int($0) }
            guard wh.count == 2, wh.allSatisfy({ $0 >= 64 && $0 <= 4096 }) else { throw ValidationError("--size must be WIDTHxHEIGHT, 64…4096 each") }
            if let c = classes {
                for name in c.split(separator: ",") where SignClass(rawValue: String(name)) == nil {
                    throw ValidationError("unknown sign \(name) (known: \(SignClass.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
        }

        func run() throws {
            let wh = size.split(separator: "x").compactMap { Int($0) }
            let chosen = classes.map { $0.split(separator: ",").compactMap { SignClass(rawValue: String($0)) } } ?? SignClass.allCases
            try runJob("vigil synth signs") {
                let photos = try backgrounds.map { decodeImages(try FileWalker().files(under: $0).map(\.path)) } ?? []
                let started = Date()
                let s = try SignScenes.writeDataset(to: URL(fileURLWithPath: out), scenes: scenes, seed: seed, size: (wh[0], wh[1]),
                                                    classes: chosen, format: SignScenes.DatasetFormat(rawValue: format)!, backgrounds: photos)
                printError(String(format: "wrote %d scenes with %d signs to %@ in %.1f s (%@); contact-sheet.png shows the first 16", s.images, s.boxes, out,
                                  Date().timeIntervalSince(started), s.boxesPerClass.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            }
        }
    }
}

extension SynthCommand {
    struct Crops: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Crop-classifier training data from a box dataset: colour proposals labelled by the boxes.",
            discussion: """
            For the classical route to signs (colour-and-shape proposals, then a small classifier \
            on each proposal's crop): finds the colour proposals of every image of DATASET (COCO, \
            YOLO or VOC) as the pipeline's propose stage does, and writes each one's crop to \
            OUT/<class>/ when it overlaps a box of that class with IoU ≥ --positive-iou, or to \
            OUT/background/ when it overlaps none with IoU ≥ --negative-iou (the rest are left \
            out). Every box is also cropped itself, padded like a proposal. OUT is a class-folder \
            dataset for vigil train --arch crop_vgg.

            Example:
              vigil synth crops scenes --out crops
              vigil train crops --arch crop_vgg --out runs/sign-crops --epochs 20
            """
        )

        @Argument(help: "Box dataset (COCO, YOLO or VOC).")
        var dataset: String

        @Option(help: "Output folder (one subfolder per class, and background/).")
        var out: String

        @Option(help: "Proposal colours, comma-separated (\(ProposeStage.presets.keys.sorted().joined(separator: ", "))).")
        var colors = "red,blue,yellow"

        @Option(name: .customLong("min-area"), help: "Smallest proposal blob in pixels.")
        var minArea = 80

        @Option(name: .customLong("min-fill"), help: "Smallest blob fill of its box.")
        var minFill = 0.45

        @Option(name: .customLong("positive-iou"), help: "A proposal with at least this IoU with a box is a crop of its class.")
        var positiveIoU = 0.5

        @Option(name: .customLong("negative-iou"), help: "A proposal below this IoU with every box is background.")
        var negativeIoU = 0.2

        func run() throws {
            try runJob("vigil synth crops") {
                let data: BoxDataset
                do { data = try BoxDataset.open(dataset) } catch { throw TrainError(message: "\(error)") }
                var ranges: [HSVRange] = []
                for c in colors.split(separator: ",").map(String.init) {
                    guard let r = ProposeStage.presets[c] else { throw ValidationError("unknown colour \(c)") }
                    ranges += r
                }
                let options = ColorProposals.Options(ranges: ranges, minArea: minArea, aspect: 0.6...1.6, minFill: minFill, maxProposals: 20)
                for name in data.classes + ["background"] {
                    try FileManager.default.createDirectory(atPath: out + "/" + name, withIntermediateDirectories: true)
                }
                var counts = [String: Int]()
                var decode = DecodeOptions()
                decode.applyOrientation = false
                let bar = ProgressBar(total: data.images.count, label: "crops")
                for (i, entry) in data.images.enumerated() {
                    bar.advance()
                    let image: Image
                    do { image = try ImageCodec.decode(fileAt: entry.path, options: decode).image } catch { printError("skipped \(error)"); continue }
                    let truth = entry.boxes.map { (box: Box(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1), name: data.classes[$0.classIndex]) }
                    var crops: [(Box, String)] = truth.map { t in
                        (t.box.padded(dx: t.box.width * options.padding, dy: t.box.height * options.padding), t.name)
                    }
                    for p in ColorProposals.propose(image, options: options) {
                        let best = truth.map { ($0.box.iou(p.box), $0.name) }.max { $0.0 < $1.0 }
                        if let best, best.0 >= positiveIoU { crops.append((p.box, best.1)) }
                        else if (best?.0 ?? 0) < negativeIoU { crops.append((p.box, "background")) }
                    }
                    for (k, (box, name)) in crops.enumerated() {
                        let b = box.clipped(width: Double(image.width), height: Double(image.height))
                        let x = Int(b.x0), y = Int(b.y0), w = Int(b.x1.rounded(.up)) - x, h = Int(b.y1.rounded(.up)) - y
                        guard w >= 4, h >= 4 else { continue }
                        let crop = image.cropped(x: x, y: y, width: min(w, image.width - x), height: min(h, image.height - y))
                        try writeAtomically(Data(ImageCodec.encodePNG(crop)), to: String(format: "%@/%@/%06d_%02d.png", out, name, i, k))
                        counts[name, default: 0] += 1
                    }
                }
                bar.finish()
                printError("wrote " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + " crops to \(out)")
            }
        }
    }
}

/// `--kinds a,b`: the surfaces named (all when nil).
func surfaceKinds(_ list: String?) -> [SurfaceKind] {
    list.map { $0.split(separator: ",").compactMap { SurfaceKind(rawValue: String($0)) } } ?? SurfaceKind.allCases
}

func checkSurfaceKinds(_ list: String?) throws {
    for name in (list ?? "").split(separator: ",") where SurfaceKind(rawValue: String(name)) == nil {
        throw ValidationError("unknown surface \(name) (known: \(SurfaceKind.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
}
