import Anomaly
import ArgumentParser
import Checkpoint
import Datasets
import Foundation
import ImageIO
import Inference
import Jobs
import Pipelines
import Reports
import TensorCore
import Training
import Zoo

struct AnomalyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anomaly",
        abstract: "Find defects by learning what good parts look like: fit on good images, score new ones.",
        discussion: """
        vigil anomaly fit good/ --out m.safetensors             # PatchCore on a pretrained backbone
        vigil anomaly fit mvtec/bottle --method autoencoder --out ae.safetensors
        vigil anomaly score parts/ --model m.safetensors --out out/   # score, OK/NG, heat maps, boxes
        vigil eval --task anomaly mvtec/bottle --model m.safetensors --out report/
        """,
        subcommands: [Fit.self, Score.self]
    )

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit an anomaly model on good images and set its threshold on held-out good ones.",
            discussion: """
            GOOD is a folder (or files) of good images, or an MVTec AD category folder (its \
            train/good part is used). A seeded --val-split of the good images (or --val FOLDER) is \
            held out; the decision threshold is the score that --fpr of those good images exceed, \
            and it is saved with the model.

            patchcore: 3×3-averaged features of two mid-level layers of a pretrained backbone \
            (MobileNetV2: features.6 and features.13), a greedy coreset of them within \
            --memory-mb, nearest-neighbour distances as sgemm. autoencoder: the zoo's \
            convolutional autoencoder trained on the good images; reconstruction error (or \
            --ssim) as the map.
            """
        )

        @Argument(help: "Good images: folders, files, or an MVTec AD category folder.")
        var good: [String]

        @Option(help: "patchcore or autoencoder.")
        var method = "patchcore"

        @Option(help: "Output model file (.safetensors).")
        var out: String

        @Option(help: "PatchCore backbone: a zoo name with pretrained weights, or a .safetensors checkpoint.")
        var backbone = "mobilenet_v2"

        @Option(help: "PatchCore memory-bank budget in MB.")
        var memoryMb = 2.0

        @Option(help: "Target false-positive rate on good validation images (sets the threshold).")
        var fpr = 0.05

        @Option(help: "Fraction of the good images held out for the threshold.")
        var valSplit = 0.2

        @Option(help: "A folder of good validation images instead of --val-split.")
        var val: String?

        @Option(help: "Autoencoder: epochs.")
        var epochs = 40

        @Option(help: "Input side in pixels (default: 224 for PatchCore, 128 for the autoencoder).")
        var inputSize: Int?

        @Option(help: "PatchCore: backbone layers, comma-separated (default: two mid-level blocks, e.g. features.6,features.13).")
        var layers: String?

        @Flag(help: "Autoencoder: 1 − SSIM maps instead of squared error.")
        var ssim = false

        @Option(help: "Seed for the split, the coreset and training.")
        var seed: UInt64 = 0

        @Option(name: .customLong("run-dir"), help: "Autoencoder: folder for the training run's checkpoint, metrics, curves and run.yaml (default: OUT without its extension + .run).")
        var runDir: String?

        @Flag(help: "Autoencoder: continue the run saved in --run-dir.")
        var resume = false

        @Option(help: "Threads (default: all cores).")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        @OptionGroup var cache: ModelCacheOption

        func validate() throws {
            guard ["patchcore", "autoencoder"].contains(method) else { throw ValidationError("--method must be patchcore or autoencoder") }
            guard fpr >= 0 && fpr < 1 else { throw ValidationError("--fpr must be in [0, 1)") }
            guard valSplit > 0 && valSplit < 1 else { throw ValidationError("--val-split must be in (0, 1)") }
            guard memoryMb > 0 else { throw ValidationError("--memory-mb must be positive") }
        }

        func run() throws {
            try runJob("vigil anomaly fit") {
                let started = Date()
                var paths: [String] = []
                for g in good {
                    if let d = try? AnomalyDataset.open(g), d.isMVTec { paths += d.train; continue }
                    paths += try FileWalker().files(under: g).map(\.path)
                }
                var fitPaths = paths, valPaths: [String] = []
                if let val {
                    valPaths = try FileWalker().files(under: val).map(\.path)
                } else {
                    let order = SeededShuffle.permutation(paths.count, seed: seed ^ 0x5A11)
                    let nVal = max(1, Int((Double(order.count) * valSplit).rounded()))
                    valPaths = order.prefix(nVal).map { paths[$0] }
                    fitPaths = order.dropFirst(nVal).sorted().map { paths[$0] }
                }
                guard !fitPaths.isEmpty, !valPaths.isEmpty else { throw AnomalyError(path: good.joined(separator: " "), reason: "need good images to fit on and to validate with") }
                printError("fitting \(method) on \(fitPaths.count) good images, threshold from \(valPaths.count) held-out good images at \(fpr * 100) % false positives")
                let model: AnomalyModel = method == "patchcore" ? try fitPatchCore(fitPaths, valPaths) : try fitAutoencoder(fitPaths, valPaths)
                try model.save(path: out)
                let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
                var usage = rusage()
                getrusage(RUSAGE_SELF.rawValue, &usage)
                printError(String(format: "wrote %@ (%.1f MB): threshold %.4g; fitted in %.1f s, peak memory %.0f MB", out, Double(bytes) / 1e6,
                                  model.threshold, Date().timeIntervalSince(started), Double(usage.ru_maxrss) / 1024))
            }
        }

        func fitPatchCore(_ fitPaths: [String], _ valPaths: [String]) throws -> AnomalyModel {
            var c = PatchCore.Config()
            c.backbone = backbone
            c.memoryMB = memoryMb
            c.seed = seed
            if let inputSize { c.inputSize = inputSize }
            if let layers { c.layers = layers.split(separator: ",").map(String.init) }
            let bb = try cache.store.load(backbone)
            bb.network.fuseForInference()
            let fitSet = decodeImages(fitPaths), valSet = decodeImages(valPaths)
            guard !fitSet.isEmpty, !valSet.isEmpty else { throw AnomalyError(path: good.joined(separator: " "), reason: "no readable good images to fit on or to validate with") }
            let bar = ProgressBar(total: fitSet.count, label: "features")
            defer { bar.finish() }
            return try PatchCore.fit(good: fitSet, validation: valSet, config: c, backbone: bb, fpr: fpr, threads: threads) { done, _ in
                bar.advance(by: done - bar.done)
            }
        }

        /// The autoencoder trains on the run loop; its run files go to --run-dir.
        func fitAutoencoder(_ fitPaths: [String], _ valPaths: [String]) throws -> AnomalyModel {
            var c = AutoencoderDetector.Config()
            c.epochs = epochs
            if let inputSize { c.inputSize = inputSize }
            c.ssim = ssim
            c.seed = seed
            let folder = runDir ?? ((out as NSString).deletingPathExtension + ".run")
            let loop: TrainingLoop<AutoencoderTask>
            if resume {
                let saved = try TrainingLoop<AutoencoderTask>.savedRun(folder: folder)
                let saved_c = try JSONDecoder().decode(AutoencoderDetector.Config.self, from: Data(saved.taskSettings.utf8))
                let m = try Model(metadata: saved.metadata, weights: saved.weights, path: folder + "/checkpoint.safetensors")
                let task = try AutoencoderTask(paths: fitPaths, config: saved_c, threads: threads, model: m)
                loop = try TrainingLoop(resuming: task, data: task.data, folder: folder, threads: threads)
                let s = loop.startingPoint
                printError("resuming \(folder) at epoch \(s.epoch + 1), step \(s.step)")
            } else {
                if FileManager.default.fileExists(atPath: folder + "/checkpoint.safetensors") {
                    throw TrainError(message: "\(folder) already holds a run; pass --resume to continue it or choose another --run-dir")
                }
                let task = try AutoencoderTask(paths: fitPaths, config: c, threads: threads)
                loop = try TrainingLoop(task: task, options: task.options, taskSettings: task.settingsJSON, data: task.data, folder: folder, threads: threads)
                loop.record = RunRecord(vigil: .current, task: .anomalyAutoencoder, command: "anomaly fit", arguments: CommandLine.invocation(after: "fit"),
                                        seed: seed, threads: threads, data: task.data, options: task.options, taskSettings: task.settingsJSON,
                                        architecture: "conv_autoencoder")
            }
            loop.onNote = { printError($0) }
            let t0 = Date(), n = loop.options.epochs, first = loop.startingPoint.epoch
            loop.onEpoch = { r in
                let done = Double(r.epoch - first)
                let eta = Date().timeIntervalSince(t0) / max(done, 1) * Double(n - r.epoch)
                printError(String(format: "epoch %d/%d  loss %.5f  ETA %.0f s", r.epoch, n, r["train_loss"] ?? 0, eta))
            }
            let summary = try loop.run()
            guard !summary.interrupted else { throw TrainError(message: "stopped before the end; continue with --resume") }
            printError("run files (checkpoint, metrics.csv, curves.png, run.yaml) in \(folder)")
            return try loop.task.detector(validationCount: valPaths.count, image: { try ImageCodec.decode(fileAt: valPaths[$0]).image }, fpr: fpr,
                                          context: Context(threads: threads, seed: seed), skipped: { printError("skipped \($0)") })
        }
    }

    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score images with an anomaly model: score, OK/NG, heat-map overlays, defect boxes, records.",
            discussion: """
            Runs the built-in anomaly pipeline: decode → anomaly → annotate → write. OUT gets one \
            annotated JPEG per image (the anomaly map blended in, a box around each region above \
            the threshold, the verdict in the corner) and records.jsonl (path, anomaly_score, \
            threshold, verdict, regions). Exit status 1 when an image could not be read.
            """
        )

        @Argument(help: "Image files or folders.")
        var inputs: [String]

        @Option(help: "An anomaly model file (vigil anomaly fit).")
        var model: String

        @Option(help: "Output folder.")
        var out = "anomaly"

        @Option(help: "Records format: jsonl or csv.")
        var format = "jsonl"

        @Option(help: "Override the model's threshold.")
        var threshold: Double?

        @Option(help: "Threads (default: all cores).")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        @OptionGroup var cache: ModelCacheOption

        func validate() throws {
            guard ["jsonl", "csv"].contains(format) else { throw ValidationError("--format must be jsonl or csv") }
        }

        func run() throws {
            var file = try PipelineFile.parse(BuiltinPipelines.anomaly, path: "anomaly (built in)")
            file.set("anomaly", "model", model)
            if let threshold { file.set("anomaly", "threshold", String(threshold)) }
            file.set("write", "format", format)
            file.set("write", "path", "records." + format)
            file.inputs = inputs
            let out = self.out
            try runBuiltin("anomaly score", file, store: cache.store, threads: threads, batch: 1, resume: false, hidden: false, outputDirectory: out) { plan, s in
                printError(String(format: "scored %d images in %.1f s (%.1f images/s), %d failed; annotated images and records.%@ in %@",
                                  s.items, s.seconds, Double(s.items) / max(s.seconds, 1e-9), s.failed, format, out))
            }
        }
    }
}

/// Decodes every file, reporting (and leaving out) the ones that do not decode.
func decodeImages(_ paths: [String]) -> [Image] {
    paths.compactMap { p in
        do { return try ImageCodec.decode(fileAt: p).image } catch {
            printError("skipped \(error)")  // the error names the file
            return nil
        }
    }
}

/// `vigil eval --task anomaly`.
func evaluateAnomaly(dataset: String, model: String, out: String?, threads: Int, store: ModelStore) throws {
    let data = try AnomalyDataset.open(dataset)
    let models = try (0..<max(1, threads)).map { _ in try AnomalyModels.load(path: model, store: store) }
    let bar = ProgressBar(total: data.test.count, label: "eval")
    let r = try AnomalyEvaluation.run(models: models, data: data) { done, _ in bar.advance(by: done - bar.done) }
    bar.finish()
    func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "—" }
    print("\(r.method) on \(dataset): \(r.images) images (\(r.good) good, \(r.defective) defective), \(r.unreadable.count) unreadable")
    print("image AUROC \(f(r.imageAUROC))  pixel AUROC \(f(r.pixelAUROC))  at threshold \(r.threshold): precision \(f(r.precision)) recall \(f(r.recall)) F1 \(f(r.f1))")
    print("defect".padding(toLength: 16, withPad: " ", startingAt: 0) + " images  image AUROC  pixel AUROC  recall")
    for d in r.perDefect {
        print(d.defect.padding(toLength: 16, withPad: " ", startingAt: 0) + String(format: " %6d  %11@  %11@  %6@", d.images, f(d.imageAUROC), f(d.pixelAUROC), f(d.recall)))
    }
    for u in r.unreadable { printError("unreadable: \(u)") }
    guard let out else { return }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    try writeAtomically(try enc.encode(r), to: out + "/summary.json")
    try writeAtomically(Data(((["path,defect,score"] + r.scores.map { $0.map(RecordWriter.csvEscape).joined(separator: ",") }).joined(separator: "\n") + "\n").utf8), to: out + "/scores.csv")
    let chart = LineChart.render(panels: [LineChart.Panel(title: String(format: "%@: image ROC, AUROC %.3f", r.method, r.imageAUROC), xLabel: "false-positive rate",
                                                          yLabel: "true-positive rate", series: [LineChart.Series(name: "ROC", points: r.roc.map { ($0[0], $0[1]) })])])
    try writeAtomically(Data(try ImageCodec.encodePNG(chart)), to: out + "/roc.png")
    printError("wrote \(out)/summary.json, scores.csv, roc.png")
}
