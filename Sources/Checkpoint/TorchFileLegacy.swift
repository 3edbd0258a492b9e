/// The format `torch.save` wrote before torch 1.6: five pickles, then the raw storages.
///
///     pickle 1  the magic number 0x1950a86a20f9469cfc6c
///     pickle 2  the protocol version, 1001
///     pickle 3  system info: {"protocol_version", "little_endian", "type_sizes"}
///     pickle 4  the object; tensors name their storages through persistent ids
///     pickle 5  the list of storage keys, in the order their data follows
///     then, per key: an int64 element count and count × element-size bytes, little-endian
enum TorchLegacyFormat {
    /// The magic number as pickle's LONG1 stores it: little-endian two's complement.
    static let magicNumber: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion = 1001

    static func read(_ bytes: [UInt8]) throws -> TorchFileContents {
        var reader = PickleByteReader(bytes)

        let magic = try unpickle(&reader, "the magic number").value
        guard case .bigInt(let magicBytes) = magic, magicBytes == magicNumber else {
            throw PickleError("not a PyTorch checkpoint: wrong magic number")
        }
        guard case .int(protocolVersion) = try unpickle(&reader, "the protocol version").value else {
            throw PickleError("unsupported legacy protocol version (expected \(protocolVersion))")
        }
        let (sysInfo, sysInfoHeap) = try unpickle(&reader, "the system info")
        guard case .dict(let sysInfoIndex) = sysInfo else {
            throw PickleError("the system info is a \(sysInfo.typeName), not a dict")
        }
        if case .bool(false)? = sysInfoHeap.dicts[sysInfoIndex]["little_endian"] {
            throw PickleError("big-endian checkpoints are not supported")
        }

        let table = TorchStorageTable(legacy: true)
        let (root, heap) = try unpickle(&reader, "the object", persistentLoad: table.resolve)

        let (keyList, keyHeap) = try unpickle(&reader, "the storage key list")
        guard case .list(let keyListIndex) = keyList else {
            throw PickleError("the storage key list is a \(keyList.typeName), not a list")
        }
        var storages: [String: ArraySlice<UInt8>] = [:]
        for item in keyHeap.lists[keyListIndex] {
            guard case .string(let key) = item else {
                throw PickleError("a storage key is a \(item.typeName), not a str")
            }
            guard let storage = table.roots[key] else {
                throw PickleError("storage \"\(key)\" is listed but no tensor references it")
            }
            guard storages[key] == nil else { throw PickleError("storage \"\(key)\" is listed twice") }
            do {
                let count = try reader.int64()
                guard count == storage.count else {
                    throw PickleError("it holds \(count) elements, its persistent id says \(storage.count)")
                }
                let (byteCount, overflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.elementSize)
                guard !overflow else { throw PickleError("it is too large") }
                storages[key] = try reader.take(byteCount)
            } catch let error as PickleError {
                throw PickleError("in the data of storage \"\(key)\": \(error.reason)")
            }
        }
        if let missing = table.order.first(where: { storages[$0] == nil }) {
            throw PickleError("storage \"\(missing)\" is referenced but its data is not in the file")
        }
        return TorchFileContents(root: root, heap: heap, storages: storages)
    }

    /// Runs one pickle of the sequence, naming it in errors.
    private static func unpickle(
        _ reader: inout PickleByteReader, _ what: String, persistentLoad: PickleMachine.PersistentLoad? = nil
    ) throws -> (value: PickleValue, heap: PickleHeap) {
        var machine = PickleMachine(reader: reader, persistentLoad: persistentLoad)
        do {
            let value = try machine.load()
            reader = machine.reader
            return (value, machine.heap)
        } catch let error as PickleError {
            throw PickleError("in \(what): \(error.reason)")
        }
    }
}
