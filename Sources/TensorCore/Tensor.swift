/// A dense Float tensor in row-major order. Vigil's images and activations are NHWC:
/// `(batch, height, width, channels)`, channels fastest. NHWC makes a 1×1 convolution a
/// plain GEMM over `(N·H·W) × C`, makes each im2col patch `KH·KW` contiguous runs of `C`
/// floats, and lets per-channel work (bias, BatchNorm, depthwise) vectorise over channels.
///
/// ```swift
/// var t = Tensor(shape: [1, 2, 2, 3])            // zeros
/// t[0, 1, 1, 2] = 5
/// t.shape.count                                   // 12
/// ```
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: Shape
    public var data: [Float]

    public init(shape: Shape, data: [Float]) {
        precondition(data.count == shape.count, "data has \(data.count) values for shape \(shape)")
        self.shape = shape
        self.data = data
    }

    public init(shape: Shape, repeating value: Float = 0) {
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.count)
    }

    /// A tensor whose values the caller overwrites before reading them (no zero-fill). Debug
    /// builds fill it with NaN so that a kernel that reads before writing shows up in tests.
    public init(uninitialized shape: Shape) {
        self.shape = shape
        let n = shape.count
        self.data = [Float](unsafeUninitializedCapacity: n) { buffer, count in
            #if DEBUG
            buffer.initialize(repeating: .nan)
            #endif
            count = n
        }
    }

    public init(_ dims: [Int], repeating value: Float = 0) { self.init(shape: Shape(dims), repeating: value) }

    public var count: Int { data.count }

    /// The same data under another shape with the same element count.
    public func reshaped(_ dims: [Int]) -> Tensor { Tensor(shape: Shape(dims), data: data) }

    public subscript(indices: Int...) -> Float {
        get { data[shape.offset(indices)] }
        set { data[shape.offset(indices)] = newValue }
    }

    /// Fills with values drawn from `rng`, uniform in [lo, hi).
    public static func uniform(_ dims: [Int], _ lo: Float, _ hi: Float, rng: inout SeededRNG) -> Tensor {
        var t = Tensor(dims)
        for i in 0..<t.count { t.data[i] = rng.uniform(lo, hi) }
        return t
    }

    /// Fills with normal values (mean 0, standard deviation `std`).
    public static func normal(_ dims: [Int], std: Float, rng: inout SeededRNG) -> Tensor {
        var t = Tensor(dims)
        for i in 0..<t.count { t.data[i] = rng.normal() * std }
        return t
    }
}

/// A tensor's dimensions, outermost first.
public struct Shape: Sendable, Equatable, Hashable, CustomStringConvertible, ExpressibleByArrayLiteral {
    public var dims: [Int]

    public init(_ dims: [Int]) {
        precondition(dims.allSatisfy { $0 >= 0 }, "negative dimension in \(dims)")
        self.dims = dims
    }

    public init(arrayLiteral elements: Int...) { self.init(elements) }

    public var rank: Int { dims.count }
    public var count: Int { dims.reduce(1, *) }
    public subscript(i: Int) -> Int { dims[i] }
    public var description: String { "(" + dims.map(String.init).joined(separator: ", ") + ")" }

    /// Row-major offset of a full index.
    public func offset(_ idx: [Int]) -> Int {
        precondition(idx.count == dims.count, "index rank \(idx.count) for shape \(self)")
        var o = 0
        for (i, d) in zip(idx, dims) {
            precondition(i >= 0 && i < d, "index \(idx) out of range for shape \(self)")
            o = o * d + i
        }
        return o
    }
}
