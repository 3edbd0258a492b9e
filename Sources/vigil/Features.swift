import ArgumentParser
import Checkpoint
import Foundation
import Jobs
import Inference
import TensorCore
import Pipelines
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
        // The layer is checked here so that a wrong name is a usage error (64) with the list.
        do {
            let m = try cache.store.load(model)
            m.network.fuseForInference()
            if listLayers {
                print(m.featureLayerNames.joined(separator: "\n"))
                return
            }
            guard let t = layer ?? m.defaultFeatureLayer else { throw ValidationError("the model has no pooled layer; pass --layer") }
            guard m.featureLayerNames.contains(t) else {
                throw ValidationError("no layer \(t) (see --list-layers; BatchNorm and activations folded by inference fusion disappear)")
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            printError("vigil features: \(error)")
            throw ExitCode.jobFailed
        }
        // The built-in features pipeline (pipelines/features.yaml) with this command's flags.
        var file = try PipelineFile.parse(BuiltinPipelines.features, path: "features (built in)")
        file.set("features", "model", model)
        if let layer { file.set("features", "layer", layer) }
        file.set("features", "pool", pool)
        file.set("features", "l2", l2 ? "true" : "false")
        file.set("write", "path", output)
        file.inputs = inputs
        let output = self.output
        try runBuiltin("features", file, store: cache.store, threads: threads, batch: 4, resume: false, hidden: false) { plan, summary in
            let stage = plan.stages.first { $0 is FeaturesStage } as? FeaturesStage
            let shape = (plan.sinks.first as? WriteStage)?.featureShape
            printError("wrote \(shape?.rows ?? 0) × \(shape?.width ?? 0) features from \(stage?.layer ?? "?") to \(output) (+ \(output).csv); \(summary.failed) files failed")
        }
    }
}
