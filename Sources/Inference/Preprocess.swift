import Augment
import Checkpoint

extension ModelInput {
    /// The input a model card describes: the one file → network input (`Augment.ModelInput`),
    /// with the card's size, resize policy, colour mode and normalisation.
    public init(_ spec: Preprocessing) {
        self.init(size: spec.inputSize, resize: spec.resize == "shorter_side" ? .shorterSide(spec.resizeTo) : .stretch,
                  gray: spec.colorMode == "gray", mean: spec.mean, std: spec.std)
    }
}
