import ArgumentParser
import Checkpoint
import Augment
import Foundation
import ImageIO
import Jobs
import Inference

struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Write the exact input tensor a model sees for an image, as .npy.",
        discussion: """
        The array is float32 (1, H, W, C) — NHWC, as Vigil's networks take it — after decoding, \
        resizing, cropping and normalising as the model file says. Load it with numpy.load; \
        .transpose(0, 3, 1, 2) gives PyTorch's NCHW.
        """
    )

    @Argument(help: "An image file.")
    var image: String

    @Option(help: "A zoo name with imported pretrained weights, or a .safetensors checkpoint.")
    var model = "mobilenet_v2"

    @Option(help: "Output .npy path.")
    var out: String

    @OptionGroup var cache: ModelCacheOption

    func run() throws {
        do {
            let m = try cache.store.load(model)
            let pre = ModelInput(m.card.preprocessing)
            var values = [Float](repeating: 0, count: pre.sliceCount)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: image)))
            do {
                try values.withUnsafeMutableBufferPointer { try pre.prepare(bytes, into: $0) }
            } catch {
                throw ImageFileError(path: image, error: error)
            }
            let side = m.card.preprocessing.inputSize
            try writeAtomically(Npy.encode(values, shape: [1, side, side, pre.channels]), to: out)
        } catch {
            printError("vigil preprocess: \(error)")
            throw ExitCode.jobFailed
        }
    }
}
