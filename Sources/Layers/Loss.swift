import TensorCore

/// A loss: a scalar from predictions and targets, with ∂loss/∂predictions.
public struct LossResult {
    public var value: Float
    public var gradient: Tensor
}
