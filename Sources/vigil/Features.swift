import ArgumentParser
import Checkpoint
import Foundation
import Jobs
import Inference
import TensorCore
import Zoo

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export feature vectors from any named layer, for other tools.",
        discussion: """
        Default layer: the globally pooled penultimate features (e.g. 1280 values for \
        MobileNetV2). --layer picks another (see --list-layers); a spatial output is pooled \
        over height and width (--pool avg|max) or flattened in (h, w, c) order (--pool none).

        Output: OUT.npy, float32 (N, D), one row per file that decoded, written row by row so \
        the matrix is never held in memory; and OUT.npy.csv mapping rows to files (failed files \
        are listed with their error and no row). Exit status 1 when any file failed.

        In Python:
          import numpy as np, csv
          X = np.load("features.npy")                      # (N, D) float32
          rows = [r for r in csv.DictReader(open("features.npy.csv")) if r["row"]]
          paths = [r["path"] for r in rows]                # paths[i] is X[i]
        """
    )

    @Argument(help: "Image files or folders.")
    var inputs: [String] = []

    @Option(help: "A zoo name with imported pretrained weights, or a .safetensors checkpoint.")
    var model = "mobilenet_v2"

    @Option(help: "Full dotted layer name (default: the pooled penultimate layer).")
    var layer: String?

    @Option(help: "Spatial pooling for 4-D outputs: avg, max or none.")
    var pool = "avg"

    @Flag(help: "Scale every vector to unit L2 norm.")
    var l2 = false

    @Option(name: .shortAndLong, help: "Output .npy path.")
    var output = "features.npy"

    @Option(help: "Threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var cache: ModelCacheOption

    @Flag(help: "Print the layer names --layer accepts, and exit.")
    var listLayers = false

    func validate() throws {
        if !["avg", "max", "none"].contains(pool) { throw ValidationError("--pool must be avg, max or none") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if inputs.isEmpty && !listLayers { throw ValidationError("give files or folders") }
    }

    func run() throws {
        let store = cache.store
        var replicas: [Model] = []
        var files: [FileWalker.Entry] = []
        let target: String
        do {
            for _ in 0..<(listLayers ? 1 : threads) {
                let m = try store.load(model)
                m.network.fuseForInference()
                replicas.append(m)
            }
            if listLayers {
                print(replicas[0].featureLayerNames.joined(separator: "\n"))
                return
            }
            guard let t = layer ?? replicas[0].defaultFeatureLayer else { throw ValidationError("the model has no pooled layer; pass --layer") }
            guard replicas[0].featureLayerNames.contains(t) else {
                throw ValidationError("no layer \(t) (see --list-layers; BatchNorm and activations folded by inference fusion disappear)")
            }
            target = t
            for input in inputs { files += try FileWalker().files(under: input) }
        } catch let e as ValidationError {
            throw e
        } catch {
            printError("vigil features: \(error)")
            throw ExitCode.jobFailed
        }
        let pool = self.pool, l2 = self.l2
        let forward: @Sendable (Model, Context, Tensor) -> Tensor = { m, ctx, x in
            FeatureMaps.reduce(m.forward(x, upTo: target, context: ctx)!, pool: pool, l2: l2)
        }
        var writer: NpyRowWriter?
        var manifest = "row,path,status,error\n"
        var failed = 0
        do {
            try BatchedInference(replicas: replicas, files: files).run(forward: forward, progress: ProgressBar(total: files.count, label: "features")) { entry, result in
                switch result {
                case .success(let row):
                    if writer == nil { writer = try NpyRowWriter(path: output, width: row.count) }
                    manifest += "\(writer!.rows),\(RecordWriter.csvEscape(entry.relativePath)),ok,\n"
                    writer!.append(row)
                case .failure(let f):
                    failed += 1
                    manifest += ",\(RecordWriter.csvEscape(entry.relativePath)),error,\(RecordWriter.csvEscape(f.reason))\n"
                }
            }
            try writer?.finish()
            try writeAtomically(Data(manifest.utf8), to: output + ".csv")
        } catch {
            printError("vigil features: \(error)")
            throw ExitCode.jobFailed
        }
        printError("wrote \(writer?.rows ?? 0) × \(writer?.width ?? 0) features from \(target) to \(output) (+ \(output).csv); \(failed) files failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
