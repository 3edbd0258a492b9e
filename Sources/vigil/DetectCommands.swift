import ArgumentParser
import Checkpoint
import Datasets
import Detection
import Foundation
import ImageIO
import Inference
import Jobs
import Pipelines
import Reports
import Synth
import TensorCore
import Training
import Zoo

struct TrainDetect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-detect",
        abstract: "Train an object detector (mobilenet_v2_detect) on boxes in COCO, YOLO or Pascal VOC format.",
        discussion: """
        DATASET is a COCO .json (or a folder with one), a YOLO folder (images/ + labels/ + \
        classes.txt or data.yaml) or a Pascal VOC folder (JPEGImages/ + Annotations/). \
        Annotation problems (boxes outside the image, unknown classes, missing images, \
        malformed files) are listed and left out; --strict stops at the first.

        The detector is CenterNet-style on MobileNetV2: --from gives the backbone (the \
        ImageNet weights of mobilenet_v2, or a detector to continue from). Each step cuts \
        --crop windows from the images at the inference scale (--input-size, the longer side) \
        times a random zoom, mirrors them when every object in them is of a --mirror class, \
        and changes colour and weather with the photometric steps of --augment; the boxes \
        move with the pixels. Validation runs the whole detector on held-out images and \
        reports AP@0.5 and AP@[.5:.95]; best.safetensors follows AP@0.5.

        OUT gets checkpoint.safetensors (resume with --resume), last.safetensors, \
        best.safetensors, metrics.csv and curves.png.

        Example:
          vigil synth signs --out scenes --scenes 2000
          vigil train-detect scenes --out runs/signs --epochs 30
          vigil detect dashcam/ --model runs/signs/best.safetensors --out found
        """
    )

    @Argument(help: "Box dataset: COCO .json or folder, YOLO folder, or Pascal VOC folder.")
    var dataset: String

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Backbone: mobilenet_v2 (ImageNet weights), or a mobilenet_v2_detect .safetensors to continue from.")
    var from = "mobilenet_v2"

    @Option(help: "Passes over the training images.")
    var epochs = 30

    @Option(help: "Images (crops) per step.")
    var batch = 16

    @Option(help: "Peak learning rate (AdamW, cosine schedule after a warm-up).")
    var lr: Float = 2e-3

    @Option(name: .customLong("weight-decay"), help: "Decoupled weight decay.")
    var weightDecay: Float = 1e-4

    @Option(help: "Linear warm-up in epochs.")
    var warmup = 1.0

    @Option(name: .customLong("backbone-lr-scale"), help: "Learning-rate factor for the pretrained backbone.")
    var backboneLRScale: Float = 0.5

    @Option(name: .customLong("input-size"), help: "The longer side of the network input at inference (multiple of 16).")
    var inputSize = 512

    @Option(help: "Training window WIDTHxHEIGHT in input pixels (multiples of 16).")
    var crop = "384x288"

    @Option(help: "Random zoom range MIN:MAX around the inference scale.")
    var zoom = "0.6:1.6"

    @Option(help: "Classes that may be mirrored left–right, comma-separated; 'signs' for the mirror-symmetric sign classes, 'none' for no mirroring.")
    var mirror = "signs"

    @Option(help: "Photometric augmentation: driving, inspection, none, or a chain YAML (geometric steps are skipped).")
    var augment = "driving"

    @Option(help: "Backbone layers kept as pretrained (features.0 … features.N−1; their backward pass is skipped).")
    var freeze = 4

    @Option(name: .customLong("val-split"), help: "Fraction of images held out for validation (0: none).")
    var valSplit = 0.1

    @Option(help: "Early stopping: epochs without a better validation AP@0.5 (0: off).")
    var patience = 0

    @Option(name: .customLong("clip-norm"), help: "Clip the global gradient norm (0: off).")
    var clipNorm: Float = 10

    @Option(help: "Seed for initialisation, split, order and augmentation.")
    var seed: UInt64 = 0

    @Option(name: .customLong("checkpoint-every"), help: "Also save the resume checkpoint every N steps (0: each epoch only).")
    var checkpointEvery = 0

    @Flag(help: "Stop at the first annotation problem instead of leaving the entry out.")
    var strict = false

    @Flag(help: "Continue the run saved in --out.")
    var resume = false

    @Option(help: "Threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("max-steps"), help: .hidden)
    var maxSteps: Int?

    @OptionGroup var cache: ModelCacheOption

    func detectOptions(classes: [String]) throws -> DetectOptions {
        var d = DetectOptions()
        d.inputSize = inputSize
        d.frozenLayers = freeze
        let c = crop.lowercased().split(separator: "x").compactMap { Int($0) }
        guard c.count == 2 else { throw ValidationError("--crop must be WIDTHxHEIGHT, e.g. 384x288") }
        (d.cropWidth, d.cropHeight) = (c[0], c[1])
        let z = zoom.split(separator: ":").compactMap { Double($0) }
        guard z.count == 2 else { throw ValidationError("--zoom must be MIN:MAX, e.g. 0.6:1.6") }
        (d.zoomMin, d.zoomMax) = (z[0], z[1])
        switch mirror {
        case "none": d.mirrorable = []
        case "signs": d.mirrorable = SignClass.allCases.filter(\.isMirrorSymmetric).map(\.name).filter(classes.contains)
        default:
            d.mirrorable = mirror.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if let bad = d.mirrorable.first(where: { !classes.contains($0) }) {
                throw ValidationError("--mirror: \(bad) is not a class of the dataset (\(classes.joined(separator: ", ")))")
            }
        }
        try d.validate()
        return d
    }

    func run() throws {
        try runJob("vigil train-detect") {
            let data: BoxDataset
            do { data = try BoxDataset.open(dataset, strict: strict) } catch { throw TrainError(message: "\(error)") }
            for p in data.problems.prefix(20) { printError("left out: \(p)") }
            if data.problems.count > 20 { printError("left out: … and \(data.problems.count - 20) more annotation problems") }
            guard !data.images.isEmpty else { throw TrainError(message: "\(dataset): no annotated images") }
            let counts = data.boxCounts
            printError("\(data.images.count) images, \(counts.reduce(0, +)) boxes in \(data.classes.count) classes (\(data.format.rawValue)): "
                       + zip(data.classes, counts).map { "\($0) \($1)" }.joined(separator: ", "))
            let trainer: DetectorTrainer
            if resume {
                let (o, _) = try DetectorTrainer.savedOptions(folder: out)
                let parts = DetectorTrainer.split(count: data.images.count, fraction: o.validationFraction, seed: o.seed)
                trainer = try DetectorTrainer.resume(folder: out, dataset: data, trainIndices: parts.train, validationIndices: parts.validation, threads: threads)
                let s = trainer.startingPoint
                printError("resuming at epoch \(s.epoch + 1), image \(s.position), step \(s.step)")
            } else {
                var o = TrainOptions()
                o.epochs = epochs
                o.batchSize = batch
                o.optimizer = .adamw
                o.learningRate = lr
                o.weightDecay = weightDecay
                o.schedule = .cosine
                o.warmupEpochs = warmup
                o.augment = augment
                o.validationFraction = valSplit
                o.patience = patience
                o.clipNorm = clipNorm
                o.seed = seed
                o.checkpointEverySteps = checkpointEvery
                o.backboneLearningRateScale = backboneLRScale
                let d = try detectOptions(classes: data.classes)
                let model = try DetectorModels.start(from: from, classes: data.classes, inputSize: inputSize, seed: seed, store: cache.store)
                model.card.provenance.data = dataset
                let parts = DetectorTrainer.split(count: data.images.count, fraction: valSplit, seed: seed)
                trainer = try DetectorTrainer(model: model, dataset: data, trainIndices: parts.train, validationIndices: parts.validation,
                                              options: o, detect: d, folder: out, threads: threads)
                printError("training on \(parts.train.count) images, validating on \(parts.validation.count); mirrored: "
                           + (d.mirrorable.isEmpty ? "none" : d.mirrorable.joined(separator: ", ")))
            }
            trainer.maxSteps = maxSteps
            trainer.onNote = { printError($0) }
            trainer.onEpoch = { r in
                var line = String(format: "epoch %d: loss %.4f (heat %.4f, box %.4f)", r.epoch, r.trainLoss, r.heatLoss, r.boxLoss)
                if let ap = r.valAP50 { line += String(format: ", val AP@0.5 %.4f, AP@[.5:.95] %.4f", ap, r.valAP ?? 0) }
                line += String(format: ", lr %.3g, %.1f s, %.1f images/s", r.learningRate, r.seconds, r.imagesPerSecond)
                print(line)
                fflush(stdout)
            }
            let summary = try trainer.run()
            if summary.interrupted {
                printError(trainer.options.checkpointEverySteps > 0 ? "stopped after --max-steps; resume with --resume"
                           : "stopped after --max-steps (the last checkpoint is from the end of an epoch, if any)")
            }
            if let best = summary.best, let e = summary.bestEpoch {
                printError(String(format: "best %@ %.4f at epoch %d: %@", summary.monitor, best, e, summary.bestModelPath))
            }
        }
    }
}

/// Starting points for detector training.
enum DetectorModels {
    /// A fresh `mobilenet_v2_detect` for `classes` whose backbone comes from `spec` (a
    /// classifier with MobileNetV2 features, e.g. the ImageNet one), or a saved detector.
    static func start(from spec: String, classes: [String], inputSize: Int, seed: UInt64, store: ModelStore) throws -> Model {
        let base = try FineTune.loadBase(spec, arch: nil, store: store)
        var config = Zoo.entry("mobilenet_v2_detect")!.defaultConfig
        config.numClasses = classes.count
        config.inputSize = inputSize
        let model = try Model(zoo: "mobilenet_v2_detect", config: config, labels: classes, seed: seed)
        model.card.preprocessing.resizeTo = inputSize
        model.card.preprocessing.inputSize = inputSize
        let source = Dictionary(base.network.namedParameters().map { ($0.name, $0.parameter) }, uniquingKeysWith: { a, _ in a })
        var copied = 0
        let sameTask = base.card.architecture == "mobilenet_v2_detect" && base.card.labels == classes
        for (name, p) in model.network.namedParameters() {
            guard name.hasPrefix("features.") || sameTask, let s = source[name], s.value.shape == p.value.shape else { continue }
            p.value = s.value
            copied += 1
        }
        guard copied > 0 else {
            throw TrainError(message: "\(spec) (\(base.card.architecture)) has no MobileNetV2 features to start a detector from")
        }
        model.card.provenance = Provenance(source: "detector on \(base.card.architecture) (\(base.card.provenance.source))", data: "",
                                           seed: seed, vigilVersion: vigilVersion, created: ISO8601DateFormatter().string(from: Date()))
        return model
    }
}

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find objects in images and videos with a detection model: boxes, classes, scores; annotated images and records.",
        discussion: """
        Runs the built-in detect pipeline (pipelines/detect.yaml): decode → detect → annotate \
        → write, on files, folders, quoted globs and videos (frames every --every). The model \
        file says its classes and input size; boxes of one class overlapping more than --nms \
        are suppressed. OUT gets an annotated JPEG per image or frame and detections.jsonl \
        (or .csv): one record per image with its boxes (x0, y0, x1, y1 in pixels, class, score). \
        Exit status 1 when an input could not be read, 2 when the job could not run.

        Examples:
          vigil detect scenes/images --model models/detect/traffic-signs.safetensors --out found
          vigil detect dashcam.mp4 --model models/detect/traffic-signs.safetensors --classes stop --every 0.5s
        """
    )

    @Argument(help: "Image files, folders, quoted globs or videos.")
    var inputs: [String]

    @Option(help: "A detection model (vigil train-detect).")
    var model = "models/detect/traffic-signs.safetensors"

    @Option(help: "Output folder for annotated images and records.")
    var out = "detections"

    @Option(help: "Minimum score of a box.")
    var threshold = 0.3

    @Option(help: "Per-class NMS IoU (1: off).")
    var nms = 0.5

    @Option(help: "Keep only these classes, comma-separated.")
    var classes: String?

    @Option(help: "Records format: jsonl or csv.")
    var format = "jsonl"

    @Option(help: "Video sampling: every N seconds (0.5s), every N frames (5f) or all.")
    var every = "1s"

    @Flag(name: .customLong("no-annotate"), help: "Write records only, no annotated images.")
    var noAnnotate = false

    @Option(help: "Threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var cache: ModelCacheOption

    func validate() throws {
        guard ["jsonl", "csv"].contains(format) else { throw ValidationError("--format must be jsonl or csv") }
        guard threshold >= 0 && threshold <= 1 else { throw ValidationError("--threshold must be in [0, 1]") }
    }

    func run() throws {
        var file = try PipelineFile.parse(BuiltinPipelines.detect, path: "detect (built in)")
        file.set("detect", "model", model)
        file.set("detect", "threshold", String(threshold))
        file.set("detect", "nms", String(nms))
        if let classes { try file.set("detect.classes=[\(classes)]") }
        file.set("video", "every", every)
        file.set("write", "format", format)
        file.set("write", "path", "detections." + format)
        if noAnnotate { file.stages.removeAll { $0.kind == "annotate" } }
        file.inputs = inputs
        let out = self.out
        try runBuiltin("detect", file, store: cache.store, threads: threads, batch: 1, resume: false, hidden: false, outputDirectory: out) { plan, s in
            printError(String(format: "looked at %d images in %.1f s (%.1f images/s), %d failed; %@detections.%@ in %@",
                              s.items, s.seconds, Double(s.items) / max(s.seconds, 1e-9), s.failed,
                              noAnnotate ? "" : "annotated images and ", format, out))
        }
    }
}

/// `vigil eval --task detect`: a detection model on a box dataset, as `vigil detect` runs it
/// (whole images, the model's threshold set low so the precision–recall curve is complete).
func evaluateDetection(dataset: String, model: String, predictions: String?, classAgnostic: Bool, out: String?, threads: Int,
                       worst: Int, store: ModelStore) throws {
    let data: BoxDataset
    do { data = try BoxDataset.open(dataset) } catch { throw TrainError(message: "\(error)") }
    for p in data.problems.prefix(10) { printError("left out: \(p)") }
    var found = [[Detection]?](repeating: nil, count: data.images.count)
    var names: [String]
    var unreadable: [String] = []
    var failed = Set<Int>()  // images left out of the figures
    let started = Date()
    var missScore: Float = 0.3
    if let predictions {
        // Records of any pipeline (write: {format: jsonl}): regions with label, score and box.
        names = data.classes
        let records = try DetectionRecords.read(predictions)
        var byPath: [String: Int] = [:]
        for (i, e) in data.images.enumerated() { byPath[e.path] = i }
        var unmatched = 0, otherLabels = Set<String>()
        for r in records {
            guard let i = byPath[r.path] ?? data.images.firstIndex(where: { $0.path.hasSuffix("/" + r.path) }) else { unmatched += 1; continue }
            var dets: [Detection] = []
            for d in r.regions {
                if let k = names.firstIndex(of: d.label) { dets.append(Detection(box: d.box, classIndex: k, label: d.label, score: d.score)) }
                else if classAgnostic { dets.append(Detection(box: d.box, classIndex: 0, label: d.label, score: d.score)) }
                else { otherLabels.insert(d.label) }
            }
            found[i] = dets
            if let e = r.error { unreadable.append("\(r.path): \(e)"); failed.insert(i) }
        }
        if unmatched > 0 { printError("\(predictions): \(unmatched) records name images that are not in \(dataset)") }
        if !otherLabels.isEmpty { printError("\(predictions): left out regions labelled \(otherLabels.sorted().joined(separator: ", ")) (not classes of \(dataset))") }
        let missing = found.filter { $0 == nil }.count
        if missing > 0 { printError("\(predictions): no record for \(missing) of the dataset's images (counted as finding nothing)") }
    } else {
        let workers = max(1, min(threads, data.images.count))
        let detectors = try (0..<workers).map { _ in try ObjectDetector(model: store.load(model), threshold: 0.01) }
        names = detectors[0].classes
        missScore = max(0.3, detectors[0].decoder.threshold)
        if let missing = data.classes.first(where: { !names.contains($0) }) {
            throw TrainError(message: "\(dataset): class \(missing) is not one of the model's (\(names.joined(separator: ", ")))")
        }
        let contexts = detectors.map { _ in Context(threads: 1) }
        let bar = ProgressBar(total: data.images.count, label: "eval")
        var options = DecodeOptions()
        options.applyOrientation = false  // annotations refer to the stored pixels
        let pool = WorkerPool(workers)
        let shared = ReadOnlyShared((detectors, contexts))
        let opts = options
        orderedParallel(count: data.images.count, threads: workers, work: { i -> Result<[Detection], Error> in
            Result {
                let image = try ImageCodec.decode(fileAt: data.images[i].path, options: opts).image
                let w = pool.take()
                defer { pool.give(w) }
                return shared.value.0[w].detect([image], context: shared.value.1[w])[0]
            }
        }, emit: { i, r in
            bar.advance()
            switch r {
            case .success(let d): found[i] = d
            case .failure(let e): unreadable.append("\(data.images[i].path): \(e)"); failed.insert(i)
            }
        })
        bar.finish()
    }
    let seconds = Date().timeIntervalSince(started)
    // Class-agnostic: every box is an "object", whatever its label.
    let truthNames = data.classes
    if classAgnostic { names = ["object"] }
    var evaluation = DetectionEvaluation(classNames: names)
    for (i, entry) in data.images.enumerated() {
        guard !failed.contains(i) else { continue }
        let dets = (found[i] ?? []).map { d -> Detection in
            classAgnostic ? Detection(box: d.box, classIndex: 0, label: "object", score: d.score)
                : Detection(box: d.box, classIndex: names.firstIndex(of: d.label) ?? d.classIndex, label: d.label, score: d.score)
        }
        let truth = entry.boxes.map {
            GroundTruthBox(box: Box(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1), classIndex: classAgnostic ? 0 : names.firstIndex(of: truthNames[$0.classIndex])!)
        }
        evaluation.add(image: entry.path, predictions: dets, truth: truth)
    }
    let model = predictions ?? model
    let report = evaluation.report(falsePositiveLimit: worst, missLimit: worst, missScoreThreshold: missScore)
    func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "—" }
    print("\(model) on \(dataset): \(report.images) images, \(report.groundTruthBoxes) boxes, \(unreadable.count) unreadable, "
          + String(format: "%.1f images/s", Double(report.images) / max(seconds, 1e-9)))
    print("AP@0.5 \(f(report.meanAP50))  AP@0.75 \(f(report.meanAP75))  AP@[.5:.95] \(f(report.meanAP))")
    print("class".padding(toLength: 22, withPad: " ", startingAt: 0) + "boxes  AP@0.5  AP@[.5:.95]  best F1 (at score)")
    for c in report.classes where c.groundTruth > 0 {
        let f1 = c.bestF1.map { String(format: "%.3f (%.2f)", $0.f1, $0.scoreThreshold) } ?? "—"
        print(c.name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%5d  %6@  %11@  %@", c.groundTruth, f(c.ap50), f(c.ap), f1))
    }
    if !report.worstFalsePositives.isEmpty {
        print("surest false positives (IoU 0.5):")
        for fp in report.worstFalsePositives.prefix(worst) {
            print(String(format: "  %.3f %@ %@ at [%.0f, %.0f, %.0f, %.0f] in %@", fp.score, fp.className, fp.kind.rawValue,
                         fp.box.x0, fp.box.y0, fp.box.x1, fp.box.y1, fp.image))
        }
    }
    if !report.misses.isEmpty {
        print("largest misses at score \(report.missScoreThreshold):")
        for m in report.misses.prefix(worst) {
            print(String(format: "  %@ %.0f×%.0f at [%.0f, %.0f] in %@ (best IoU %.2f)", m.className, m.box.width, m.box.height,
                         m.box.x0, m.box.y0, m.image, m.bestIoU))
        }
    }
    for u in unreadable { printError("unreadable: \(u)") }
    guard let out else { return }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    try writeAtomically(try enc.encode(report), to: out + "/summary.json")
    var rows = ["class,boxes,predictions,ap50,ap75,ap,best_f1,best_f1_score"]
    for c in report.classes {
        let f1: String = c.bestF1.map { String(format: "%.4f", $0.f1) } ?? ""
        let at: String = c.bestF1.map { String(format: "%.4f", Double($0.scoreThreshold)) } ?? ""
        let cells: [String] = [c.name, String(c.groundTruth), String(c.predictions), f(c.ap50), f(c.ap75), f(c.ap), f1, at]
        rows.append(cells.map(RecordWriter.csvEscape).joined(separator: ","))
    }
    try writeAtomically(Data((rows.joined(separator: "\n") + "\n").utf8), to: out + "/per_class.csv")
    let curves = evaluation.precisionRecallCurves(iou: 0.5).enumerated().compactMap { (k, pts) -> (name: String, points: [(recall: Double, precision: Double)])? in
        report.classes[k].groundTruth > 0 ? (names[k], pts.map { (recall: $0.recall, precision: $0.precision) }) : nil
    }
    try writeAtomically(Data(try ImageCodec.encodePNG(PrecisionRecallChart.render(curves: curves, size: (640, 480)))), to: out + "/pr.png")
    printError("wrote \(out)/summary.json, per_class.csv, pr.png")
}

/// Detection records as the pipelines' write stage makes them (JSONL: one object per image
/// with `path`, `status`, `error` and `regions` of `label`, `score` and `box` [x0, y0, x1, y1]).
enum DetectionRecords {
    struct Record {
        var path: String
        var error: String?
        var regions: [(box: Box, label: String, score: Float)]
    }

    static func read(_ path: String) throws -> [Record] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw TrainError(message: "\(path): cannot read") }
        var out: [Record] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any], let p = o["path"] as? String else {
                throw TrainError(message: "\(path):\(n + 1): not a record with a path (expected the JSONL of a pipeline's write stage)")
            }
            var regions: [(Box, String, Float)] = []
            for r in (o["regions"] as? [[String: Any]]) ?? [] {
                guard let b = r["box"] as? [Double], b.count == 4 else { throw TrainError(message: "\(path):\(n + 1): a region without a box") }
                let score = (r["score"] as? Double) ?? 1
                regions.append((Box(x0: b[0], y0: b[1], x1: b[2], y1: b[3]), (r["label"] as? String) ?? "", Float(score)))
            }
            out.append(Record(path: p, error: o["error"] as? String, regions: regions))
        }
        return out
    }
}
