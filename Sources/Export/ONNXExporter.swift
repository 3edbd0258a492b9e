import Kernels
import Layers
import TensorCore
import Zoo

public struct ONNXExportError: Error, CustomStringConvertible {
    public let layer: String
    public let reason: String
    public var description: String { "ONNX export: \(layer.isEmpty ? "network" : layer): \(reason)" }
}

/// Writes a Vigil network as an ONNX graph (opset 17) that computes the same function.
///
/// Vigil runs NHWC; the graph runs NCHW, as ONNX tools expect: the input is
/// `input` (batch, C, H, W), convolution weights are written back in (O, I/groups, KH, KW)
/// order, and a Flatten of a feature map first transposes to NHWC so that a following
/// linear layer sees its inputs in Vigil's order. Feature-map outputs (the detector's heat
/// map and boxes, the autoencoder's image) come out NCHW.
///
/// Export a model made for inference (`Layer.fuseForInference()`): BatchNorms folded into
/// convolutions and activations fused are written as one Conv and one activation node.
/// Unfolded BatchNorms are written as BatchNormalization nodes (inference form).
///
/// ```swift
/// let model = try Model.load(path: "signs.safetensors")
/// model.network.fuseForInference()
/// let bytes = try ONNXExporter.export(model)
/// ```
public struct ONNXExporter {
    /// A value in the graph and its rank: 4 for NCHW feature maps, 2 for (N, F).
    struct Value {
        var name: String
        var rank: Int
    }

    var graph: ONNXGraph

    init(name: String) { graph = ONNXGraph(name: name) }

    /// The ONNX file for `model`. Inputs are fixed at the card's input size, except for
    /// detectors (whole images of any size), whose height and width are free; the batch is
    /// always free.
    public static func export(_ model: Model) throws -> [UInt8] {
        let c = model.card.config
        let detector = model.network.layers.first is CenterNetDetector
        var e = ONNXExporter(name: model.card.architecture)
        let spatial: [ONNXGraph.Dimension] = detector ? [.named("height"), .named("width")] : [.fixed(c.inputSize), .fixed(c.inputSize)]
        e.graph.addInput("input", [.named("batch"), .fixed(c.inputChannels)] + spatial)
        let out = try e.emit(model.network, path: "", Value(name: "input", rank: 4))
        // Output shape from one forward pass at the card's size.
        let probe = model.network.forward(Tensor([1, c.inputSize, c.inputSize, c.inputChannels]), context: Context(threads: 1), training: false)
        guard probe.shape.rank == out.rank else {
            throw ONNXExportError(layer: "", reason: "graph output has rank \(out.rank), the network's \(probe.shape.rank)")
        }
        var dims: [ONNXGraph.Dimension] = [.named("batch")]
        if out.rank == 4 {
            dims.append(.fixed(probe.shape[3]))
            dims += detector ? [.named("grid_height"), .named("grid_width")] : [.fixed(probe.shape[1]), .fixed(probe.shape[2])]
        } else {
            dims += probe.shape.dims.dropFirst().map { .fixed($0) }
        }
        e.graph.rename(out.name, to: "output")
        e.graph.addOutput("output", dims)
        e.graph.docString = "Vigil \(model.card.architecture): input NCHW float32 after the card's preprocessing "
            + "(vigil.preprocessing); output \(out.rank == 4 ? "NCHW" : "(batch, \(probe.shape.dims.last!))")."
        e.graph.metadata = model.card.metadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return e.graph.serialized(producer: "vigil", version: vigilVersion)
    }

    static func joined(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : (name.isEmpty ? path : path + "." + name)
    }

    mutating func emit(_ layer: Layer, path: String, _ x: Value) throws -> Value {
        let here = Self.joined(path, layer.name)
        switch layer {
        case let seq as Sequential:
            var h = x
            for l in seq.layers { h = try emit(l, path: here, h) }
            return h
        case let conv as Conv2d: return try emitConv(conv, here, x)
        case let bn as BatchNorm2d:
            try requireRank(4, x, here)
            let inputs = [x.name,
                          graph.addFloats(here + ".weight", dims: [bn.channels], bn.gamma.value.data),
                          graph.addFloats(here + ".bias", dims: [bn.channels], bn.beta.value.data),
                          graph.addFloats(here + ".running_mean", dims: [bn.channels], bn.runningMean.value.data),
                          graph.addFloats(here + ".running_var", dims: [bn.channels], bn.runningVar.value.data)]
            return Value(name: graph.add("BatchNormalization", inputs, name: here, [("epsilon", .float(bn.eps))]), rank: 4)
        case let act as Activation: return emitActivation(act.kind, here, x)
        case let pool as MaxPool2d:
            try requireRank(4, x, here)
            let p = pool.padding
            return Value(name: graph.add("MaxPool", [x.name], name: here, [
                ("kernel_shape", .ints([pool.kernel, pool.kernel])), ("strides", .ints([pool.stride, pool.stride])),
                ("pads", .ints([p, p, p, p])),
            ]), rank: 4)
        case let pool as AvgPool2d:
            try requireRank(4, x, here)
            let p = pool.padding
            return Value(name: graph.add("AveragePool", [x.name], name: here, [
                ("kernel_shape", .ints([pool.kernel, pool.kernel])), ("strides", .ints([pool.stride, pool.stride])),
                ("pads", .ints([p, p, p, p])), ("count_include_pad", .int(pool.countPadding ? 1 : 0)),
            ]), rank: 4)
        case is GlobalAvgPool:
            try requireRank(4, x, here)
            let pooled = graph.add("GlobalAveragePool", [x.name], name: here)
            return Value(name: graph.add("Flatten", [pooled], name: here + ".flatten", [("axis", .int(1))]), rank: 2)
        case is Flatten:
            if x.rank == 2 { return x }
            // Vigil flattens NHWC as (h, w, c); the graph holds NCHW.
            let nhwc = graph.add("Transpose", [x.name], name: here + ".to_nhwc", [("perm", .ints([0, 2, 3, 1]))])
            return Value(name: graph.add("Flatten", [nhwc], name: here, [("axis", .int(1))]), rank: 2)
        case let fc as Linear:
            try requireRank(2, x, here)
            var inputs = [x.name, graph.addFloats(here + ".weight", dims: [fc.outFeatures, fc.inFeatures], fc.weight.value.data)]
            if let b = fc.bias { inputs.append(graph.addFloats(here + ".bias", dims: [fc.outFeatures], b.value.data)) }
            return Value(name: graph.add("Gemm", inputs, name: here, [("transB", .int(1))]), rank: 2)
        case is Dropout:
            return x
        case is Softmax:
            return Value(name: graph.add("Softmax", [x.name], name: here, [("axis", .int(1))]), rank: x.rank)
        case let block as Residual:
            let body = try emit(block.body, path: here, x)
            let skip = try block.shortcut.map { try emit($0, path: here, x) } ?? x
            guard body.rank == skip.rank else { throw ONNXExportError(layer: here, reason: "body and shortcut ranks differ") }
            let sum = Value(name: graph.add("Add", [body.name, skip.name], name: here + ".add"), rank: body.rank)
            return block.activation.map { emitActivation($0, here + ".act", sum) } ?? sum
        case let cat as Concat:
            let parts = try cat.branches.map { try emit($0, path: here, x) }
            guard Set(parts.map(\.rank)).count == 1 else { throw ONNXExportError(layer: here, reason: "branches of different ranks") }
            // The channel axis: last in NHWC, 1 in NCHW and in (N, F).
            return Value(name: graph.add("Concat", parts.map(\.name), name: here, [("axis", .int(1))]), rank: parts[0].rank)
        case let up as Upsample: return try emitUpsample(up, here, x)
        case let t as ConvTranspose2d:
            try requireRank(4, x, here)
            // (I, KH, KW, O) → (I, O, KH, KW).
            let w = Self.moveLastAxisToOne(t.weight.value)
            var inputs = [x.name, graph.addFloats(here + ".weight", dims: [t.inChannels, t.outChannels, t.kernel, t.kernel], w)]
            if let b = t.bias { inputs.append(graph.addFloats(here + ".bias", dims: [t.outChannels], b.value.data)) }
            let p = t.padding
            return Value(name: graph.add("ConvTranspose", inputs, name: here, [
                ("kernel_shape", .ints([t.kernel, t.kernel])), ("strides", .ints([t.stride, t.stride])),
                ("pads", .ints([p, p, p, p])), ("output_padding", .ints([t.outputPadding, t.outputPadding])),
                ("dilations", .ints([t.dilation, t.dilation])),
            ]), rank: 4)
        case let det as CenterNetDetector: return try emitCenterNet(det, x)
        default:
            throw ONNXExportError(layer: here, reason: "no ONNX form for layer type \(type(of: layer))")
        }
    }

    func requireRank(_ rank: Int, _ x: Value, _ here: String) throws {
        guard x.rank == rank else { throw ONNXExportError(layer: here, reason: "expects a rank-\(rank) input, the graph has rank \(x.rank) here") }
    }

    /// (A, …, B) → (A, B, …): Vigil's channels-last weights to ONNX's channels-second.
    static func moveLastAxisToOne(_ t: Tensor) -> [Float] {
        let d = t.shape.dims
        let a = d[0], b = d[d.count - 1], inner = d.dropFirst().dropLast().reduce(1, *)
        var out = [Float](repeating: 0, count: t.count)
        t.data.withUnsafeBufferPointer { src in
            for i in 0..<a { for p in 0..<inner { for j in 0..<b {
                out[(i * b + j) * inner + p] = src[(i * inner + p) * b + j]
            } } }
        }
        return out
    }

    mutating func emitConv(_ conv: Conv2d, _ here: String, _ x: Value) throws -> Value {
        try requireRank(4, x, here)
        let cinPerGroup = conv.inChannels / conv.groups
        let w = Self.moveLastAxisToOne(conv.weight.value)
        var inputs = [x.name, graph.addFloats(here + ".weight", dims: [conv.outChannels, cinPerGroup, conv.kernel.h, conv.kernel.w], w)]
        if let b = conv.bias { inputs.append(graph.addFloats(here + ".bias", dims: [conv.outChannels], b.value.data)) }
        var attrs: [(String, ONNXGraph.Attribute)] = [
            ("kernel_shape", .ints([conv.kernel.h, conv.kernel.w])), ("strides", .ints([conv.stride.h, conv.stride.w])),
            ("dilations", .ints([conv.dilation.h, conv.dilation.w])), ("group", .int(conv.groups)),
        ]
        switch conv.padding {
        // ONNX orders pads as (H begin, W begin, H end, W end).
        case .explicit(let t, let l, let b, let r): attrs.append(("pads", .ints([t, l, b, r])))
        // TensorFlow SAME puts the odd pixel at the end, as SAME_UPPER does.
        case .same: attrs.append(("auto_pad", .string("SAME_UPPER")))
        }
        let y = Value(name: graph.add("Conv", inputs, name: here, attrs), rank: 4)
        return conv.fusedActivation.map { emitActivation($0, here + ".act", y) } ?? y
    }

    mutating func emitActivation(_ kind: ActivationKind, _ here: String, _ x: Value) -> Value {
        let out: String
        switch kind {
        case .relu: out = graph.add("Relu", [x.name], name: here)
        case .relu6:
            let lo = graph.addFloats(here + ".min", dims: [], [0]), hi = graph.addFloats(here + ".max", dims: [], [6])
            out = graph.add("Clip", [x.name, lo, hi], name: here)
        case .leakyRelu(let a): out = graph.add("LeakyRelu", [x.name], name: here, [("alpha", .float(a))])
        case .sigmoid: out = graph.add("Sigmoid", [x.name], name: here)
        case .tanh: out = graph.add("Tanh", [x.name], name: here)
        case .hardswish: out = graph.add("HardSwish", [x.name], name: here)
        case .silu:
            let s = graph.add("Sigmoid", [x.name], name: here + ".sigmoid")
            out = graph.add("Mul", [x.name, s], name: here)
        }
        return Value(name: out, rank: x.rank)
    }

    mutating func emitUpsample(_ up: Upsample, _ here: String, _ x: Value) throws -> Value {
        try requireRank(4, x, here)
        let s = Float(up.scale)
        let scales = graph.addFloats(here + ".scales", dims: [4], [1, 1, s, s])
        let attrs: [(String, ONNXGraph.Attribute)]
        switch up.mode {
        case .nearest:
            attrs = [("mode", .string("nearest")), ("coordinate_transformation_mode", .string("asymmetric")), ("nearest_mode", .string("floor"))]
        case .bilinear:
            attrs = [("mode", .string("linear")), ("coordinate_transformation_mode", .string("half_pixel"))]
        }
        return Value(name: graph.add("Resize", [x.name, "", scales], name: here, attrs), rank: 4)
    }

    /// The detector's two-scale wiring: the stride-16 map, upsampled and cropped to the
    /// stride-8 grid, is added to the stride-8 map (see `CenterNetDetector`).
    mutating func emitCenterNet(_ det: CenterNetDetector, _ x: Value) throws -> Value {
        let f8 = try emit(det.shallow, path: "", x)
        let f16 = try emit(det.deep, path: "", f8)
        let a = try emit(det.neckShallow, path: "neck", f8)
        let up = try emitUpsample(det.upsample, "neck.up", try emit(det.neckDeep, path: "neck", f16))
        let shape = graph.add("Shape", [a.name], name: "neck.grid_shape", [("start", .int(2)), ("end", .int(4))])
        let starts = graph.addInt64s("neck.crop_starts", [0, 0]), axes = graph.addInt64s("neck.crop_axes", [2, 3])
        let cropped = graph.add("Slice", [up.name, starts, shape, axes], name: "neck.crop")
        let sum = Value(name: graph.add("Add", [a.name, cropped], name: "neck.add"), rank: 4)
        let h = try emit(det.smooth, path: "neck", sum)
        return try emit(det.head, path: "", h)
    }
}
