import ArgumentParser
import Checkpoint
import Datasets
import Foundation
import Reports
import Zoo

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a zoo architecture from scratch on a labelled dataset.",
        discussion: """
        DATASET is a folder with one subfolder per class; a folder with train/ (val/, test/) \
        parts; a CSV/TSV file of path,label rows; or a folder of IDX files such as Debian's \
        /usr/share/datasets/fashion-mnist (t10k files become the test part). Without a val/ \
        part, --val-split of the training data (stratified, seeded) is held out.

        --out gets last.safetensors (every epoch), best.safetensors (best --monitor), \
        checkpoint.safetensors (for --resume), metrics.csv or .jsonl, curves.png and \
        summary.json. The model files carry labels and preprocessing, so \
        `vigil classify --model OUT/best.safetensors` needs no other flag. A killed run \
        continues with --resume from its last checkpoint and ends with the same weights as an \
        uninterrupted run with the same seed and --threads.

        Examples:
          vigil train /usr/share/datasets/fashion-mnist --arch crop_vgg --width 0.5 \\
                      --epochs 12 --batch 128 --lr 0.002 --val-split 0 --out runs/fmnist
          vigil train signs/ --arch crop_vgg --augment driving --patience 5 --out runs/signs
          vigil train signs/ --arch crop_vgg --out runs/signs --resume
        """
    )

    @Argument(help: "Class-subfolder folder, train/val/test folder, CSV/TSV label file, or IDX folder.")
    var dataset: String

    @Option(help: "Zoo architecture: \(Zoo.names.joined(separator: ", ")).")
    var arch = "crop_vgg"

    @Option(help: "Channel width multiplier.")
    var width: Double?

    @Option(name: .customLong("input-size"), help: "Square input side (default: the architecture's; 28 for IDX data).")
    var inputSize: Int?

    @Option(help: "Input channels, 1 (gray) or 3 (RGB) (default: 1 for IDX data, else 3).")
    var channels: Int?

    @OptionGroup var flags: TrainingFlags

    func validate() throws {
        guard Zoo.entry(arch) != nil else { throw ValidationError("unknown --arch \(arch); known: \(Zoo.names.joined(separator: ", "))") }
        guard arch != "mobilenet_v2_detect" else { throw ValidationError("--arch mobilenet_v2_detect is a detector: train it on boxes with vigil train-detect") }
        if let channels, channels != 1 && channels != 3 { throw ValidationError("--channels must be 1 or 3") }
        if let inputSize, inputSize < 8 { throw ValidationError("--input-size must be at least 8") }
    }

    func run() throws {
        try runJob("vigil train") {
            let source = try DatasetSource.open(dataset)
            let options = try flags.options(epochs: 10, batch: 64, optimizer: .adamw, lr: 1e-3, weightDecay: 0.01)
            var model: Model?
            if !flags.resume {
                let entry = Zoo.entry(arch)!
                var config = entry.defaultConfig
                var pre = entry.defaultPreprocessing
                let gray = channels.map { $0 == 1 } ?? (source.kind == "idx")
                config.numClasses = source.train.classes.count
                config.inputChannels = gray ? 1 : 3
                config.inputSize = inputSize ?? (source.kind == "idx" ? 28 : config.inputSize)
                if let width { config.widthMultiplier = width }
                pre.inputSize = config.inputSize
                if pre.resize == .stretch || source.kind == "idx" { pre.resize = .stretch; pre.resizeTo = config.inputSize }
                pre.colorMode = gray ? .gray : .rgb
                if gray && pre.mean.count != 1 { pre.mean = [0.5]; pre.std = [0.5] }
                if !gray && pre.mean.count != 3 { pre.mean = [0.5, 0.5, 0.5]; pre.std = [0.25, 0.25, 0.25] }
                let m = try Model(zoo: arch, config: config, labels: source.train.classes, seed: options.seed)
                m.card.preprocessing = pre
                m.card.provenance.source = "trained from scratch by vigil train"
                m.card.provenance.data = dataset
                model = m
            }
            try flags.train(command: "vigil train", model: model, source: source, options: options)
        }
    }
}
