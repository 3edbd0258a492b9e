import TensorCore

/// Runs each branch on the same input and concatenates their outputs along the channel
/// axis (the last one). Branch outputs must agree on every other dimension.
public final class Concat: Layer {
    public let name: String
    public let branches: [Layer]
    var widths: [Int] = []

    public init(_ name: String, _ branches: [Layer]) {
        precondition(!branches.isEmpty, "\(name): needs at least one branch")
        self.name = name
        self.branches = branches
    }

    public var children: [Layer] { branches }

    public func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor {
        let outs = branches.map { $0.forward(x, context: context, training: training) }
        let lead = Array(outs[0].shape.dims.dropLast())
        for o in outs { precondition(Array(o.shape.dims.dropLast()) == lead, "\(name): branch shapes \(outs.map(\.shape)) differ") }
        widths = outs.map { $0.shape.dims.last! }
        let total = widths.reduce(0, +), rows = outs[0].count / widths[0]
        var y = Tensor(shape: Shape(lead + [total]))
        var off = 0
        for (o, w) in zip(outs, widths) {
            for r in 0..<rows { for c in 0..<w { y.data[r * total + off + c] = o.data[r * w + c] } }
            off += w
        }
        return y
    }

    public func backward(_ dy: Tensor, context: Context) -> Tensor {
        let total = widths.reduce(0, +), rows = dy.count / total
        let lead = Array(dy.shape.dims.dropLast())
        var dx: Tensor?
        var off = 0
        for (b, w) in zip(branches, widths) {
            var part = Tensor(shape: Shape(lead + [w]))
            for r in 0..<rows { for c in 0..<w { part.data[r * w + c] = dy.data[r * total + off + c] } }
            let g = b.backward(part, context: context)
            if dx == nil { dx = g } else { for i in 0..<g.count { dx!.data[i] += g.data[i] } }
            off += w
        }
        return dx!
    }
}
