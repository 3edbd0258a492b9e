/// Protocol Buffers wire format, writing side only: enough for ONNX's messages.
///
/// A message is a run of fields, each a key `(field number << 3) | wire type` as a varint
/// and then its value: varint (0) for integers and enums, 64-bit (1), length-delimited (2)
/// for strings, bytes, packed arrays and nested messages, and 32-bit (5) for floats. Fields
/// are written in the order they are added; readers accept any order.
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ type: WireType) {
        precondition(field > 0, "protobuf field numbers start at 1")
        appendVarint(UInt64(field) << 3 | type.rawValue)
    }

    /// An `int32`/`int64`/enum field. Negative values take ten bytes (two's complement), as
    /// the format requires for these types.
    public mutating func int(_ field: Int, _ value: Int64) {
        key(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    public mutating func int(_ field: Int, _ value: Int) { int(field, Int64(value)) }

    public mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        let b = value.bitPattern
        for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: b >> UInt32(s))) }
    }

    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    public mutating func message(_ field: Int, _ value: ProtobufWriter) { bytes(field, value.bytes) }

    /// A repeated integer field, one key per value (proto2's default, unpacked encoding).
    public mutating func repeatedInts(_ field: Int, _ values: [Int64]) {
        for v in values { int(field, v) }
    }

    /// A repeated float field, packed: one length-delimited run of little-endian floats.
    public mutating func packedFloats(_ field: Int, _ values: [Float]) {
        var run = ProtobufWriter()
        run.bytes.reserveCapacity(values.count * 4)
        for v in values {
            let b = v.bitPattern
            for s in stride(from: 0, to: 32, by: 8) { run.bytes.append(UInt8(truncatingIfNeeded: b >> UInt32(s))) }
        }
        bytes(field, run.bytes)
    }
}
