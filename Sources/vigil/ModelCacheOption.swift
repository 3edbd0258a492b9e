import ArgumentParser
import Inference

/// `--cache`, shared by every command that loads a pretrained zoo model by name.
struct ModelCacheOption: ParsableArguments {
    @Option(name: .customLong("cache"), help: "Folder of imported pretrained models (default: $VIGIL_CACHE_DIR or ~/.cache/vigil/models).")
    var folder: String?

    /// The model store this option names.
    var store: ModelStore { ModelStore(folder: folder ?? ModelStore.defaultFolder()) }
}
