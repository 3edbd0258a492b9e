import Kernels
import TensorCore

/// Average pooling, `(N, H, W, C)` → `(N, OH, OW, C)`. `countPadding` as PyTorch's
/// count_include_pad (default true).
public final class AvgPool2d: Layer {
    public let name: String
    public let kernel: Int, stride: Int, padding: Int
    public let countPadding: Bool
    var inShape = Shape([0])
    var output = Tensor(shape: [0])

    public init(_ name: String, kernel: Int, stride: Int? = nil, padding: Int = 0, countPadding: Bool = true) {
        self.name = name
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
        self.countPadding = countPadding
    }

    func geometry(_ s: Shape) -> ConvGeometry {
        ConvGeometry(inH: s[1], inW: s[2], kernel: (kernel, kernel), stride: (stride, stride),
                     padding: (padding, padding, padding, padding))
    }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        precondition(x.shape.rank == 4, "\(name): expected (N, H, W, C), got \(x.shape)")
        let g = geometry(x.shape)
        inShape = x.shape
        prepare(&output, [x.shape[0], g.outH, g.outW, x.shape[3]], training: training)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer {
                Pooling.averageForward(xp.baseAddress!, batch: x.shape[0], channels: x.shape[3], geometry: g,
                                       countPadding: countPadding, y: $0.baseAddress!, context: context)
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        var dx = Tensor(shape: inShape)
        dy.data.withUnsafeBufferPointer { dp in
            dx.data.withUnsafeMutableBufferPointer {
                Pooling.averageBackward(dp.baseAddress!, batch: inShape[0], channels: inShape[3], geometry: geometry(inShape),
                                        countPadding: countPadding, dx: $0.baseAddress!, context: context)
            }
        }
        return dx
    }
}
