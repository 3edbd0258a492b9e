/// The only globals the unpickler resolves: what a PyTorch state dict needs. GLOBAL and
/// STACK_GLOBAL name anything else only to be refused; nothing is ever imported or run.
enum PickleGlobal: Equatable {
    /// `collections.OrderedDict`: an empty dict, filled by SETITEMS.
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)`, from older releases.
    case rebuildTensor
    /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`.
    case rebuildParameter
    /// `torch.nn.parameter.Parameter(tensor[, requires_grad])`.
    case parameter
    /// `torch.FloatStorage` and the other typed storage classes of persistent ids.
    case storageType(TorchDType)

    /// Resolves `module.name`, refusing everything outside the allow-list.
    init(module: String, name: String) throws {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch.nn.parameter", "Parameter"): self = .parameter
        default:
            guard module == "torch", let dtype = TorchDType(storageClass: name) else {
                throw PickleError("refuses global \(module).\(name)")
            }
            self = .storageType(dtype)
        }
    }

    var dottedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .parameter: return "torch.nn.parameter.Parameter"
        case .storageType(let dtype): return "torch.\(dtype.storageClass)"
        }
    }

    /// REDUCE: calls the global with `args`.
    func call(_ args: [PickleValue], heap: inout PickleHeap) throws -> PickleValue {
        switch self {
        case .orderedDict:
            guard args.isEmpty else { throw PickleError("\(dottedName) with arguments is not supported") }
            return heap.newDict()
        case .rebuildTensorV2:
            guard args.count == 6 || args.count == 7 else { throw argumentCount(args, "6 or 7") }
            return try rebuildTensor(args, heap: heap)
        case .rebuildTensor:
            guard args.count == 4 else { throw argumentCount(args, "4") }
            return try rebuildTensor(args, heap: heap)
        case .rebuildParameter:
            guard args.count == 3 else { throw argumentCount(args, "3") }
            return try parameterData(args[0])
        case .parameter:
            guard args.count == 1 || args.count == 2 else { throw argumentCount(args, "1 or 2") }
            return try parameterData(args[0])
        case .storageType:
            throw PickleError("\(dottedName) cannot be called")
        }
    }

    /// NEWOBJ: `cls.__new__(cls, *args)`, which for the allowed classes is the same as a call.
    func newObject(_ args: [PickleValue], heap: inout PickleHeap) throws -> PickleValue {
        switch self {
        case .orderedDict: return heap.newDict()
        case .parameter: return try call(args, heap: &heap)
        default: throw PickleError("NEWOBJ of \(dottedName) is not supported")
        }
    }

    /// The tensor a rebuild function describes; requires_grad, hooks and metadata are ignored.
    private func rebuildTensor(_ args: [PickleValue], heap: PickleHeap) throws -> PickleValue {
        guard case .storage(let storage) = args[0] else {
            throw PickleError("\(dottedName) expects a storage, not \(args[0].typeName)")
        }
        guard case .int(let offset) = args[1] else {
            throw PickleError("\(dottedName) expects an int storage offset, not \(args[1].typeName)")
        }
        let shape = try heap.intTuple(args[2], "tensor size")
        let stride = try heap.intTuple(args[3], "tensor stride")
        return .tensor(try TorchTensorRef(storage: storage, offset: offset, shape: shape, stride: stride))
    }

    private func parameterData(_ value: PickleValue) throws -> PickleValue {
        guard case .tensor = value else {
            throw PickleError("\(dottedName) expects a tensor, not \(value.typeName)")
        }
        return value
    }

    private func argumentCount(_ args: [PickleValue], _ expected: String) -> PickleError {
        PickleError("\(dottedName) expects \(expected) arguments, got \(args.count)")
    }
}
