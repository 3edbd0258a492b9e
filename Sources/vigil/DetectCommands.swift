import ArgumentParser
import Checkpoint
import Datasets
import Detection
import Foundation
import ImageIO
import Inference
import Pipelines
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
                o.optimizer = "adamw"
                o.learningRate = lr
                o.weightDecay = weightDecay
                o.schedule = "cosine"
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
            }
            let summary = try trainer.run()
            if summary.interrupted { printError("stopped after --max-steps; resume with --resume") }
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
