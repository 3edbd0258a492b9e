import Foundation
import Inference
import Zoo

/// What is known about every item at one point of a pipeline, for checking the stage order
/// before any image is read.
public struct Flow: CustomStringConvertible {
    public var image = false
    /// The network input `preprocess` made: side and channels.
    public var input: (size: Int, channels: Int)?
    /// Where the regions came from, when there are any.
    public var regions: Region.Origin?
    /// Regions carry class labels and scores (after `classify` on them, or a detector).
    public var regionsLabelled = false
    public var classification = false
    /// Feature width, when known.
    public var features: Int?
    public var heatmap = false
    /// Items carry an anomaly score and verdict.
    public var anomaly = false
    /// Top-k of the last whole-image classifier (for records).
    public var topK = 0

    public init() {}

    public var description: String {
        var parts: [String] = []
        if image { parts.append("image (H, W, 3)") }
        if let i = input { parts.append("input (1, \(i.size), \(i.size), \(i.channels))") }
        if let r = regions { parts.append(regionsLabelled ? "labelled \(r.rawValue) boxes" : "\(r.rawValue) boxes") }
        if classification { parts.append("top-\(topK) classes") }
        if let f = features { parts.append("features (1, \(f))") }
        if heatmap { parts.append("heat map") }
        if anomaly { parts.append("anomaly score, OK/NG") }
        return parts.isEmpty ? "—" : parts.joined(separator: ", ")
    }
}

/// What building a stage may use.
public struct StageEnvironment {
    /// The pretrained-model cache that zoo names resolve in.
    public var store: ModelStore
    /// Folder that relative output paths resolve against.
    public var outputDirectory: String
    /// Folder that relative model and data paths in the file resolve against (the file's folder,
    /// then the working directory).
    public var baseDirectories: [String]
    /// Worker threads, each with its own copy of every model.
    public var workers: Int
    public var resume: Bool
    /// Building for `check` or `--dry-run`: load models once, open no output files.
    public var planOnly: Bool

    public init(store: ModelStore, outputDirectory: String, baseDirectories: [String], workers: Int, resume: Bool, planOnly: Bool) {
        self.store = store
        self.outputDirectory = outputDirectory
        self.baseDirectories = baseDirectories
        self.workers = workers
        self.resume = resume
        self.planOnly = planOnly
    }

    /// A model or data path as written in the file: absolute, relative to the file's folder or
    /// the working directory, or a zoo name (returned as is).
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") || path.hasPrefix("~") { return (path as NSString).expandingTildeInPath }
        for base in baseDirectories {
            let p = base.isEmpty ? path : base + "/" + path
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return path
    }

    /// One model per worker (one with `planOnly`), fused for inference when `fuse`: loaded
    /// once, the others replicas sharing its weights.
    public func loadReplicas(_ spec: String, fuse: Bool = true) throws -> [Model] {
        let path = resolve(spec)
        // One load; the other workers get replicas that share its weights.
        let m = try store.load(path)
        if fuse { m.network.fuseForInference() }
        var all = [m]
        for _ in 1..<(planOnly ? 1 : max(workers, 1)) { all.append(try m.replica(fused: fuse)) }
        return all
    }

    public func outputPath(_ p: String) -> String {
        p.hasPrefix("/") || p == "-" ? p : (outputDirectory as NSString).appendingPathComponent(p)
    }
}

/// One step of a pipeline. Stages are built from their parameters, checked against the
/// flow before they run, and then process batches of items on worker threads.
public protocol Stage: AnyObject {
    var kind: String { get }
    /// Checks that the stage can take what arrives and records what it adds. Throws a
    /// `ParameterError` naming the key at fault (nil: the stage's place in the order).
    func check(_ flow: inout Flow) throws
    /// Works on one batch of items in input order, on worker `worker` (0 ..< workers).
    /// Items that failed (`error != nil`) are passed through untouched.
    func process(_ items: inout [PipelineItem], worker: Int) throws
    /// For `--dry-run`: FLOPs per item (2 × multiply-adds) and bytes it holds (models).
    var cost: (flops: Double, bytes: Int) { get }
    /// One line on what it does with its parameters.
    var summary: String { get }
    /// For `--dry-run`: the network's input and output shapes, for stages that run one.
    var shapes: String? { get }
}

/// A stage that receives every item once, in input order, on one thread (record writers).
public protocol SinkStage: Stage {
    /// Item keys already written by an earlier run (`--resume`).
    var done: Set<String> { get }
    func emit(_ item: PipelineItem) throws
    /// Completes the outputs (renames temporary files into place).
    func finish() throws
}

extension Stage {
    public var cost: (flops: Double, bytes: Int) { (0, 0) }
    public var shapes: String? { nil }
    public func process(_ items: inout [PipelineItem], worker: Int) throws {}
}

extension Model {
    /// Bytes of parameters and buffers.
    var parameterBytes: Int { network.namedParameters().reduce(0) { $0 + $1.parameter.value.count * 4 } }
}
