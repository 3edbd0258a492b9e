import Augment
import Checkpoint

extension ModelInput {
    /// The input a model card describes: the one file → network input (`Augment.ModelInput`),
    /// with the card's size, resize policy, colour mode and normalisation.
    public init(_ spec: Preprocessing) {
        let resize: ModelInput.Resize
        switch spec.resize {
        case .shorterSide: resize = .shorterSide(spec.resizeTo)
        case .stretch: resize = .stretch
        // A detector's whole image goes through `DetectionInput`; as one square it is stretched.
        case .longerSide: resize = .stretch
        }
        self.init(size: spec.inputSize, resize: resize, gray: spec.colorMode == .gray, mean: spec.mean, std: spec.std)
    }
}
