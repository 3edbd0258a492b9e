import Foundation

/// NumPy `.npy` (format 1.0) for float32 arrays: the magic string, a Python-dict header
/// padded to a multiple of 64 bytes, then little-endian row-major data — what `numpy.load`
/// reads directly.
public enum Npy {
    /// `rowsWidth`: pad the first dimension to this many characters, so a streaming writer can
    /// rewrite the header in place once the row count is known (spaces are valid in the tuple).
    public static func header(shape: [Int], rowsWidth: Int = 0) -> Data {
        var parts = shape.map(String.init)
        if !parts.isEmpty && parts[0].count < rowsWidth { parts[0] = String(repeating: " ", count: rowsWidth - parts[0].count) + parts[0] }
        let dims = parts.joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        let base = 10  // magic (6) + version (2) + header length (2)
        while (base + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        var d = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let n = UInt16(dict.utf8.count)
        d.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
        d.append(contentsOf: Array(dict.utf8))
        return d
    }

    /// The whole file for `values` of `shape`.
    public static func encode(_ values: [Float], shape: [Int]) -> Data {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        var d = header(shape: shape)
        values.withUnsafeBufferPointer { p in
            for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        }
        return d
    }
}

/// Writes an (N, D) float32 `.npy` one row at a time, never holding the matrix: rows go to
/// `FILE.partial` after a header with room for any N, the header is rewritten with the final
/// N, and the file is renamed into place.
public final class NpyRowWriter {
    let path: String
    let handle: FileHandle
    public let width: Int
    public private(set) var rows = 0
    var buffer = Data()

    public init(path: String, width: Int) throws {
        self.path = path
        self.width = width
        let partial = path + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: Npy.header(shape: [0, width], rowsWidth: 20)),
              let h = FileHandle(forWritingAtPath: partial) else { throw WalkError(path: partial, reason: "cannot write") }
        handle = h
        handle.seekToEndOfFile()
    }

    public func append(_ row: [Float]) {
        precondition(row.count == width, "row of \(row.count) values for width \(width)")
        row.withUnsafeBufferPointer { p in for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { buffer.append(contentsOf: $0) } } }
        rows += 1
        if buffer.count > 1 << 20 { handle.write(buffer); buffer.removeAll(keepingCapacity: true) }
    }

    public func finish() throws {
        handle.write(buffer)
        handle.seek(toFileOffset: 0)
        handle.write(Npy.header(shape: [rows, width], rowsWidth: 20))
        try handle.synchronize()
        try handle.close()
        if rename(path + ".partial", path) != 0 { throw WalkError(path: path, reason: String(cString: strerror(errno))) }
    }
}
