import Kernels
import TensorCore

/// Fully connected layer: `(N, in)` → `(N, out)`, y = x·Wᵀ + b with W `(out, in)` as in PyTorch.
public final class Linear: Layer {
    public let name: String
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    var input = Tensor(shape: [0])
    var output = Tensor(shape: [0])

    public init(_ name: String, _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout SeededRNG) {
        self.name = name
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        let bound = kaimingBound(fanIn: inFeatures)
        weight = Parameter("weight", Tensor.uniform([outFeatures, inFeatures], -bound, bound, rng: &rng))
        self.bias = bias ? Parameter("bias", Tensor.uniform([outFeatures], -bound, bound, rng: &rng)) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        precondition(x.shape.rank == 2 && x.shape[1] == inFeatures, "\(name): expected (N, \(inFeatures)), got \(x.shape)")
        let n = x.shape[0]
        if training { input = x }
        prepare(&output, [n, outFeatures], training: training)
        x.data.withUnsafeBufferPointer { xp in
            weight.value.data.withUnsafeBufferPointer { wp in
                output.data.withUnsafeMutableBufferPointer { yp in
                    gemm(transB: true, m: n, n: outFeatures, k: inFeatures, a: xp.baseAddress!, lda: inFeatures,
                         b: wp.baseAddress!, ldb: inFeatures, c: yp.baseAddress!, ldc: outFeatures, context: context)
                    if let b = bias {
                        b.value.data.withUnsafeBufferPointer { addBias(yp.baseAddress!, bias: $0.baseAddress!, rows: n, channels: outFeatures) }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        let n = dy.shape[0]
        var dx = Tensor(shape: [n, inFeatures])
        dy.data.withUnsafeBufferPointer { dp in
            input.data.withUnsafeBufferPointer { xp in
                weight.grad.data.withUnsafeMutableBufferPointer { gw in
                    // dW (out × in) += dYᵀ · X
                    gemm(transA: true, m: outFeatures, n: inFeatures, k: n, a: dp.baseAddress!, lda: outFeatures,
                         b: xp.baseAddress!, ldb: inFeatures, beta: 1, c: gw.baseAddress!, ldc: inFeatures, context: context)
                }
            }
            weight.value.data.withUnsafeBufferPointer { wp in
                dx.data.withUnsafeMutableBufferPointer { dxp in
                    gemm(m: n, n: inFeatures, k: outFeatures, a: dp.baseAddress!, lda: outFeatures, b: wp.baseAddress!, ldb: inFeatures,
                         c: dxp.baseAddress!, ldc: inFeatures, context: context)
                }
            }
            if let b = bias {
                b.grad.data.withUnsafeMutableBufferPointer { sumRows(dp.baseAddress!, rows: n, channels: outFeatures, into: $0.baseAddress!) }
            }
        }
        return dx
    }
}
