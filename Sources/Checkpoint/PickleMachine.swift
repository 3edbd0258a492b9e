import Foundation

/// The pickle opcodes the restricted unpickler runs: enough for PyTorch state dicts in
/// protocols 0–5. Any other byte in opcode position is an error naming it.
enum PickleOpcode: UInt8 {
    case proto = 0x80, frame = 0x95, stop = 0x2E  // PROTO, FRAME, "."
    case mark = 0x28, pop = 0x30, popMark = 0x31, dup = 0x32  // "(", "0", "1", "2"
    case none = 0x4E, newTrue = 0x88, newFalse = 0x89  // "N"
    case int = 0x49, binInt = 0x4A, binInt1 = 0x4B, binInt2 = 0x4D  // "I", "J", "K", "M"
    case long = 0x4C, long1 = 0x8A, long4 = 0x8B  // "L"
    case binFloat = 0x47  // "G"
    case string = 0x53, binString = 0x54, shortBinString = 0x55  // "S", "T", "U"
    case binUnicode = 0x58, shortBinUnicode = 0x8C, binUnicode8 = 0x8D  // "X"
    case binBytes = 0x42, shortBinBytes = 0x43, binBytes8 = 0x8E  // "B", "C"
    case emptyTuple = 0x29, tuple = 0x74, tuple1 = 0x85, tuple2 = 0x86, tuple3 = 0x87  // ")", "t"
    case emptyList = 0x5D, list = 0x6C, append = 0x61, appends = 0x65  // "]", "l", "a", "e"
    case emptyDict = 0x7D, dict = 0x64, setItem = 0x73, setItems = 0x75  // "}", "d", "s", "u"
    case global = 0x63, stackGlobal = 0x93  // "c"
    case reduce = 0x52, build = 0x62, newObj = 0x81  // "R", "b"
    case put = 0x70, binPut = 0x71, longBinPut = 0x72, memoize = 0x94  // "p", "q", "r"
    case get = 0x67, binGet = 0x68, longBinGet = 0x6A  // "g", "h", "j"
    case persID = 0x50, binPersID = 0x51  // "P", "Q"
}

/// A pickle virtual machine that builds data only. Globals resolve through the allow-list
/// of `PickleGlobal`, REDUCE/NEWOBJ/BUILD apply to those alone, and persistent ids are
/// handed to the caller. Nothing from the file is ever imported or executed.
struct PickleMachine {
    /// Resolves a persistent id (the value BINPERSID pops, or PERSID's string).
    typealias PersistentLoad = (_ pid: PickleValue, _ heap: PickleHeap) throws -> PickleValue

    private(set) var reader: PickleByteReader
    private(set) var heap = PickleHeap()
    private let persistentLoad: PersistentLoad?
    private var stack: [PickleValue] = []
    /// Stack heights recorded by MARK; values below the top mark are out of reach.
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    /// Prepares to unpickle the pickle that starts at `reader`'s position.
    init(reader: PickleByteReader, persistentLoad: PersistentLoad? = nil) {
        self.reader = reader
        self.persistentLoad = persistentLoad
    }

    /// Runs to STOP and returns the pickled object; `reader` is then just past the STOP.
    mutating func load() throws -> PickleValue {
        while true {
            let offset = reader.position
            let byte = try reader.byte()
            guard let opcode = PickleOpcode(rawValue: byte) else {
                throw PickleError("unsupported pickle opcode \(Self.hex(byte)) at offset \(offset)")
            }
            do {
                if let result = try execute(opcode) { return result }
            } catch var error as PickleError {
                error.reason += " (opcode \(Self.hex(byte)) at offset \(offset))"
                throw error
            }
        }
    }

    /// Runs one opcode; returns the pickled object at STOP, nil otherwise.
    private mutating func execute(_ opcode: PickleOpcode) throws -> PickleValue? {
        switch opcode {
        case .stop:
            return try pop()
        case .proto:
            let version = try reader.byte()
            guard version <= 5 else { throw PickleError("unsupported pickle protocol \(version)") }
        case .frame:
            // Frames only group opcodes for buffered reading; the length is checked and skipped.
            let length = try reader.uint64()
            guard length <= UInt64(reader.remaining) else { throw PickleError("frame of \(length) bytes is truncated") }

        case .mark: marks.append(stack.count)
        case .pop:
            if stack.count > fence {
                stack.removeLast()
            } else if marks.last == stack.count {
                marks.removeLast()  // as Python does: POP right after MARK discards the mark
            } else {
                throw PickleError("stack underflow")
            }
        case .popMark: _ = try popToMark()
        case .dup: push(try top())

        case .none: push(.none)
        case .newTrue: push(.bool(true))
        case .newFalse: push(.bool(false))
        case .int:
            // Protocol 0 writes bools as "01"/"00" and ints in decimal.
            let text = try ascii(reader.line())
            switch text {
            case "01": push(.bool(true))
            case "00": push(.bool(false))
            default: push(.int(try decimal(text)))
            }
        case .binInt: push(.int(Int(try reader.int32())))
        case .binInt1: push(.int(Int(try reader.byte())))
        case .binInt2: push(.int(Int(try reader.uint16())))
        case .long:
            var text = try ascii(reader.line())
            if text.hasSuffix("L") { text.removeLast() }
            push(.int(try decimal(text)))
        case .long1: push(Self.twosComplement(try reader.take(Int(try reader.byte()))))
        case .long4:
            let count = try reader.int32()
            guard count >= 0 else { throw PickleError("negative LONG4 byte count \(count)") }
            push(Self.twosComplement(try reader.take(Int(count))))
        case .binFloat: push(.float(try reader.float64BigEndian()))

        case .string:
            // Protocol 0: a quoted Python bytes literal with backslash escapes.
            let quoted = try reader.line()
            guard quoted.count >= 2, let quote = quoted.first, quote == quoted.last,
                  quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
                throw PickleError("the STRING argument must be quoted")
            }
            push(.string(try utf8(try Self.unescape(quoted.dropFirst().dropLast()))))
        // torch.load decodes Python 2 byte strings as UTF-8 text.
        case .binString: push(.string(try utf8(reader.take(Int(try reader.int32())))))
        case .shortBinString: push(.string(try utf8(reader.take(Int(try reader.byte())))))
        case .binUnicode: push(.string(try utf8(reader.take(UInt64(try reader.uint32())))))
        case .shortBinUnicode: push(.string(try utf8(reader.take(Int(try reader.byte())))))
        case .binUnicode8: push(.string(try utf8(reader.take(try reader.uint64()))))
        case .binBytes: push(.bytes(Array(try reader.take(UInt64(try reader.uint32())))))
        case .shortBinBytes: push(.bytes(Array(try reader.take(Int(try reader.byte())))))
        case .binBytes8: push(.bytes(Array(try reader.take(try reader.uint64()))))

        case .emptyTuple: push(heap.newTuple([]))
        case .tuple: push(heap.newTuple(try popToMark()))
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - PickleOpcode.tuple1.rawValue) + 1
            guard stack.count - fence >= count else { throw PickleError("stack underflow") }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            push(heap.newTuple(items))

        case .emptyList: push(heap.newList([]))
        case .list: push(heap.newList(try popToMark()))
        case .append:
            let item = try pop()
            heap.lists[try topList()].append(item)
        case .appends:
            let items = try popToMark()
            heap.lists[try topList()].append(contentsOf: items)

        case .emptyDict: push(heap.newDict())
        case .dict:
            let dict = heap.newDict()
            try setItems(try popToMark(), in: dict)
            push(dict)
        case .setItem:
            let value = try pop()
            let key = try pop()
            try setItems([key, value], in: try top())
        case .setItems:
            let items = try popToMark()
            try setItems(items, in: try top())

        case .global:
            let module = try utf8(reader.line())
            let name = try utf8(reader.line())
            push(.global(try PickleGlobal(module: module, name: name)))
        case .stackGlobal:
            let name = try pop()
            let module = try pop()
            guard case .string(let moduleName) = module, case .string(let globalName) = name else {
                throw PickleError("STACK_GLOBAL needs two strings, not \(module.typeName) and \(name.typeName)")
            }
            push(.global(try PickleGlobal(module: moduleName, name: globalName)))
        case .reduce, .newObj:
            let args = try heap.tupleItems(try pop(), "the arguments of \(opcode == .reduce ? "REDUCE" : "NEWOBJ")")
            let callable = try pop()
            guard case .global(let global) = callable else {
                throw PickleError("a \(callable.typeName) cannot be called")
            }
            push(opcode == .reduce ? try global.call(args, heap: &heap) : try global.newObject(args, heap: &heap))
        case .build:
            // BUILD sets attributes; the only ones a state dict carries (OrderedDict's
            // `_metadata`, a tensor's Python attributes) are not needed here.
            let state = try pop()
            let object = try top()
            switch object {
            case .dict, .tensor: break
            default: throw PickleError("BUILD of \(object.typeName) with \(state.typeName) is not supported")
            }

        case .put: memo[try decimal(ascii(reader.line()))] = try top()
        case .binPut: memo[Int(try reader.byte())] = try top()
        case .longBinPut: memo[Int(try reader.uint32())] = try top()
        case .memoize: memo[memo.count] = try top()
        case .get: push(try memoValue(decimal(ascii(reader.line()))))
        case .binGet: push(try memoValue(Int(try reader.byte())))
        case .longBinGet: push(try memoValue(Int(try reader.uint32())))

        case .persID: push(try resolvePersistent(.string(try ascii(reader.line()))))
        case .binPersID: push(try resolvePersistent(try pop()))
        }
        return nil
    }

    // MARK: - Stack

    /// The lowest stack index the current MARK leaves in reach.
    private var fence: Int { marks.last ?? 0 }

    private mutating func push(_ value: PickleValue) { stack.append(value) }

    private mutating func pop() throws -> PickleValue {
        guard stack.count > fence else { throw PickleError("stack underflow") }
        return stack.removeLast()
    }

    private func top() throws -> PickleValue {
        guard stack.count > fence, let value = stack.last else { throw PickleError("stack underflow") }
        return value
    }

    private mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw PickleError("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func topList() throws -> Int {
        let value = try top()
        guard case .list(let index) = value else { throw PickleError("cannot append to a \(value.typeName)") }
        return index
    }

    private mutating func setItems(_ items: [PickleValue], in target: PickleValue) throws {
        guard case .dict(let index) = target else { throw PickleError("cannot set items of a \(target.typeName)") }
        guard items.count % 2 == 0 else { throw PickleError("odd number of items for a dict") }
        for pair in stride(from: 0, to: items.count, by: 2) {
            try heap.dicts[index].set(items[pair], items[pair + 1])
        }
    }

    private func memoValue(_ key: Int) throws -> PickleValue {
        guard let value = memo[key] else { throw PickleError("memo key \(key) is missing") }
        return value
    }

    private func resolvePersistent(_ pid: PickleValue) throws -> PickleValue {
        guard let persistentLoad else { throw PickleError("unexpected persistent id") }
        return try persistentLoad(pid, heap)
    }

    // MARK: - Arguments

    /// "0x0a" for 10: opcodes as Python's pickletools names them.
    private static func hex(_ byte: UInt8) -> String {
        "0x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
    }

    private func ascii(_ bytes: ArraySlice<UInt8>) throws -> String {
        guard bytes.allSatisfy({ $0 < 0x80 }) else { throw PickleError("non-ASCII text argument") }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func utf8<Bytes: Collection>(_ bytes: Bytes) throws -> String where Bytes.Element == UInt8 {
        guard let string = String(bytes: bytes, encoding: .utf8) else { throw PickleError("invalid UTF-8 string") }
        return string
    }

    /// A decimal integer from a text opcode (surrounding spaces allowed, as `int()` allows).
    private func decimal(_ text: String) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw PickleError("invalid or out-of-range integer \"\(text.prefix(40))\"")
        }
        return value
    }

    /// LONG1/LONG4 payloads: little-endian two's complement of any length.
    static func twosComplement(_ bytes: ArraySlice<UInt8>) -> PickleValue {
        var minimal = Array(bytes)
        // Drop sign-extension bytes that the next byte down already implies.
        while minimal.count > 1,
              let last = minimal.last, last == 0x00 || last == 0xFF,
              (minimal[minimal.count - 2] & 0x80 != 0) == (last == 0xFF) {
            minimal.removeLast()
        }
        guard minimal.count <= 8 else { return .bigInt(minimal) }
        guard let last = minimal.last else { return .int(0) }
        let fill: UInt64 = last & 0x80 != 0 ? ~0 : 0
        let bits = minimal.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let extended = minimal.count == 8 ? bits : fill << (8 * UInt64(minimal.count)) | bits
        return .int(Int(Int64(bitPattern: extended)))
    }

    /// Undoes the escapes of a Python bytes literal (`codecs.escape_decode`).
    static func unescape(_ literal: ArraySlice<UInt8>) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(literal.count)
        var index = literal.startIndex
        func hexDigit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        while index < literal.endIndex {
            let byte = literal[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                continue
            }
            guard index < literal.endIndex else { throw PickleError("trailing backslash in STRING") }
            let escape = literal[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "a"): output.append(0x07)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "v"): output.append(0x0B)
            case UInt8(ascii: "\n"): break  // line continuation
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): output.append(escape)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                // Up to three octal digits, value taken modulo 256.
                var value = Int(escape - UInt8(ascii: "0"))
                for _ in 0..<2 {
                    guard index < literal.endIndex,
                          (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(literal[index]) else { break }
                    value = value * 8 + Int(literal[index] - UInt8(ascii: "0"))
                    index += 1
                }
                output.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "x"):
                guard index + 1 < literal.endIndex, let high = hexDigit(literal[index]),
                      let low = hexDigit(literal[index + 1]) else {
                    throw PickleError("invalid \\x escape in STRING")
                }
                output.append(high << 4 | low)
                index += 2
            default:
                output.append(contentsOf: [UInt8(ascii: "\\"), escape])  // unknown escapes stay as written
            }
        }
        return output
    }
}
