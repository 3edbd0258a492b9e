import Foundation
import Augment
import Inference

/// A pipeline file turned into stages and checked: every parameter typed and in range, every
/// model and data file loaded, and the order of the stages able to work — all before any
/// image is read. Errors name the file, the line and the key.
public final class Plan {
    public let file: PipelineFile
    public let stages: [Stage]
    /// What arrives after each stage (`flows[i]` is the output of `stages[i]`).
    public let flows: [Flow]
    public let environment: StageEnvironment

    /// Every stage kind, with one line on what it does (for `vigil pipeline --help`).
    public static let stageKinds: [(String, String)] = [
        ("decode", "file bytes → image (PNG, JPEG); broken files become error records"),
        ("video", "video files → frames every N frames or T seconds, with timestamps"),
        ("preprocess", "image → network input (a model's own, or size/resize/mean/std)"),
        ("tile", "sliding windows over the image, as regions"),
        ("propose", "regions by colour (HSV ranges) and shape (area, aspect, fill)"),
        ("detect", "a detection model: labelled boxes with scores in the whole image"),
        ("classify", "a classifier on the whole image (top-k), or on every region's crop"),
        ("features", "a feature vector from any layer, pooled"),
        ("explain", "Grad-CAM heat map of where the classifier looked"),
        ("anomaly", "anomaly score, OK/NG verdict, map and defect boxes from a model fitted on good parts"),
        ("filter", "keep regions by score, class and size (also: threshold)"),
        ("nms", "non-maximum suppression of overlapping boxes, per class"),
        ("merge", "same-class tile regions that touch become one box"),
        ("annotate", "boxes, labels, scores and heat maps drawn, written as JPEG/PNG"),
        ("write", "records: JSONL or CSV (or the classification table), .npy features"),
    ]

    /// `extraSinks` receive every item after the file's own stages (a command's in-memory consumer).
    public init(file: PipelineFile, environment env: StageEnvironment, extraSinks: [SinkStage] = []) throws {
        self.file = file
        environment = env
        var stages: [Stage] = []
        for entry in file.stages {
            let r = ParameterReader(file: file.path, entry: entry)
            let s: Stage
            switch entry.kind {
            case "decode": s = try DecodeStage(r)
            case "video": s = try VideoStage(r)
            case "preprocess": s = try PreprocessStage(r, env: env)
            case "tile": s = try TileStage(r)
            case "propose": s = try ProposeStage(r)
            case "classify": s = try ClassifyStage(r, env: env)
            case "features": s = try FeaturesStage(r, env: env)
            case "explain":
                let e = try ExplainStage(r, env: env)
                if e.spec == nil { try e.load(defaultSpec: (stages.last { $0 is ClassifyStage } as? ClassifyStage)?.replicas.spec) }
                s = e
            case "filter", "threshold": s = try FilterStage(r, kind: entry.kind)
            case "nms": s = try NMSStage(r)
            case "merge": s = try MergeStage(r)
            case "annotate": s = try AnnotateStage(r, env: env)
            case "write": s = try WriteStage(r, env: env)
            case "anomaly": s = try AnomalyStage(r, env: env)
            case "detect": s = try DetectStage(r, env: env)
            default:
                throw PipelineError(file: file.path, line: entry.line, key: "stages[\(entry.index)]",
                                    reason: "unknown stage \(entry.kind) (stages: \(Self.stageKinds.map(\.0).joined(separator: ", ")))")
            }
            stages.append(s)
        }
        stages += extraSinks as [Stage]
        func reader(_ i: Int) -> ParameterReader {
            let entry = i < file.stages.count ? file.stages[i]
                : PipelineFile.StageEntry(kind: stages[i].kind, parameters: .mapping(.init([])), line: nil, index: i)
            return ParameterReader(file: file.path, entry: entry)
        }
        // Order: sources (decode, video) first and once each, then the rest as written.
        for (i, s) in stages.enumerated() where s is DecodeStage || s is VideoStage {
            if let j = stages[..<i].firstIndex(where: { !($0 is DecodeStage || $0 is VideoStage) }) {
                throw reader(i).fail(nil, "must come before \(stages[j].kind): decode and video are where items come from")
            }
            if stages[..<i].contains(where: { $0.kind == s.kind }) { throw reader(i).fail(nil, "appears twice") }
        }
        var flow = Flow()
        var flows: [Flow] = []
        for (i, s) in stages.enumerated() {
            do { try s.check(&flow) } catch let e as ParameterError { throw reader(i).fail(e) }
            flows.append(flow)
        }
        guard stages.contains(where: { $0 is DecodeStage }) || stages.contains(where: { $0 is VideoStage }) else {
            throw PipelineError(file: file.path, line: file.stages.first?.line, key: "stages",
                                reason: "nothing reads the inputs: start with decode (images) and/or video (video files)")
        }
        if !stages.contains(where: { $0 is SinkStage || $0 is AnnotateStage }) {
            throw PipelineError(file: file.path, line: file.stages.last?.line, key: "stages",
                                reason: "the pipeline writes nothing: end with write (records) or annotate (images)")
        }
        // JPEGs may decode at a reduced DCT scale when only a network input is ever made from them.
        let needsPixels = stages.contains { $0 is TileStage || $0 is ProposeStage || $0 is AnnotateStage || $0 is ExplainStage || $0 is AnomalyStage }
        if !needsPixels, let decode = stages.first(where: { $0 is DecodeStage }) as? DecodeStage {
            let first = stages.lazy.compactMap { s -> ModelInputProvider? in s as? ModelInputProvider }.first
            if let input = first?.modelInput { decode.reduce(for: input.decodeOptions) }
        }
        self.stages = stages
        self.flows = flows
    }

    public var video: VideoStage? { stages.first { $0 is VideoStage } as? VideoStage }
    public var sinks: [SinkStage] { stages.compactMap { $0 as? SinkStage } }
    /// The worker stages, in order (everything but the sinks).
    var workerStages: [Stage] { stages.filter { !($0 is SinkStage) } }

    /// `--dry-run`: each stage with what it takes and makes, its FLOPs per image and the memory
    /// it holds; then an estimate of the run's peak memory.
    public func describe(batch: Int) -> String {
        var lines: [String] = []
        lines.append("pipeline \(file.name) (\(file.path))" + (file.description.isEmpty ? "" : ": \(file.description)"))
        lines.append("outputs under \(environment.outputDirectory)/; \(environment.workers) worker(s), batches of \(batch)")
        var flow = Flow()
        var totalFlops = 0.0, modelBytes = 0
        var largestInput = 0
        for (i, s) in stages.enumerated() {
            let out = flows[i]
            let c = s.cost
            totalFlops += c.flops
            modelBytes += c.bytes
            if let inp = out.input { largestInput = max(largestInput, inp.size * inp.size * inp.channels * 4) }
            if let m = (s as? ModelInputProvider)?.modelInput { largestInput = max(largestInput, m.sliceCount * 4) }
            lines.append(String(format: "%2d. ", i + 1) + s.kind.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + s.summary)
            if let sh = s.shapes { lines.append("      " + sh) }
            lines.append("      in:  \(flow)")
            lines.append("      out: \(out)" + (c.flops > 0 ? String(format: "    %.3f GFLOPs per %@", c.flops / 1e9, out.regionsLabelled && !(flow.regionsLabelled) ? "region" : "image") : ""))
            flow = out
        }
        // Peak memory: every worker's copy of every model, a batch of decoded 1280×720 frames and
        // inputs per worker, and the activations of the largest network (≈ 6 inputs' worth).
        let frame = 1280 * 720 * 3
        let perWorker = modelBytes + batch * (frame + largestInput * 7)
        let peak = environment.workers * perWorker
        lines.append(String(format: "total: %.3f GFLOPs per image; models %.1f MB per worker; estimated peak memory %.0f MB (%d workers, 1280×720 inputs)",
                            totalFlops / 1e9, Double(modelBytes) / 1e6, Double(peak) / 1e6, environment.workers))
        return lines.joined(separator: "\n")
    }
}

/// Stages that turn an image into a network input of their own.
protocol ModelInputProvider {
    var modelInput: ModelInput? { get }
}

extension PreprocessStage: ModelInputProvider { var modelInput: ModelInput? { input } }
extension ClassifyStage: ModelInputProvider { var modelInput: ModelInput? { onRegions ? nil : replicas.input } }
extension FeaturesStage: ModelInputProvider { var modelInput: ModelInput? { replicas.input } }
