import Kernels
import TensorCore

/// Max pooling, `(N, H, W, C)` → `(N, OH, OW, C)`. Padding never wins.
public final class MaxPool2d: Layer {
    public let name: String
    public let kernel: Int, stride: Int, padding: Int
    var inShape = Shape([0])
    var argmax: [Int32] = []
    var output = Tensor(shape: [0])

    public init(_ name: String, kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.name = name
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
    }

    func geometry(_ s: Shape) -> ConvGeometry {
        ConvGeometry(inH: s[1], inW: s[2], kernel: (kernel, kernel), stride: (stride, stride),
                     padding: (padding, padding, padding, padding))
    }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        precondition(x.shape.rank == 4, "\(name): expected (N, H, W, C), got \(x.shape)")
        let g = geometry(x.shape)
        prepare(&output, [x.shape[0], g.outH, g.outW, x.shape[3]], training: training)
        if !training {
            x.data.withUnsafeBufferPointer { xp in
                output.data.withUnsafeMutableBufferPointer {
                    Pooling.maxForwardInference(xp.baseAddress!, batch: x.shape[0], channels: x.shape[3], geometry: g, y: $0.baseAddress!, context: context)
                }
            }
            return output
        }
        if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
        inShape = x.shape
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                argmax.withUnsafeMutableBufferPointer { ap in
                    Pooling.maxForward(xp.baseAddress!, batch: x.shape[0], channels: x.shape[3], geometry: g,
                                       y: yp.baseAddress!, argmax: ap.baseAddress!, context: context)
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        var dx = Tensor(shape: inShape)
        dy.data.withUnsafeBufferPointer { dp in
            argmax.withUnsafeBufferPointer { ap in
                dx.data.withUnsafeMutableBufferPointer {
                    Pooling.maxBackward(dp.baseAddress!, argmax: ap.baseAddress!, outCount: dy.count, dx: $0.baseAddress!, inCount: $0.count)
                }
            }
        }
        return dx
    }
}
