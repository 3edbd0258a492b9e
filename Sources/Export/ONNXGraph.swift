/// An ONNX model under construction: nodes in execution order, named initialisers (weights),
/// graph inputs and outputs, serialised to the `ModelProto` of onnx.proto (IR version 8,
/// default opset 17).
///
/// Field numbers are those of onnx.proto: ModelProto (ir_version 1, producer_name 2,
/// producer_version 3, doc_string 6, graph 7, opset_import 8, metadata_props 14),
/// GraphProto (node 1, name 2, initializer 5, input 11, output 12), NodeProto (input 1,
/// output 2, name 3, op_type 4, attribute 5), AttributeProto (name 1, f 2, i 3, s 4,
/// floats 7, ints 8, type 20), TensorProto (dims 1, data_type 2, name 8, raw_data 9),
/// ValueInfoProto (name 1, type 2), TypeProto (tensor_type 1), TypeProto.Tensor
/// (elem_type 1, shape 2), TensorShapeProto (dim 1), Dimension (dim_value 1, dim_param 2).
public struct ONNXGraph {
    public enum Attribute {
        case int(Int)
        case ints([Int])
        case float(Float)
        case string(String)
    }

    /// A dimension of a graph input or output: fixed, or named and free (e.g. "batch").
    public enum Dimension: Equatable {
        case fixed(Int)
        case named(String)
    }

    public struct Node {
        public var op: String
        public var inputs: [String]
        public var outputs: [String]
        public var name: String
        public var attributes: [(String, Attribute)]
    }

    struct Initializer {
        var name: String
        var dims: [Int]
        /// ONNX TensorProto.DataType: 1 float, 7 int64.
        var dataType: Int
        var raw: [UInt8]
    }

    public private(set) var nodes: [Node] = []
    var initializers: [Initializer] = []
    var inputs: [(String, [Dimension])] = []
    var outputs: [(String, [Dimension])] = []
    var usedNames = Set<String>()
    public var name: String
    public var opset = 17
    public var metadata: [(String, String)] = []
    public var docString = ""

    public init(name: String) { self.name = name }

    /// A name not used yet in this graph, built from `base`.
    public mutating func unique(_ base: String) -> String {
        var candidate = base.isEmpty ? "t" : base
        var k = 1
        while usedNames.contains(candidate) { candidate = "\(base)_\(k)"; k += 1 }
        usedNames.insert(candidate)
        return candidate
    }

    public mutating func addInput(_ name: String, _ dims: [Dimension]) {
        usedNames.insert(name)
        inputs.append((name, dims))
    }

    public mutating func addOutput(_ name: String, _ dims: [Dimension]) { outputs.append((name, dims)) }

    /// A float initialiser; returns its (unique) name.
    @discardableResult
    public mutating func addFloats(_ base: String, dims: [Int], _ values: [Float]) -> String {
        precondition(dims.reduce(1, *) == values.count, "\(base): \(values.count) values for dims \(dims)")
        let n = unique(base)
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 4)
        for v in values {
            let b = v.bitPattern
            raw += [UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8), UInt8(truncatingIfNeeded: b >> 16), UInt8(truncatingIfNeeded: b >> 24)]
        }
        initializers.append(Initializer(name: n, dims: dims, dataType: 1, raw: raw))
        return n
    }

    /// A 1-D int64 initialiser (shapes, slice bounds, axes); returns its name.
    @discardableResult
    public mutating func addInt64s(_ base: String, _ values: [Int]) -> String {
        let n = unique(base)
        var raw = [UInt8]()
        for v in values {
            let b = UInt64(bitPattern: Int64(v))
            for s in stride(from: 0, to: 64, by: 8) { raw.append(UInt8(truncatingIfNeeded: b >> UInt64(s))) }
        }
        initializers.append(Initializer(name: n, dims: [values.count], dataType: 7, raw: raw))
        return n
    }

    /// Appends a node with one output and returns the output's name. An empty input name
    /// stands for an omitted optional input.
    @discardableResult
    public mutating func add(_ op: String, _ inputs: [String], name: String, _ attributes: [(String, Attribute)] = []) -> String {
        let out = unique(name)
        nodes.append(Node(op: op, inputs: inputs, outputs: [out], name: out, attributes: attributes))
        return out
    }

    /// Renames the output of the node that produces `old` (used to give the graph's output
    /// its public name).
    public mutating func rename(_ old: String, to new: String) {
        for i in nodes.indices {
            nodes[i].outputs = nodes[i].outputs.map { $0 == old ? new : $0 }
            nodes[i].inputs = nodes[i].inputs.map { $0 == old ? new : $0 }
        }
        usedNames.insert(new)
    }

    public var initializerCount: Int { initializers.count }

    // MARK: Serialisation

    static func valueInfo(_ name: String, _ dims: [Dimension]) -> ProtobufWriter {
        var shape = ProtobufWriter()
        for d in dims {
            var dim = ProtobufWriter()
            switch d {
            case .fixed(let v): dim.int(1, v)
            case .named(let s): dim.string(2, s)
            }
            shape.message(1, dim)
        }
        var tensorType = ProtobufWriter()
        tensorType.int(1, 1)  // FLOAT
        tensorType.message(2, shape)
        var type = ProtobufWriter()
        type.message(1, tensorType)
        var info = ProtobufWriter()
        info.string(1, name)
        info.message(2, type)
        return info
    }

    static func attribute(_ name: String, _ value: Attribute) -> ProtobufWriter {
        var a = ProtobufWriter()
        a.string(1, name)
        switch value {
        case .float(let f): a.float(2, f); a.int(20, 1)
        case .int(let i): a.int(3, i); a.int(20, 2)
        case .string(let s): a.string(4, s); a.int(20, 3)
        case .ints(let v): a.repeatedInts(8, v.map(Int64.init)); a.int(20, 7)
        }
        return a
    }

    /// The serialised `ModelProto`.
    public func serialized(producer: String, version: String) -> [UInt8] {
        var graph = ProtobufWriter()
        for n in nodes {
            var node = ProtobufWriter()
            for i in n.inputs { node.string(1, i) }
            for o in n.outputs { node.string(2, o) }
            node.string(3, n.name)
            node.string(4, n.op)
            for (k, v) in n.attributes { node.message(5, Self.attribute(k, v)) }
            graph.message(1, node)
        }
        graph.string(2, name)
        for t in initializers {
            var tensor = ProtobufWriter()
            tensor.repeatedInts(1, t.dims.map(Int64.init))
            tensor.int(2, t.dataType)
            tensor.string(8, t.name)
            tensor.bytes(9, t.raw)
            graph.message(5, tensor)
        }
        for (n, d) in inputs { graph.message(11, Self.valueInfo(n, d)) }
        for (n, d) in outputs { graph.message(12, Self.valueInfo(n, d)) }

        var model = ProtobufWriter()
        model.int(1, 8)  // IR version 8 (opset 17's)
        var opsetId = ProtobufWriter()
        opsetId.string(1, "")
        opsetId.int(2, opset)
        model.message(8, opsetId)
        model.string(2, producer)
        model.string(3, version)
        if !docString.isEmpty { model.string(6, docString) }
        model.message(7, graph)
        for (k, v) in metadata {
            var entry = ProtobufWriter()
            entry.string(1, k)
            entry.string(2, v)
            model.message(14, entry)
        }
        return model.bytes
    }
}
