import Foundation
import TensorCore

/// Softmax over the last axis of `(N, K)`, max-subtracted for stability.
public final class Softmax: Layer {
    public let name: String
    var output = Tensor(shape: [0])

    public init(_ name: String) { self.name = name }

    public static func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, k: Int) {
        var m = -Float.infinity
        for j in 0..<k { m = max(m, x[j]) }
        var s: Float = 0
        for j in 0..<k { y[j] = exp(x[j] - m); s += y[j] }
        let inv = 1 / s
        for j in 0..<k { y[j] *= inv }
    }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        let k = x.shape.dims.last!, rows = x.count / k
        var y = Tensor(shape: x.shape)
        x.data.withUnsafeBufferPointer { xp in
            y.data.withUnsafeMutableBufferPointer { yp in
                for r in 0..<rows { Softmax.apply(xp.baseAddress! + r * k, yp.baseAddress! + r * k, k: k) }
            }
        }
        output = y
        return y
    }

    /// dx = y ⊙ (dy − Σ dy·y) per row.
    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        let k = dy.shape.dims.last!, rows = dy.count / k
        var dx = Tensor(shape: dy.shape)
        for r in 0..<rows {
            var dot: Float = 0
            for j in 0..<k { dot += dy.data[r * k + j] * output.data[r * k + j] }
            for j in 0..<k { dx.data[r * k + j] = output.data[r * k + j] * (dy.data[r * k + j] - dot) }
        }
        return dx
    }
}
