import TensorCore

/// Upsampling by an integer factor, `(N, H, W, C)` → `(N, H·s, W·s, C)`.
/// Nearest repeats pixels; bilinear follows PyTorch's align_corners=False (source
/// coordinate (o + 0.5)/s − 0.5, clamped at 0).
public final class Upsample: Layer {
    public enum Mode: Sendable { case nearest, bilinear }
    public let name: String
    public let scale: Int
    public let mode: Mode
    var inShape = Shape([0])

    public init(_ name: String, scale: Int, mode: Mode = .nearest) {
        precondition(scale >= 1)
        self.name = name
        self.scale = scale
        self.mode = mode
    }

    /// For output coordinate o: the two source indices and the weight of the second.
    func taps(_ o: Int, _ size: Int) -> (Int, Int, Float) {
        if mode == .nearest { return (o / scale, o / scale, 0) }
        let src = max((Float(o) + 0.5) / Float(scale) - 0.5, 0)
        let i0 = min(Int(src), size - 1)
        let i1 = min(i0 + 1, size - 1)
        return (i0, i1, src - Float(i0))
    }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        precondition(x.shape.rank == 4, "\(name): expected (N, H, W, C), got \(x.shape)")
        inShape = x.shape
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = h * scale, ow = w * scale
        var y = Tensor([n, oh, ow, c])
        let ty = (0..<oh).map { taps($0, h) }, tx = (0..<ow).map { taps($0, w) }
        for b in 0..<n {
            for oy in 0..<oh {
                let (y0, y1, fy) = ty[oy]
                for ox in 0..<ow {
                    let (x0, x1, fx) = tx[ox]
                    let o = ((b * oh + oy) * ow + ox) * c
                    for ch in 0..<c {
                        func at(_ yy: Int, _ xx: Int) -> Float { x.data[((b * h + yy) * w + xx) * c + ch] }
                        let top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx
                        let bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx
                        y.data[o + ch] = top * (1 - fy) + bottom * fy
                    }
                }
            }
        }
        return y
    }

    /// The adjoint: each output gradient is spread back onto the source taps with their weights.
    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        let (n, h, w, c) = (inShape[0], inShape[1], inShape[2], inShape[3])
        let oh = h * scale, ow = w * scale
        var dx = Tensor(shape: inShape)
        let ty = (0..<oh).map { taps($0, h) }, tx = (0..<ow).map { taps($0, w) }
        for b in 0..<n {
            for oy in 0..<oh {
                let (y0, y1, fy) = ty[oy]
                for ox in 0..<ow {
                    let (x0, x1, fx) = tx[ox]
                    let o = ((b * oh + oy) * ow + ox) * c
                    for ch in 0..<c {
                        let g = dy.data[o + ch]
                        func add(_ yy: Int, _ xx: Int, _ v: Float) { dx.data[((b * h + yy) * w + xx) * c + ch] += v }
                        add(y0, x0, g * (1 - fy) * (1 - fx)); add(y0, x1, g * (1 - fy) * fx)
                        add(y1, x0, g * fy * (1 - fx)); add(y1, x1, g * fy * fx)
                    }
                }
            }
        }
        return dx
    }
}
