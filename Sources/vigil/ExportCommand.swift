import ArgumentParser
import Checkpoint
import Export
import Foundation
import Inference
import Layers
import Zoo

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model as an ONNX file for ONNX Runtime, TensorRT, OpenVINO and other runtimes.",
        discussion: """
        MODEL is a Vigil .safetensors file (trained, fine-tuned or a detector), a zoo name with \
        imported pretrained weights, or, with --random, any zoo architecture with seeded random \
        weights (for benchmarks).

        The graph (ONNX opset 17) takes `input`, float32 NCHW (batch, channels, height, width), \
        already preprocessed as the model card says (resize, crop, mean/std: stored in the \
        file's metadata as vigil.preprocessing); the batch is free. Classifiers give `output` \
        (batch, classes) logits at the card's input size. Detectors take any height and width \
        (multiples of 16) and give (batch, classes + 4, height/8, width/8): heat-map logits, \
        then the box offsets and log sizes per cell, as `vigil detect` decodes them. \
        BatchNorms are folded into the convolutions before writing.

        Examples:
          vigil export models/detect/traffic-signs.safetensors --out signs.onnx
          vigil export resnet18 --random --seed 1 --out resnet18.onnx
        """
    )

    @Argument(help: "A .safetensors model, a pretrained zoo name, or (with --random) a zoo architecture.")
    var model: String

    @Option(help: "Output format (only onnx).")
    var format = "onnx"

    @Option(help: "Output file.")
    var out: String

    @Flag(help: "Random weights for a zoo architecture (benchmarks, tests).")
    var random = false

    @Option(help: "Seed of the random weights.")
    var seed: UInt64 = 0

    @Option(help: "Input size for a random zoo model (default: the architecture's).")
    var inputSize: Int?

    @OptionGroup var cache: ModelCacheOption

    func validate() throws {
        guard format == "onnx" else { throw ValidationError("unknown --format \(format) (supported: onnx)") }
        if inputSize != nil && !random { throw ValidationError("--input-size applies to --random zoo models; a model file carries its own") }
    }

    func run() throws {
        try runJob("vigil export") {
            let m: Model
            if random {
                guard let entry = Zoo.entry(model) else {
                    throw ValidationError("unknown architecture \(model) (known: \(Zoo.names.joined(separator: ", ")))")
                }
                var config = entry.defaultConfig
                if let inputSize { config.inputSize = inputSize }
                m = try Model(zoo: model, config: config, seed: seed)
            } else {
                m = try cache.store.load(model)
            }
            let removed = m.network.fuseForInference()
            let bytes = try ONNXExporter.export(m)
            try writeAtomically(Data(bytes), to: out)
            printError(String(format: "wrote %@: %@, %d parameters, %d BatchNorms folded, %.1f MB", out, m.card.architecture,
                              m.parameterCount, removed.batchNorms, Double(bytes.count) / 1e6))
        }
    }
}
