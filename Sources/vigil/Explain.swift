import ArgumentParser
import Foundation
import Pipelines

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show where a classifier looked: Grad-CAM heat maps over the images.",
        discussion: """
        Runs the built-in explain pipeline (pipelines/explain.yaml): each image's top classes, \
        a Grad-CAM map of the last convolutional block for the top class (or --class), blended \
        over the picture and written as OUT/<image path>.jpg, and one JSONL record per image in \
        OUT/explain.jsonl. The network sees the centre crop its preprocessing makes; outside it \
        the map is empty.

        Examples:
          vigil explain photos/ --out explain/
          vigil explain cat.jpg --class "tabby cat" --model mobilenet_v2
          vigil explain parts/ --model runs/parts/best.safetensors --class scratch
        """
    )

    @Argument(help: "Image files or folders.")
    var inputs: [String]

    @Option(help: "A zoo name with imported pretrained weights, or a .safetensors checkpoint.")
    var model = "mobilenet_v2"

    @Option(name: .customLong("class"), help: "Explain this class (a label of the model) instead of each image's top class.")
    var className: String?

    @Option(help: "The layer to explain (default: the last convolutional block).")
    var layer: String?

    @Option(help: "Output folder.")
    var out = "explain"

    @Option(help: "Worker threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var cache: ModelCacheOption

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var file = try PipelineFile.parse(BuiltinPipelines.explain, path: "explain (built in)")
        file.set("classify", "model", model)
        if let className { file.set("explain", "class", className) }
        if let layer { file.set("explain", "layer", layer) }
        file.inputs = inputs
        let out = self.out
        try runBuiltin("explain", file, store: cache.store, threads: threads, batch: 1, resume: false, hidden: false, outputDirectory: out) { _, summary in
            printError(String(format: "explained %d images in %.1f s, %d failed; heat maps and explain.jsonl in %@", summary.items, summary.seconds, summary.failed, out))
        }
    }
}
