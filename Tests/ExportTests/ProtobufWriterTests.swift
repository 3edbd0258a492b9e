import XCTest
@testable import Export

final class ProtobufWriterTests: XCTestCase {
    func testEncodingsMatchTheWireFormat() {
        // The protobuf documentation's worked examples: field 1 = 150, field 2 = "testing".
        var w = ProtobufWriter()
        w.int(1, 150)
        XCTAssertEqual(w.bytes, [0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.string(2, "testing")
        XCTAssertEqual(w.bytes, [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67])
        // Negative int64: ten bytes of two's complement.
        w = ProtobufWriter()
        w.int(3, Int64(-1))
        XCTAssertEqual(w.bytes, [0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        // 1.0 as fixed32 (wire type 5), little-endian.
        w = ProtobufWriter()
        w.float(2, 1)
        XCTAssertEqual(w.bytes, [0x15, 0x00, 0x00, 0x80, 0x3F])
        // Nested message: field 3 holding field 1 = 150.
        var inner = ProtobufWriter()
        inner.int(1, 150)
        w = ProtobufWriter()
        w.message(3, inner)
        XCTAssertEqual(w.bytes, [0x1A, 0x03, 0x08, 0x96, 0x01])
        // Field numbers above 15 take a two-byte key (AttributeProto.type is 20).
        w = ProtobufWriter()
        w.int(20, 7)
        XCTAssertEqual(w.bytes, [0xA0, 0x01, 0x07])
        w = ProtobufWriter()
        w.repeatedInts(8, [1, 300])
        XCTAssertEqual(w.bytes, [0x40, 0x01, 0x40, 0xAC, 0x02])
    }
}
