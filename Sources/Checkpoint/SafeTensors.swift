import Foundation
import TensorCore

/// safetensors files: an 8-byte little-endian header length N, N bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, …,
/// "__metadata__": {string: string}}`), then the raw little-endian tensor bytes, with
/// offsets relative to the start of that data block.
///
/// Reading maps the file and checks every claim in the header against the file before
/// touching data, so a truncated or inconsistent file is a clear error and never a crash or
/// a huge allocation. Writing goes to a temporary file that is renamed into place.
public struct SafeTensorsFile {
    public var tensors: [(name: String, tensor: Tensor)]
    public var metadata: [String: String]

    public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Headers larger than this are refused (real ones are a few hundred kB).
    public static let maxHeaderBytes = 100 << 20

    static let sizes: [String: Int] = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]

    public static func read(path: String) throws -> SafeTensorsFile {
        func fail(_ why: String) -> CheckpointError { CheckpointError(path: path, reason: why) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw fail("cannot read: \(error.localizedDescription)")
        }
        guard data.count >= 8 else { throw fail("truncated: \(data.count) bytes, no header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(maxHeaderBytes) else { throw fail("header length \(headerLength) is implausible") }
        guard 8 + Int(headerLength) <= data.count else {
            throw fail("truncated: header claims \(headerLength) bytes, file has \(data.count - 8) after the length")
        }
        let headerBytes = data.subdata(in: 8..<(8 + Int(headerLength)))
        guard let header = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let base = 8 + Int(headerLength)
        let available = data.count - base
        var metadata: [String: String] = [:]
        if let meta = header["__metadata__"] {
            guard let m = meta as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
            metadata = m
        }
        var entries: [(name: String, begin: Int, end: Int, dtype: String, shape: [Int])] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor \(name): needs dtype, shape and data_offsets")
            }
            guard let size = sizes[dtype] else { throw fail("tensor \(name): unsupported dtype \(dtype)") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor \(name): negative dimension in \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, end <= available else {
                throw fail("tensor \(name): data offsets \(offsets) outside the \(available)-byte data block (truncated?)")
            }
            var count = 1
            for d in shape {
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw fail("tensor \(name): shape \(shape) overflows") }
                count = p
            }
            guard count.multipliedReportingOverflow(by: size).partialValue == end - begin else {
                throw fail("tensor \(name): \(dtype) \(shape) needs \(count * size) bytes, offsets give \(end - begin)")
            }
            entries.append((name, begin, end, dtype, shape))
        }
        entries.sort { $0.begin < $1.begin || ($0.begin == $1.begin && $0.name < $1.name) }
        for (a, b) in zip(entries, entries.dropFirst()) where b.begin < a.end {
            throw fail("tensors \(a.name) and \(b.name) overlap")
        }
        var tensors: [(String, Tensor)] = []
        try data.withUnsafeBytes { raw in
            for e in entries {
                let bytes = UnsafeRawBufferPointer(rebasing: raw[(base + e.begin)..<(base + e.end)])
                guard let values = decode(bytes, dtype: e.dtype) else { throw fail("tensor \(e.name): cannot convert \(e.dtype)") }
                tensors.append((e.name, Tensor(shape: Shape(e.shape), data: values)))
            }
        }
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Little-endian values of `dtype` as Float.
    static func decode(_ b: UnsafeRawBufferPointer, dtype: String) -> [Float]? {
        func load<T: FixedWidthInteger>(_ t: T.Type, _ i: Int) -> T { T(littleEndian: b.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
        switch dtype {
        case "F32": return (0..<(b.count / 4)).map { Float(bitPattern: load(UInt32.self, $0)) }
        case "F64": return (0..<(b.count / 8)).map { Float(Double(bitPattern: load(UInt64.self, $0))) }
        case "F16": return (0..<(b.count / 2)).map { Float(Float16(bitPattern: load(UInt16.self, $0))) }
        case "BF16": return (0..<(b.count / 2)).map { Float(bitPattern: UInt32(load(UInt16.self, $0)) << 16) }
        case "I64": return (0..<(b.count / 8)).map { Float(Int64(bitPattern: load(UInt64.self, $0))) }
        case "I32": return (0..<(b.count / 4)).map { Float(Int32(bitPattern: load(UInt32.self, $0))) }
        case "I16": return (0..<(b.count / 2)).map { Float(Int16(bitPattern: load(UInt16.self, $0))) }
        case "I8": return b.map { Float(Int8(bitPattern: $0)) }
        case "U8", "BOOL": return b.map { Float($0) }
        default: return nil
        }
    }

    /// Writes F32 tensors and the metadata atomically (temporary file, then rename).
    public func write(to path: String) throws {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, t) in tensors {
            guard name != "__metadata__", header[name] == nil else { throw CheckpointError(path: path, reason: "duplicate or reserved tensor name \(name)") }
            header[name] = ["dtype": "F32", "shape": t.shape.dims, "data_offsets": [offset, offset + t.count * 4]] as [String: Any]
            offset += t.count * 4
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad so the data block is 8-byte aligned
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for (_, t) in tensors {
            #if _endian(little)
            t.data.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            for v in t.data { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            #endif
        }
        try writeAtomically(out, to: path)
    }
}

/// Writes `data` beside `path` under a temporary name, then renames it over `path`, so
/// readers see either the old file or the complete new one.
public func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent()
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    do {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try data.write(to: tmp)
        if rename(tmp.path, path) != 0 { throw CheckpointError(path: path, reason: String(cString: strerror(errno))) }
    } catch let e as CheckpointError {
        try? FileManager.default.removeItem(at: tmp)
        throw e
    } catch {
        try? FileManager.default.removeItem(at: tmp)
        throw CheckpointError(path: path, reason: "cannot write: \(error.localizedDescription)")
    }
}
