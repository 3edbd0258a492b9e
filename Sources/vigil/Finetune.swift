import ArgumentParser
import Checkpoint
import Datasets
import Foundation
import Training
import Zoo

struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a pretrained network on your own labels (transfer learning).",
        discussion: """
        MODEL is a zoo name with imported ImageNet weights (mobilenet_v2, efficientnet_lite0), \
        a Vigil .safetensors checkpoint, or a PyTorch .pth state dict (give --arch). Its last \
        linear layer is replaced by a new one with an output per class of DATASET (same dataset \
        forms as vigil train).

        Modes:
          --freeze backbone        train the new head only. Without --augment the backbone's \
        features are computed once and the head trains on them: seconds, not minutes.
          --unfreeze-from LAYER    train LAYER and everything after it (names: vigil features \
        --list-layers --model MODEL); earlier layers stay frozen.
          (neither)                train everything, the backbone at --backbone-lr-scale × the \
        head's learning rate.
        Frozen layers keep their BatchNorms on the pretrained running statistics; --freeze-bn \
        does that for every BatchNorm.

        The output models carry the new labels and the base model's preprocessing: \
        `vigil classify --model OUT/best.safetensors photos/` needs no other flag.

        Examples:
          vigil finetune parts/ --from mobilenet_v2 --freeze backbone --out runs/parts-head
          vigil finetune parts/ --from mobilenet_v2 --epochs 5 --lr 3e-4 --out runs/parts-full
          vigil finetune parts/ --from mobilenet_v2 --unfreeze-from features.14 --out runs/parts-top
          vigil finetune tiles/ --from mobilenet_v2 --into mobilenet_v2_s16 --input-size 64 --out runs/tiles
        """
    )

    @Argument(help: "Class-subfolder folder, train/val/test folder, CSV/TSV label file, or IDX folder.")
    var dataset: String

    @Option(help: "Pretrained zoo name, .safetensors checkpoint or .pth file.")
    var from = "mobilenet_v2"

    @Option(help: "Architecture of a .pth file.")
    var arch: String?

    @Option(help: "Build the new model as this zoo architecture, copying what it shares with the base (e.g. mobilenet_v2_s16: MobileNetV2 cut at stride 16, a small crop/tile classifier).")
    var into: String?

    @Option(name: .customLong("input-size"), help: "With --into: the square input side (stretched), instead of the architecture's.")
    var inputSize: Int?

    @Option(help: "backbone: train the new head only; none: train everything.")
    var freeze = "none"

    @Option(name: .customLong("unfreeze-from"), help: "Train this layer and all after it.")
    var unfreezeFrom: String?

    @Option(name: .customLong("backbone-lr-scale"), help: "Backbone learning rate as a fraction of the head's.")
    var backboneLRScale: Float = 0.1

    @Flag(name: .customLong("freeze-bn"), help: "Keep every BatchNorm on its running statistics.")
    var freezeBN = false

    @OptionGroup var cache: ModelCacheOption

    @OptionGroup var flags: TrainingFlags

    func validate() throws {
        guard ["backbone", "none"].contains(freeze) else { throw ValidationError("--freeze must be backbone or none") }
        if freeze == "backbone" && unfreezeFrom != nil { throw ValidationError("--freeze backbone and --unfreeze-from exclude each other") }
        if let arch, Zoo.entry(arch) == nil { throw ValidationError("unknown --arch \(arch)") }
        if let into, Zoo.entry(into) == nil || into == "mobilenet_v2_detect" { throw ValidationError("--into \(into): not a zoo classifier (\(Zoo.names.joined(separator: ", ")))") }
        if inputSize != nil && into == nil { throw ValidationError("--input-size goes with --into") }
        if let inputSize, inputSize < 16 { throw ValidationError("--input-size must be at least 16") }
    }

    func run() throws {
        try runJob("vigil finetune") {
            let source = try DatasetSource.open(dataset)
            var options = try flags.options(epochs: 10, batch: 32, optimizer: .adamw, lr: 1e-3, weightDecay: 0.01)
            var model: Model?
            if !flags.resume {
                let base = try FineTune.loadBase(from, arch: arch, store: cache.store)
                let (m, headLayer, headParameters) = try FineTune.withNewHead(base, classes: source.train.classes, seed: options.seed, architecture: into)
                if let inputSize {
                    m.card.config.inputSize = inputSize
                    m.card.preprocessing.inputSize = inputSize
                    m.card.preprocessing.resizeTo = inputSize
                }
                m.card.provenance.data = dataset
                options.headParameters = headParameters
                options.freezeBatchNorm = freezeBN
                if freeze == "backbone" {
                    options.trainableFrom = headLayer
                } else {
                    options.trainableFrom = unfreezeFrom ?? ""
                    options.backboneLearningRateScale = backboneLRScale
                }
                printError("vigil finetune: \(base.card.architecture) from \(from); new head \(headLayer) with \(source.train.classes.count) outputs; "
                           + (freeze == "backbone" ? "head only" : unfreezeFrom.map { "training from \($0)" } ?? "all layers, backbone lr × \(backboneLRScale)"))
                model = m
            }
            try flags.train(command: "vigil finetune", model: model, source: source, options: options)
        }
    }
}
