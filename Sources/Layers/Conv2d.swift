import Kernels
import TensorCore

/// 2-D convolution. Input `(N, H, W, Cin)` → output `(N, OH, OW, Cout)`;
/// weight `(Cout, KH, KW, Cin/groups)`, bias `(Cout)`.
///
/// im2col + OpenBLAS sgemm (1×1 stride 1 skips im2col; depthwise runs a direct kernel).
/// For inference an activation can be fused into the output pass and a following
/// BatchNorm folded into weight and bias (see `Layer.fuseForInference()`).
public final class Conv2d: Layer {
    public enum Padding: Sendable, Equatable {
        /// Fixed padding: (top, left, bottom, right).
        case explicit(Int, Int, Int, Int)
        /// TensorFlow "SAME": output = ceil(input / stride), padding split with the extra
        /// pixel at the bottom/right.
        case same

        public static func symmetric(_ p: Int) -> Padding { .explicit(p, p, p, p) }
    }

    public let name: String
    public let inChannels: Int, outChannels: Int
    public let kernel: (h: Int, w: Int)
    public let stride: (h: Int, w: Int)
    public let padding: Padding
    public let dilation: (h: Int, w: Int)
    public let groups: Int
    public let weight: Parameter
    public private(set) var bias: Parameter?
    /// Applied to the output in the same pass (inference only).
    public var fusedActivation: ActivationKind?

    var input = Tensor(shape: [0])
    var output = Tensor(shape: [0])
    public private(set) var plan: Conv2dKernel?
    /// Inference keeps the Winograd transform of the weight between calls; it is dropped
    /// by a training pass or a fold, and rebuilt when the weight's storage or a sample of
    /// its values changes (a new tensor assigned).
    var winogradWeights: [Float] = []
    var winogradKey: [Float] = []

    public init(_ name: String, _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Padding = .symmetric(0),
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, rng: inout SeededRNG) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "\(name): channels must divide into groups")
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = (kernel, kernel)
        self.stride = (stride, stride)
        self.padding = padding
        self.dilation = (dilation, dilation)
        self.groups = groups
        let fanIn = inChannels / groups * kernel * kernel
        let bound = kaimingBound(fanIn: fanIn)
        weight = Parameter("weight", Tensor.uniform([outChannels, kernel, kernel, inChannels / groups], -bound, bound, rng: &rng))
        self.bias = bias ? Parameter("bias", Tensor.uniform([outChannels], -bound, bound, rng: &rng)) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func geometry(inH: Int, inW: Int) -> ConvGeometry {
        let pad: (Int, Int, Int, Int)
        switch padding {
        case .explicit(let t, let l, let b, let r): pad = (t, l, b, r)
        case .same:
            func split(_ size: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let out = (size + s - 1) / s
                let total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
                return (total / 2, total - total / 2)
            }
            let (t, b) = split(inH, kernel.h, stride.h, dilation.h)
            let (l, r) = split(inW, kernel.w, stride.w, dilation.w)
            pad = (t, l, b, r)
        }
        return ConvGeometry(inH: inH, inW: inW, kernel: (kernel.h, kernel.w), stride: (stride.h, stride.w),
                            padding: pad, dilation: (dilation.h, dilation.w))
    }

    func kernelFor(_ shape: Shape) -> Conv2dKernel {
        precondition(shape.rank == 4 && shape[3] == inChannels, "\(name): expected (N, H, W, \(inChannels)), got \(shape)")
        let k = Conv2dKernel(batch: shape[0], inC: inChannels, outC: outChannels, groups: groups,
                             geometry: geometry(inH: shape[1], inW: shape[2]))
        if plan != k { plan = k }
        return k
    }

    public func outputShape(_ input: Shape) -> Shape {
        let g = geometry(inH: input[1], inW: input[2])
        return [input[0], g.outH, g.outW, outChannels]
    }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        let k = kernelFor(x.shape)
        if training { input = x }
        prepare(&output, [x.shape[0], k.geometry.outH, k.geometry.outW, outChannels], training: training)
        if training { winogradWeights = []; winogradKey = [] } else if k.usesWinograd { prepareWinogradWeights(k) }
        let cached = !training && k.usesWinograd && !winogradWeights.isEmpty
        x.data.withUnsafeBufferPointer { xp in
            weight.value.data.withUnsafeBufferPointer { wp in
                winogradWeights.withUnsafeBufferPointer { up in
                    output.data.withUnsafeMutableBufferPointer { yp in
                        let u = cached ? up.baseAddress : nil
                        if let b = bias {
                            b.value.data.withUnsafeBufferPointer { bp in
                                k.forward(x: xp.baseAddress!, weight: wp.baseAddress!, winogradWeights: u, bias: bp.baseAddress!,
                                          activation: fusedActivation, y: yp.baseAddress!, context: context)
                            }
                        } else {
                            k.forward(x: xp.baseAddress!, weight: wp.baseAddress!, winogradWeights: u, bias: nil,
                                      activation: fusedActivation, y: yp.baseAddress!, context: context)
                        }
                    }
                }
            }
        }
        return output
    }

    /// Rebuilds the kept Winograd weight when the weight is not the one it was made from.
    func prepareWinogradWeights(_ k: Conv2dKernel) {
        let key: [Float] = weight.value.data.withUnsafeBufferPointer { wp in
            let address = UInt(bitPattern: wp.baseAddress)
            var key = [Float(address & 0xFFFFFF), Float(address >> 24 & 0xFFFFFF), Float(address >> 48), Float(wp.count)]
            let step = max(1, wp.count / 16)
            for i in Swift.stride(from: 0, to: wp.count, by: step) { key.append(wp[i]) }
            return key
        }
        if key == winogradKey && winogradWeights.count == k.winogradWeightCount { return }
        winogradWeights = [Float](repeating: 0, count: k.winogradWeightCount)
        weight.value.data.withUnsafeBufferPointer { wp in
            winogradWeights.withUnsafeMutableBufferPointer { k.transformWinogradWeights(wp.baseAddress!, into: $0.baseAddress!) }
        }
        winogradKey = key
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        precondition(fusedActivation == nil, "\(name): a fused convolution is inference-only")
        let k = kernelFor(input.shape)
        var dx = Tensor(shape: input.shape)
        input.data.withUnsafeBufferPointer { xp in
            weight.value.data.withUnsafeBufferPointer { wp in
                dy.data.withUnsafeBufferPointer { dp in
                    dx.data.withUnsafeMutableBufferPointer { dxp in
                        weight.grad.data.withUnsafeMutableBufferPointer { dwp in
                            if let b = bias {
                                b.grad.data.withUnsafeMutableBufferPointer { dbp in
                                    k.backward(x: xp.baseAddress!, weight: wp.baseAddress!, dy: dp.baseAddress!, dx: dxp.baseAddress!,
                                               dw: dwp.baseAddress!, db: dbp.baseAddress!, context: context)
                                }
                            } else {
                                k.backward(x: xp.baseAddress!, weight: wp.baseAddress!, dy: dp.baseAddress!, dx: dxp.baseAddress!,
                                           dw: dwp.baseAddress!, db: nil, context: context)
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// Folds a following BatchNorm (in its eval form) into this convolution:
    /// w′ = w · γ/√(σ²+ε) per output channel, b′ = (b − μ) · γ/√(σ²+ε) + β.
    public func fold(_ bn: BatchNorm2d) {
        precondition(bn.channels == outChannels, "\(name): BatchNorm has \(bn.channels) channels, conv \(outChannels)")
        let per = weight.value.count / outChannels
        if bias == nil { bias = Parameter("bias", Tensor(shape: [outChannels])) }
        winogradWeights = []
        winogradKey = []
        for c in 0..<outChannels {
            let s = bn.gamma.value.data[c] / (bn.runningVar.value.data[c] + bn.eps).squareRoot()
            for i in 0..<per { weight.value.data[c * per + i] *= s }
            bias!.value.data[c] = (bias!.value.data[c] - bn.runningMean.value.data[c]) * s + bn.beta.value.data[c]
        }
    }
}
