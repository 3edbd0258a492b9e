import Foundation
import ImageIO

/// IDX files (MNIST, Fashion-MNIST): a big-endian magic number whose third byte is the
/// element type (0x08 = unsigned byte) and fourth the number of dimensions, the dimensions
/// as big-endian UInt32, then the data. `.gz` files are decompressed first.
public enum IDX {
    public struct Array: Sendable {
        public var dims: [Int]
        public var bytes: [UInt8]
    }

    public static func read(path: String) throws -> Array {
        guard var raw = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }) else {
            throw DatasetError(path: path, reason: "cannot read")
        }
        if raw.starts(with: [0x1F, 0x8B]) { raw = try Gzip.decompress(raw, path: path) }
        guard raw.count >= 4, raw[0] == 0, raw[1] == 0 else { throw DatasetError(path: path, reason: "not an IDX file (bad magic)") }
        guard raw[2] == 0x08 else { throw DatasetError(path: path, reason: "IDX element type 0x\(String(raw[2], radix: 16)) is not unsigned byte") }
        let rank = Int(raw[3])
        guard rank >= 1, raw.count >= 4 + 4 * rank else { throw DatasetError(path: path, reason: "truncated IDX header") }
        var dims: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            dims.append(Int(raw[o]) << 24 | Int(raw[o + 1]) << 16 | Int(raw[o + 2]) << 8 | Int(raw[o + 3]))
        }
        let count = dims.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        let body = 4 + 4 * rank
        guard count <= raw.count - body else {
            throw DatasetError(path: path, reason: "IDX header declares \(dims) = \(count) bytes, file holds \(raw.count - body) (truncated?)")
        }
        return Array(dims: dims, bytes: Swift.Array(raw[body..<(body + count)]))
    }
}
