import CGzip
import Foundation
import TensorCore

/// gzip decompression through zlib (for the `.gz` IDX files Debian ships).
enum Gzip {
    /// The decompressed bytes, refusing more than `limit` (a corrupt or hostile size field
    /// cannot make it allocate without bound).
    static func decompress(_ input: [UInt8], path: String, limit: Int = 1 << 31) throws -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError(path: path, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var input = input
        var status: Int32 = Z_OK
        try input.withUnsafeMutableBufferPointer { inp in
            stream.next_in = inp.baseAddress
            stream.avail_in = UInt32(inp.count)
            repeat {
                try chunk.withUnsafeMutableBufferPointer { buf in
                    stream.next_out = buf.baseAddress
                    stream.avail_out = UInt32(buf.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END else {
                        throw DatasetError(path: path, reason: status == Z_BUF_ERROR ? "truncated gzip data" : "corrupt gzip data (zlib \(status))")
                    }
                    out.append(contentsOf: buf.prefix(buf.count - Int(stream.avail_out)))
                }
                if out.count > limit { throw DatasetError(path: path, reason: "decompresses to more than \(limit) bytes") }
                if status != Z_STREAM_END && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw DatasetError(path: path, reason: "truncated gzip data")
                }
            } while status != Z_STREAM_END
        }
        return out
    }
}

/// A dataset that cannot be read: names the file and the reason.
public typealias DatasetError = FileError
