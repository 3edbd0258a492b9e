import TensorCore

/// Global average pooling, `(N, H, W, C)` → `(N, C)`.
public final class GlobalAvgPool: Layer {
    public let name: String
    var inShape = Shape([0])
    var output = Tensor(shape: [0])

    public init(_ name: String) { self.name = name }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        precondition(x.shape.rank == 4, "\(name): expected (N, H, W, C), got \(x.shape)")
        inShape = x.shape
        let n = x.shape[0], hw = x.shape[1] * x.shape[2], c = x.shape[3]
        prepare(&output, [n, c], training: training)
        let inv = 1 / Float(hw)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                yp.update(repeating: 0)
                for i in 0..<n {
                    for p in 0..<hw { let row = (i * hw + p) * c; for ch in 0..<c { yp[i * c + ch] += xp[row + ch] } }
                    for ch in 0..<c { yp[i * c + ch] *= inv }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        let n = inShape[0], hw = inShape[1] * inShape[2], c = inShape[3]
        var dx = Tensor(shape: inShape)
        let inv = 1 / Float(hw)
        dy.data.withUnsafeBufferPointer { dp in
            dx.data.withUnsafeMutableBufferPointer { dxp in
                for i in 0..<n { for p in 0..<hw { for ch in 0..<c { dxp[(i * hw + p) * c + ch] = dp[i * c + ch] * inv } } }
            }
        }
        return dx
    }
}
