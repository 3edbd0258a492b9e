import Foundation

/// NumPy `.npy` (format 1.0) for float32 arrays: the magic string, a Python-dict header
/// padded to a multiple of 64 bytes, then little-endian row-major data — what `numpy.load`
/// reads directly.
public enum Npy {
    public static func header(shape: [Int]) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
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
