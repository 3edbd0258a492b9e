import ArgumentParser
import Checkpoint
import Datasets
import Foundation
import ImageIO
import Jobs
import Reports
import Inference
import Pipelines
import Zoo

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model on a labelled dataset: accuracy, top-k, per-class precision/recall/F1, confusion.",
        discussion: """
        DATASET is a folder with one subfolder per class, a CSV/TSV file of path,label rows, a \
        folder with train/ (val/, test/) parts, or a folder of IDX files such as Debian's \
        /usr/share/datasets/fashion-mnist; --split picks the part (default: test when there is \
        one, else val, else everything). Every dataset class must be one of the model's labels \
        (matched by name). Predictions of other labels count as wrong ("other" in the confusion \
        matrix).

        With --out DIR: summary.json (for scripts), per_class.csv, confusion.csv, confusion.png \
        (a heat map with class names, rows normalised) and worst.csv (the misclassified files \
        the model was surest about).

        --task anomaly measures an anomaly model (vigil anomaly fit) on an MVTec AD folder \
        (test/good, test/<defect>, ground_truth/<defect>/*_mask.png) or good/ + defect folders: \
        image-level AUROC, pixel-level AUROC (with masks), precision, recall and F1 at the \
        model's saved threshold, per defect type; with --out: summary.json, scores.csv, roc.png.

        --task detect measures a detection model (vigil train-detect) on a box dataset (COCO, \
        YOLO or Pascal VOC): AP@0.5, AP@0.75 and COCO AP@[.5:.95] per class and overall, the \
        best-F1 score threshold per class, the surest false positives (each called a duplicate, \
        class confusion, poor localisation or background) and the largest misses; with --out: \
        summary.json, per_class.csv and pr.png (precision–recall curves at IoU 0.5). \
        --predictions scores the records of any pipeline instead (e.g. colour proposals and a \
        crop classifier), matched to the dataset's images by path; --class-agnostic counts \
        every box as one class.
        """
    )

    @Argument(help: "Class-subfolder folder, CSV/TSV label file, train/val/test folder, or IDX folder.")
    var dataset: String

    @Option(help: "classify (a classifier on labelled images), anomaly (an anomaly model on good/defective parts) or detect (a detector on boxes).")
    var task = "classify"

    @Option(help: "Part to score: auto, train, val or test.")
    var split = "auto"

    @Option(help: "A zoo name with imported pretrained weights, or a .safetensors checkpoint.")
    var model = "mobilenet_v2"

    @Option(name: .customLong("top-k"), help: "k for top-k accuracy.")
    var topK = 5

    @Option(help: "Folder for summary.json, per_class.csv, confusion.csv, confusion.png, worst.csv.")
    var out: String?

    @Option(help: "Misclassified files listed.")
    var worst = 10

    @Option(help: "detect: score these records (the JSONL of any pipeline's write stage) instead of running --model.")
    var predictions: String?

    @Flag(name: .customLong("class-agnostic"), help: "detect: one class for every box (does it find the objects, whatever it calls them).")
    var classAgnostic = false

    @Option(help: "Threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var cache: ModelCacheOption

    func validate() throws {
        guard ["auto", "train", "val", "test"].contains(split) else { throw ValidationError("--split must be auto, train, val or test") }
        guard ["classify", "anomaly", "detect"].contains(task) else { throw ValidationError("--task must be classify, anomaly or detect") }
    }

    func run() throws {
        if task == "detect" {
            try runJob("vigil eval") { try evaluateDetection(dataset: dataset, model: model, predictions: predictions, classAgnostic: classAgnostic,
                                                              out: out, threads: threads, worst: worst, store: cache.store) }
            return
        }
        if task == "anomaly" {
            try runJob("vigil eval") { try evaluateAnomaly(dataset: dataset, model: model, out: out, threads: threads, store: cache.store) }
            return
        }
        let store = cache.store
        var replicas: [Model] = []
        let data: any Dataset
        let inMemory: Bool
        var labelIndex: [Int] = []
        do {
            let source = try DatasetSource.open(dataset)
            inMemory = source.kind == "idx"
            switch split {
            case "train": data = source.train
            case "val":
                guard let v = source.validation else { throw DatasetError(path: dataset, reason: "no val/ part") }
                data = v
            case "test":
                guard let t = source.test else { throw DatasetError(path: dataset, reason: "no test part") }
                data = t
            default: data = source.test ?? source.validation ?? source.train
            }
            // In-memory data: this model with threaded kernels; files: the classify pipeline.
            do {  // one copy for the labels; the pipeline loads its own per worker
                let m = try store.load(model)
                m.network.fuseForInference()
                replicas.append(m)
            }
            let labels = replicas[0].card.labels
            let missing = data.classes.filter { !labels.contains($0) }
            guard missing.isEmpty else {
                throw DatasetError(path: dataset, reason: "classes not among the model's labels: \(missing.prefix(5).joined(separator: ", "))")
            }
            labelIndex = data.classes.map { labels.firstIndex(of: $0)! }
        } catch {
            printError("vigil eval: \(error)")
            throw ExitCode.jobFailed
        }
        let files = (0..<data.count).map { FileWalker.Entry(path: data.name($0), relativePath: data.name($0)) }
        let truthOf = Dictionary(uniqueKeysWithValues: (0..<data.count).map { (data.name($0), data.label($0)) })
        let modelToDataset = Dictionary(uniqueKeysWithValues: labelIndex.enumerated().map { ($1, $0) })
        var metrics = ClassificationMetrics(classes: data.classes)
        var wrong: [(path: String, truth: String, predicted: String, score: Float)] = []
        var failed: [String] = []
        let k = max(topK, 1)
        do {
            let bar = ProgressBar(total: files.count, label: "eval")
            let record: (Classification) throws -> Void = { c in
                guard c.error == nil, let best = c.top.first else { failed.append("\(c.path): \(c.error ?? "no output")"); return }
                let truth = truthOf[c.path]!
                let predicted = modelToDataset[best.index]
                metrics.add(truth: truth, predicted: predicted, inTopK: c.top.contains { $0.index == labelIndex[truth] })
                if predicted != truth { wrong.append((c.path, data.classes[truth], best.label, best.score)) }
            }
            if inMemory {
                try DatasetClassifier.run(model: replicas[0], data: data, topK: k, threads: threads, progress: bar, report: record)
            } else {
                // Files go through the built-in classify pipeline, as `vigil classify` runs it.
                var file = try PipelineFile.parse(BuiltinPipelines.classify, path: "classify (built in)")
                file.set("classify", "model", model)
                file.set("classify", "top_k", String(k))
                file.stages.removeAll { $0.kind == "write" }
                let sink = CallbackSink { item in
                    try record(Classification(path: item.source, top: item.top, error: item.error))
                    bar.advance()
                }
                let plan = try Plan(file: file, environment: StageEnvironment(store: store, outputDirectory: ".", baseDirectories: [""],
                                                                            workers: threads, resume: false, planOnly: false), extraSinks: [sink])
                let run = PipelineRun(plan: plan)
                run.progress = false
                _ = try run.run(files: files)
            }
            bar.finish()
        } catch {
            printError("vigil eval: \(error)")
            throw ExitCode.jobFailed
        }
        wrong.sort { $0.score > $1.score }
        let (macro, weighted) = metrics.averages
        print(String(format: "accuracy %.4f  top-%d %.4f  (%d images, %d could not be read)", metrics.accuracy, topK, metrics.topKAccuracy,
                     metrics.total, failed.count))
        print(padded("class", 24) + " precision  recall      f1  support")
        for r in metrics.perClass { print(padded(r.name, 24) + String(format: " %9.3f %7.3f %7.3f %8d", r.precision, r.recall, r.f1, r.support)) }
        print(padded("macro avg", 24) + String(format: " %9.3f %7.3f %7.3f", macro.0, macro.1, macro.2))
        print(padded("weighted avg", 24) + String(format: " %9.3f %7.3f %7.3f", weighted.0, weighted.1, weighted.2))
        if data.classes.count <= 20 {
            print("\nconfusion (rows: truth, columns: prediction)")
            print(padded("", 16) + (data.classes + ["other"]).map { padded(String($0.prefix(10)), 11) }.joined())
            for (i, row) in metrics.confusion.enumerated() {
                print(padded(String(data.classes[i].prefix(15)), 16) + row.map { padded(String($0), 11) }.joined())
            }
        }
        if !wrong.isEmpty {
            print("\nmost confident mistakes:")
            for w in wrong.prefix(worst) { print(String(format: "  %@: %@ → %@ (%.1f%%)", w.path as NSString, w.truth as NSString, w.predicted as NSString, w.score * 100)) }
        }
        for f in failed { printError("skipped \(f)") }
        guard let out else { return }
        do {
            let summary: [String: Any] = [
                "model": replicas[0].card.architecture, "dataset": dataset, "images": metrics.total, "unreadable": failed.count,
                "accuracy": metrics.accuracy, "top_k": topK, "top_k_accuracy": metrics.topKAccuracy,
                "macro": ["precision": macro.0, "recall": macro.1, "f1": macro.2],
                "weighted": ["precision": weighted.0, "recall": weighted.1, "f1": weighted.2],
                "per_class": metrics.perClass.map { ["class": $0.name, "precision": $0.precision, "recall": $0.recall, "f1": $0.f1, "support": $0.support] },
            ]
            try writeAtomically(JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys]), to: out + "/summary.json")
            var per = "class,precision,recall,f1,support\n"
            for r in metrics.perClass { per += "\(RecordWriter.csvEscape(r.name)),\(r.precision),\(r.recall),\(r.f1),\(r.support)\n" }
            try writeAtomically(Data(per.utf8), to: out + "/per_class.csv")
            var conf = "truth," + (data.classes + ["other"]).map(RecordWriter.csvEscape).joined(separator: ",") + "\n"
            for (i, row) in metrics.confusion.enumerated() { conf += RecordWriter.csvEscape(data.classes[i]) + "," + row.map(String.init).joined(separator: ",") + "\n" }
            try writeAtomically(Data(conf.utf8), to: out + "/confusion.csv")
            let heat = ConfusionHeatMap.render(rowLabels: data.classes, columnLabels: data.classes + ["other"], counts: metrics.confusion,
                                               title: String(format: "%@ on %@: accuracy %.2f%%", replicas[0].card.architecture as NSString,
                                                             (dataset as NSString).lastPathComponent as NSString, metrics.accuracy * 100))
            try writeAtomically(Data(try ImageCodec.encodePNG(heat)), to: out + "/confusion.png")
            var worstCSV = "path,truth,predicted,score\n"
            for w in wrong.prefix(worst) { worstCSV += "\(RecordWriter.csvEscape(w.path)),\(RecordWriter.csvEscape(w.truth)),\(RecordWriter.csvEscape(w.predicted)),\(w.score)\n" }
            try writeAtomically(Data(worstCSV.utf8), to: out + "/worst.csv")
        } catch {
            printError("vigil eval: \(error)")
            throw ExitCode.jobFailed
        }
    }
}
