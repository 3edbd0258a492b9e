@testable import Checkpoint
import XCTest

/// The unpickler's building blocks, below the file formats.
final class PickleMachineTests: XCTestCase {
    private func unpickle(_ bytes: [UInt8]) throws -> (PickleValue, PickleHeap) {
        var machine = PickleMachine(reader: PickleByteReader(bytes))
        let value = try machine.load()
        return (value, machine.heap)
    }

    func testIntegers() throws {
        let cases: [([UInt8], Int)] = [
            ([0x4A, 0xFE, 0xFF, 0xFF, 0xFF, 0x2E], -2),  // BININT
            ([0x4D, 0xE9, 0x03, 0x2E], 1001),  // BININT2
            ([0x8A, 0x00, 0x2E], 0),  // LONG1, zero bytes
            ([0x8A, 0x02, 0xFF, 0x00, 0x2E], 255),  // LONG1 with a sign byte
            ([0x8A, 0x01, 0x80, 0x2E], -128),
            ([0x8A, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E], -1),
            ([0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x2E], Int.min),
            (Array("I-42\n.".utf8), -42),
            (Array("L12345678901L\n.".utf8), 12_345_678_901),
        ]
        for (bytes, expected) in cases {
            guard case .int(let value) = try unpickle(bytes).0 else { return XCTFail("\(bytes) is no int") }
            XCTAssertEqual(value, expected, "\(bytes)")
        }
        // Beyond 64 bits: kept as minimal two's-complement bytes.
        guard case .bigInt(let big) = try unpickle([0x8A, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x2E]).0 else {
            return XCTFail("2^64 is no big int")
        }
        XCTAssertEqual(big, [0, 0, 0, 0, 0, 0, 0, 0, 0x01])
    }

    func testStringsAndFloats() throws {
        guard case .string(let quoted) = try unpickle(Array("S'a\\x41\\n\\'\\101'\n.".utf8)).0 else {
            return XCTFail("STRING")
        }
        XCTAssertEqual(quoted, "aA\n'A")
        guard case .string(let unicode) = try unpickle([0x8C, 0x03, 0xC3, 0xA9, 0x21, 0x2E]).0 else {
            return XCTFail("SHORT_BINUNICODE")
        }
        XCTAssertEqual(unicode, "é!")
        guard case .float(let double) = try unpickle([0x47, 0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18, 0x2E]).0 else {
            return XCTFail("BINFLOAT")
        }
        XCTAssertEqual(double, Double.pi)
    }

    func testContainersAndMemo() throws {
        // {"a": [1, 2], "b": ("x", "x")} with the string memoized and fetched again.
        let bytes: [UInt8] = [0x80, 0x02, 0x7D, 0x28, 0x8C, 0x01, 0x61, 0x5D, 0x4B, 0x01, 0x61, 0x4B, 0x02, 0x61,
                              0x8C, 0x01, 0x62, 0x8C, 0x01, 0x78, 0x94, 0x68, 0x00, 0x86, 0x75, 0x2E]
        let (value, heap) = try unpickle(bytes)
        guard case .dict(let index) = value else { return XCTFail("no dict") }
        let dict = heap.dicts[index]
        XCTAssertEqual(dict.entries.count, 2)
        guard case .list(let list)? = dict["a"], case .tuple(let tuple)? = dict["b"] else { return XCTFail("entries") }
        XCTAssertEqual(heap.lists[list].count, 2)
        XCTAssertEqual(heap.tuples[tuple].count, 2)
        guard case .string("x") = heap.tuples[tuple][1] else { return XCTFail("memo") }
    }

    func testMalformedPicklesThrow() {
        let cases: [[UInt8]] = [
            [0x30, 0x2E],  // POP on an empty stack
            [0x74, 0x2E],  // TUPLE without MARK
            [0x68, 0x05, 0x2E],  // BINGET of a missing memo key
            [0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E],  // BINUNICODE longer than the data
            [0x8D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],  // BINUNICODE8 with a 2^64-1 length
            [0x8B, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E],  // LONG4 with a negative length
            [0x4B, 0x01, 0x4B, 0x02, 0x61, 0x2E],  // APPEND to an int
            [0x28, 0x4B, 0x01, 0x64, 0x2E],  // DICT with an odd number of items
            [0x5D, 0x5D, 0x73, 0x2E],  // SETITEM on a list
            [0x7D, 0x5D, 0x4B, 0x01, 0x73, 0x2E],  // an unhashable dict key
            [0x4B, 0x01, 0x29, 0x52, 0x2E],  // REDUCE on an int
            [0x80, 0x06, 0x4E, 0x2E],  // protocol 6
            [0x4E],  // no STOP
            [0x51, 0x2E],  // BINPERSID without a persistent loader
        ]
        for bytes in cases {
            XCTAssertThrowsError(try unpickle(bytes), "\(bytes)") { error in
                XCTAssertTrue(error is PickleError, "\(error)")
            }
        }
    }

    func testTensorsMustStayInsideTheirStorage() throws {
        let storage = TorchStorageRef(dtype: .float32, key: "k", base: 0, count: 10)
        XCTAssertNoThrow(try TorchTensorRef(storage: storage, offset: 4, shape: [3, 2], stride: [1, 3]))
        for (offset, shape, stride) in [(5, [3, 2], [1, 3]), (10, [1], [1]), (0, [11], [1]), (-1, [1], [1]),
                                        (0, [2], [-1]), (0, [2, 2], [1]), (0, [Int.max, 2], [2, 1])] {
            XCTAssertThrowsError(try TorchTensorRef(storage: storage, offset: offset, shape: shape, stride: stride),
                                 "\(offset) \(shape) \(stride)")
        }
        // Empty tensors touch nothing, wherever they point.
        XCTAssertNoThrow(try TorchTensorRef(storage: storage, offset: 10, shape: [0, 4], stride: [4, 1]))
    }

    func testGatherFollowsStrides() throws {
        let values: [Float] = (0..<24).map(Float.init)
        let bytes = ArraySlice(values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) })
        let storage = TorchStorageRef(dtype: .float32, key: "k", base: 0, count: 24)
        // A [2, 3, 4] tensor permuted to [4, 2, 3]: strides (1, 12, 4).
        let permuted = try TorchTensorRef(storage: storage, offset: 0, shape: [4, 2, 3], stride: [1, 12, 4])
        var expected: [Float] = []
        for a in 0..<4 {
            for b in 0..<2 {
                for c in 0..<3 { expected.append(Float(a + 12 * b + 4 * c)) }
            }
        }
        XCTAssertEqual(permuted.gather(from: bytes), expected)
        // A broadcast row (stride 0) and a scalar.
        XCTAssertEqual(try TorchTensorRef(storage: storage, offset: 5, shape: [2, 3], stride: [0, 1]).gather(from: bytes),
                       [5, 6, 7, 5, 6, 7])
        XCTAssertEqual(try TorchTensorRef(storage: storage, offset: 23, shape: [], stride: []).gather(from: bytes), [23])
    }

    func testHalfAndBFloat16Conversion() {
        XCTAssertEqual(TorchDType.float(half: 0x3C00), 1.0)
        XCTAssertEqual(TorchDType.float(half: 0xC500), -5.0)
        XCTAssertEqual(TorchDType.float(half: 0x7BFF), 65504.0)
        XCTAssertEqual(TorchDType.float(half: 0x0001), 0x1p-24)
        XCTAssertEqual(TorchDType.float(half: 0x03FF), 1023 * 0x1p-24)
        XCTAssertEqual(TorchDType.float(half: 0x0400), 0x1p-14)
        XCTAssertEqual(TorchDType.float(half: 0x7C00), .infinity)
        XCTAssertEqual(TorchDType.float(half: 0xFC00), -.infinity)
        XCTAssertTrue(TorchDType.float(half: 0x7E00).isNaN)
        XCTAssertEqual(TorchDType.float(half: 0x8000).bitPattern, (-0.0 as Float).bitPattern)
        let bfloat: [UInt8] = [0x80, 0x3F, 0x40, 0xC0]  // 1.0, -3.0
        bfloat.withUnsafeBytes { raw in
            XCTAssertEqual(TorchDType.bfloat16.element(raw, 0), 1.0)
            XCTAssertEqual(TorchDType.bfloat16.element(raw, 1), -3.0)
        }
    }
}
