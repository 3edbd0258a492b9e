import Kernels
import TensorCore

/// Transposed convolution (the adjoint of Conv2d), `(N, H, W, Cin)` → `(N, OH, OW, Cout)` with
/// OH = (H − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1.
///
/// Weight `(Cin, KH, KW, Cout)` — PyTorch's `(Cin, Cout, KH, KW)` with the channel axis
/// moved last. Forward is the backward-data pass of the convolution it transposes;
/// backward is that convolution's forward (for dx) and its weight gradient with the roles
/// of input and upstream gradient swapped.
public final class ConvTranspose2d: Layer {
    public let name: String
    public let inChannels: Int, outChannels: Int
    public let kernel: Int, stride: Int, padding: Int, outputPadding: Int, dilation: Int
    public let weight: Parameter
    public let bias: Parameter?
    var input = Tensor(shape: [0])

    public init(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, dilation: Int = 1, bias: Bool = true, rng: inout SeededRNG) {
        precondition(outputPadding < max(stride, dilation), "\(name): output padding must be smaller than stride or dilation")
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        let bound = kaimingBound(fanIn: outChannels * kernel * kernel)
        weight = Parameter("weight", Tensor.uniform([inChannels, kernel, kernel, outChannels], -bound, bound, rng: &rng))
        self.bias = bias ? Parameter("bias", Tensor.uniform([outChannels], -bound, bound, rng: &rng)) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    /// The convolution this layer transposes: from the (bigger) output space to the input space.
    func adjoint(_ s: Shape) -> Conv2dKernel {
        let oh = (s[1] - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1
        let ow = (s[2] - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1
        let g = ConvGeometry(inH: oh, inW: ow, kernel: (kernel, kernel), stride: (stride, stride),
                             padding: (padding, padding, padding, padding), dilation: (dilation, dilation))
        precondition(g.outH == s[1] && g.outW == s[2], "\(name): inconsistent transposed geometry")
        return Conv2dKernel(batch: s[0], inC: outChannels, outC: inChannels, geometry: g)
    }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        precondition(x.shape.rank == 4 && x.shape[3] == inChannels, "\(name): expected (N, H, W, \(inChannels)), got \(x.shape)")
        let k = adjoint(x.shape)
        if training { input = x }
        var y = Tensor([x.shape[0], k.geometry.inH, k.geometry.inW, outChannels])
        x.data.withUnsafeBufferPointer { xp in
            weight.value.data.withUnsafeBufferPointer { wp in
                y.data.withUnsafeMutableBufferPointer { yp in
                    k.backwardData(weight: wp.baseAddress!, dy: xp.baseAddress!, dx: yp.baseAddress!, context: context)
                    if let b = bias {
                        b.value.data.withUnsafeBufferPointer {
                            addBias(yp.baseAddress!, bias: $0.baseAddress!, rows: yp.count / outChannels, channels: outChannels)
                        }
                    }
                }
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        let k = adjoint(input.shape)
        var dx = Tensor(shape: input.shape)
        dy.data.withUnsafeBufferPointer { dp in
            weight.value.data.withUnsafeBufferPointer { wp in
                dx.data.withUnsafeMutableBufferPointer { dxp in
                    k.forward(x: dp.baseAddress!, weight: wp.baseAddress!, bias: nil, y: dxp.baseAddress!, context: context)
                }
            }
            input.data.withUnsafeBufferPointer { xp in
                weight.grad.data.withUnsafeMutableBufferPointer { gw in
                    k.backwardWeights(x: dp.baseAddress!, dy: xp.baseAddress!, dw: gw.baseAddress!, context: context)
                }
            }
            if let b = bias {
                b.grad.data.withUnsafeMutableBufferPointer {
                    sumRows(dp.baseAddress!, rows: dy.count / outChannels, channels: outChannels, into: $0.baseAddress!)
                }
            }
        }
        return dx
    }
}
