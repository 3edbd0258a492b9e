import Foundation

/// A tensor read from a PyTorch checkpoint.
public struct TorchTensor: Sendable {
    /// The sizes of the dimensions; empty for a scalar.
    public var shape: [Int]
    /// The elements, contiguous in row-major order, converted to float32 from the storage's dtype.
    public var data: [Float]
    /// The storage's element type before conversion: "float32", "float16", "bfloat16",
    /// "float64", "int64", "int32", "int16", "int8", "uint8" or "bool".
    public var sourceDType: String

    public init(shape: [Int], data: [Float], sourceDType: String) {
        self.shape = shape
        self.data = data
        self.sourceDType = sourceDType
    }
}

/// Reads PyTorch `.pth` checkpoints without running any of their code.
///
/// Both formats `torch.save` has written are supported:
/// - legacy (torch < 1.6): a run of pickles followed by the raw storages;
/// - zip (torch ≥ 1.6): an archive holding `data.pkl` and one `data/<key>` record per storage.
///
/// The pickles are read by a restricted unpickler that knows only the opcodes and globals
/// a state dict needs and refuses everything else (`os.system`, `builtins.eval`, ...).
public enum TorchFile {
    /// Loads a state dict from a .pth file (legacy pre-1.6 format or the zip format), in file order.
    /// Nested dicts (e.g. {"state_dict": {...}} or {"model": {...}}) are flattened by joining keys with ".",
    /// except that a single top-level "state_dict"/"model" wrapper is unwrapped.
    ///
    /// The wrapper is unwrapped when it is the top-level dict's only entry. Values that are
    /// neither tensors nor dicts (an epoch number, a list of hyperparameters) are skipped.
    /// Every tensor is materialized as contiguous row-major float32 data.
    ///
    /// - Throws: `CheckpointError` naming `path` when the file cannot be read, is malformed or
    ///   truncated, or references anything outside the allow-list of globals.
    public static func load(path: String) throws -> [(name: String, tensor: TorchTensor)] {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw CheckpointError(path: path, reason: "cannot read file: \(error.localizedDescription)")
        }
        do {
            let contents = data.starts(with: TorchZipFormat.signature)
                ? try TorchZipFormat.read(url: url, fileSize: data.count)
                : try TorchLegacyFormat.read([UInt8](data))
            return try contents.namedTensors()
        } catch let error as PickleError {
            throw CheckpointError(path: path, reason: error.reason)
        }
    }
}

/// What either format yields: the unpickled object and the bytes of each root storage.
struct TorchFileContents {
    var root: PickleValue
    var heap: PickleHeap
    /// Root storage key → its bytes, holding exactly the root's element count.
    var storages: [String: ArraySlice<UInt8>]

    /// No real checkpoint converts to much more than its stored bytes: float32 stays the
    /// same size, small dtypes widen at most 4×, tied weights repeat a storage once or twice,
    /// and names are short. Capping the output (Float data plus names) at this multiple of
    /// the stored bytes, or at `minOutputBytes` for tiny files, keeps a small file that
    /// reuses one storage or key many times, or broadcasts a storage with zero strides, from
    /// demanding a huge allocation.
    static let maxExpansion = 16
    static let minOutputBytes = 1 << 24

    /// The tensors of the state dict, flattened and materialized.
    func namedTensors() throws -> [(name: String, tensor: TorchTensor)] {
        let storedBytes = storages.values.reduce(0) { $0 + $1.count }
        var budget = OutputBudget(limit: max(storedBytes * Self.maxExpansion, Self.minOutputBytes), storedBytes: storedBytes)
        let refs = try flattenedTensors(budget: &budget)
        for (name, ref) in refs {
            try budget.spend(ref.elementCount, of: MemoryLayout<Float>.size, for: "the data of tensor \(name)")
            guard storages[ref.storage.key] != nil else {
                throw PickleError("storage \"\(ref.storage.key)\" of tensor \(name) has no data")
            }
        }
        return refs.map { name, ref in
            let data = ref.gather(from: storages[ref.storage.key] ?? [])
            return (name, TorchTensor(shape: ref.shape, data: data, sourceDType: ref.storage.dtype.rawValue))
        }
    }

    /// Walks the dict tree in order, joining keys with "."; each dict may be reached once.
    private func flattenedTensors(budget: inout OutputBudget) throws -> [(String, TorchTensorRef)] {
        guard case .dict(var rootIndex) = root else {
            throw PickleError("the checkpoint holds a \(root.typeName), not a state dict")
        }
        let top = heap.dicts[rootIndex].entries
        if top.count == 1, case .string(let key) = top[0].key, key == "state_dict" || key == "model",
           case .dict(let inner) = top[0].value {
            rootIndex = inner
        }
        var result: [(String, TorchTensorRef)] = []
        var names = Set<String>()
        var visited: Set<Int> = [rootIndex]
        // A stack of dicts being walked, each with its name and the entries still to visit:
        // iteration instead of recursion, so deep nesting cannot overflow the call stack.
        var pending: [(prefix: String, entries: ArraySlice<(key: PickleValue, value: PickleValue)>)] =
            [("", heap.dicts[rootIndex].entries[...])]
        while !pending.isEmpty {
            guard let entry = pending[pending.count - 1].entries.popFirst() else {
                pending.removeLast()
                continue
            }
            let prefix = pending[pending.count - 1].prefix
            switch entry.value {
            case .tensor(let tensor):
                let name = try Self.join(prefix, entry.key, budget: &budget)
                guard names.insert(name).inserted else { throw PickleError("duplicate tensor name \(name)") }
                result.append((name, tensor))
            case .dict(let index):
                let name = try Self.join(prefix, entry.key, budget: &budget)
                guard visited.insert(index).inserted else {
                    throw PickleError("dict \(name) appears more than once (shared or cyclic)")
                }
                pending.append((name, heap.dicts[index].entries[...]))
            default:
                continue
            }
        }
        return result
    }

    /// `prefix.key`, paid for from `budget`; keys are strings or ints (optimizer states).
    private static func join(_ prefix: String, _ key: PickleValue, budget: inout OutputBudget) throws -> String {
        let text: String
        switch key {
        case .string(let string): text = string
        case .int(let int): text = String(int)
        default: throw PickleError("state dict key of type \(key.typeName) is not supported")
        }
        try budget.spend(prefix.utf8.count + 1 + text.utf8.count, of: 1, for: "the names")
        return prefix.isEmpty ? text : prefix + "." + text
    }
}

/// The bytes the loaded names and Float data may still take.
struct OutputBudget {
    let limit: Int
    let storedBytes: Int
    private var used = 0

    init(limit: Int, storedBytes: Int) {
        self.limit = limit
        self.storedBytes = storedBytes
    }

    mutating func spend(_ count: Int, of size: Int, for what: String) throws {
        guard count <= (limit - used) / size else {
            throw PickleError("\(what) would take the output past \(limit) bytes "
                + "(\(TorchFileContents.maxExpansion)× the \(storedBytes) stored bytes)")
        }
        used += count * size
    }
}

/// Records the storages persistent ids name, shared by both formats.
final class TorchStorageTable {
    /// Root key → element type and element count, in first-reference order.
    private(set) var roots: [String: (dtype: TorchDType, count: Int)] = [:]
    private(set) var order: [String] = []
    private let legacy: Bool

    /// `legacy`: persistent ids carry view metadata (torch < 1.6).
    init(legacy: Bool) { self.legacy = legacy }

    /// Resolves a persistent id:
    /// - legacy: `('storage', storage_type, root_key, location, numel, view_metadata)`, where
    ///   view_metadata is None or `(view_key, offset, view_size)`, a slice of the root;
    /// - zip: `('storage', storage_type, key, location, numel)`.
    func resolve(_ pid: PickleValue, heap: PickleHeap) throws -> PickleValue {
        let items = try heap.tupleItems(pid, "a persistent id")
        guard case .string(let kind)? = items.first, kind == "storage" else {
            throw PickleError("unsupported persistent id: only ('storage', ...) tuples are known")
        }
        guard items.count == (legacy ? 6 : 5) else {
            throw PickleError("storage persistent id has \(items.count) items, expected \(legacy ? 6 : 5)")
        }
        guard case .global(.storageType(let dtype)) = items[1] else {
            throw PickleError("storage type must be a torch storage class, not \(items[1].typeName)")
        }
        guard case .string(let key) = items[2], case .string = items[3], case .int(let count) = items[4], count >= 0 else {
            throw PickleError("malformed storage persistent id")
        }
        if let known = roots[key] {
            guard known.dtype == dtype, known.count == count else {
                throw PickleError("storage \"\(key)\" is declared twice with different types or sizes")
            }
        } else {
            roots[key] = (dtype, count)
            order.append(key)
        }
        var storage = TorchStorageRef(dtype: dtype, key: key, base: 0, count: count)
        if legacy {
            switch items[5] {
            case .none:
                break
            case .tuple:
                let view = try heap.tupleItems(items[5], "storage view metadata")
                guard view.count == 3, case .string = view[0], case .int(let offset) = view[1],
                      case .int(let size) = view[2], offset >= 0, size >= 0, size <= count - offset else {
                    throw PickleError("storage view of \"\(key)\" is malformed or outside its \(count) elements")
                }
                storage.base = offset
                storage.count = size
            default:
                throw PickleError("storage view metadata must be None or a tuple, not \(items[5].typeName)")
            }
        }
        return .storage(storage)
    }
}
