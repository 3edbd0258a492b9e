/// An error inside a pickle or a checkpoint's container; `TorchFile.load` turns it into a
/// `CheckpointError` naming the file.
struct PickleError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A bounds-checked cursor over bytes. Every read checks the remaining length first, so a
/// truncated or lying length field gives a `PickleError` instead of a crash or an allocation.
struct PickleByteReader {
    let bytes: [UInt8]
    private(set) var position: Int

    init(_ bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    mutating func byte() throws -> UInt8 {
        try need(1)
        defer { position += 1 }
        return bytes[position]
    }

    /// The next `count` bytes; `count` comes from the file, so it is checked before use.
    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0 else { throw PickleError("negative length \(count) at offset \(position)") }
        try need(count)
        defer { position += count }
        return bytes[position ..< position + count]
    }

    /// Like `take`, for 64-bit unsigned length fields.
    mutating func take(_ count: UInt64) throws -> ArraySlice<UInt8> {
        guard count <= UInt64(remaining) else {
            throw PickleError("length \(count) at offset \(position) exceeds the \(remaining) bytes left")
        }
        return try take(Int(count))
    }

    /// The bytes up to the next newline, which is consumed but not returned.
    mutating func line() throws -> ArraySlice<UInt8> {
        guard let newline = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
            throw PickleError("unterminated line at offset \(position)")
        }
        defer { position = newline + 1 }
        return bytes[position ..< newline]
    }

    mutating func uint16() throws -> UInt16 { UInt16(try littleEndian(2)) }
    mutating func uint32() throws -> UInt32 { UInt32(try littleEndian(4)) }
    mutating func int32() throws -> Int32 { Int32(bitPattern: UInt32(try littleEndian(4))) }
    mutating func uint64() throws -> UInt64 { try littleEndian(8) }
    mutating func int64() throws -> Int64 { Int64(bitPattern: try littleEndian(8)) }

    /// An IEEE double stored big-endian, as pickle's BINFLOAT writes it.
    mutating func float64BigEndian() throws -> Double {
        let raw = try take(8)
        return Double(bitPattern: raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    private mutating func littleEndian(_ width: Int) throws -> UInt64 {
        let raw = try take(width)
        return raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    private func need(_ count: Int) throws {
        guard count <= remaining else {
            throw PickleError("unexpected end of data at offset \(position): needed \(count) bytes, \(remaining) left")
        }
    }
}
