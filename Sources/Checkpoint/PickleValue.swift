/// A value produced by the restricted unpickler.
///
/// Containers live in a `PickleHeap` and values refer to them by index, so a value never
/// nests another directly: a deeply nested or self-referencing pickle cannot make copying or
/// freeing values recurse, and cycles cannot leak.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer beyond `Int`: its minimal little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(Int)
    case list(Int)
    case dict(Int)
    /// One of the allow-listed globals.
    case global(PickleGlobal)
    /// A storage named by a persistent id (boxed, like the tensor, to keep values small).
    indirect case storage(TorchStorageRef)
    /// A tensor rebuilt by `_rebuild_tensor_v2` and friends (parameters included).
    indirect case tensor(TorchTensorRef)

    /// The kind of value, for error messages.
    var typeName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let global): return global.dottedName
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// The containers of one unpickling run.
struct PickleHeap {
    var tuples: [[PickleValue]] = []
    var lists: [[PickleValue]] = []
    var dicts: [PickleDict] = []

    mutating func newTuple(_ items: [PickleValue]) -> PickleValue {
        tuples.append(items)
        return .tuple(tuples.count - 1)
    }

    mutating func newList(_ items: [PickleValue]) -> PickleValue {
        lists.append(items)
        return .list(lists.count - 1)
    }

    mutating func newDict() -> PickleValue {
        dicts.append(PickleDict())
        return .dict(dicts.count - 1)
    }

    /// The items of a tuple value, or an error naming `what` the tuple was expected for.
    func tupleItems(_ value: PickleValue, _ what: String) throws -> [PickleValue] {
        guard case .tuple(let index) = value else {
            throw PickleError("\(what) must be a tuple, not \(value.typeName)")
        }
        return tuples[index]
    }

    /// The items of a tuple of integers (a tensor's size or stride).
    func intTuple(_ value: PickleValue, _ what: String) throws -> [Int] {
        try tupleItems(value, what).map { item in
            guard case .int(let int) = item else {
                throw PickleError("\(what) must hold ints, not \(item.typeName)")
            }
            return int
        }
    }
}

/// An insertion-ordered dictionary, as Python's `dict` and `OrderedDict` are.
struct PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var positions: [PickleDictKey: Int] = [:]

    /// Sets `key` to `value`; an existing key keeps its place, as in Python.
    mutating func set(_ key: PickleValue, _ value: PickleValue) throws {
        let hashKey = try PickleDictKey(key)
        if let position = positions[hashKey] {
            entries[position].value = value
        } else {
            positions[hashKey] = entries.count
            entries.append((key, value))
        }
    }

    subscript(key: String) -> PickleValue? {
        positions[.string(key)].map { entries[$0].value }
    }
}

/// The hashable keys a state dict can use. Python treats `True == 1` and `1.0 == 1`, so
/// bools and integral floats hash as ints.
enum PickleDictKey: Hashable {
    case none
    case int(Int)
    case bigInt([UInt8])
    case float(UInt64)
    case string(String)
    case bytes([UInt8])

    init(_ value: PickleValue) throws {
        switch value {
        case .none: self = .none
        case .bool(let bool): self = .int(bool ? 1 : 0)
        case .int(let int): self = .int(int)
        case .bigInt(let bytes): self = .bigInt(bytes)
        case .float(let double):
            if let int = Int(exactly: double) { self = .int(int) } else { self = .float(double.bitPattern) }
        case .string(let string): self = .string(string)
        case .bytes(let bytes): self = .bytes(bytes)
        default: throw PickleError("unsupported dict key of type \(value.typeName)")
        }
    }
}
