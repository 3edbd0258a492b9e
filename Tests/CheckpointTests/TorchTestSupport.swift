import Checkpoint
import Foundation
import XCTest

/// Paths and helpers shared by the checkpoint tests.
enum TorchTestSupport {
    /// Fixtures/torch, written by Fixtures/torch/make_pth.py.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/torch")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func temporaryFile(_ bytes: [UInt8], suffix: String = ".pth") throws -> String {
        let path = NSTemporaryDirectory() + "vigil-torch-\(UUID().uuidString)\(suffix)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Loads `bytes` as a checkpoint file, removing the file afterwards.
    static func load(_ bytes: [UInt8]) throws -> [(name: String, tensor: TorchTensor)] {
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try TorchFile.load(path: path)
    }

    /// The `CheckpointError` loading `bytes` throws; fails the test when it loads or throws anything else.
    static func loadError(
        _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line
    ) -> CheckpointError? {
        do {
            let tensors = try load(bytes)
            XCTFail("loaded \(tensors.count) tensors instead of failing", file: file, line: line)
        } catch let error as CheckpointError {
            return error
        } catch {
            XCTFail("threw \(error) instead of a CheckpointError", file: file, line: line)
        }
        return nil
    }

    /// The legacy header pickles (magic number, protocol version, system info) that precede the object.
    static let legacyHeader: [UInt8] =
        [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]  // LONG1 magic, STOP
        + [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]  // BININT2 1001, STOP
        + [0x80, 0x02, 0x7D, 0x2E]  // EMPTY_DICT, STOP

    /// BINUNICODE: a string with its 4-byte little-endian length.
    static func unicode(_ string: String) -> [UInt8] {
        let utf8 = Array(string.utf8)
        return [0x58] + withUnsafeBytes(of: UInt32(utf8.count).littleEndian, Array.init) + utf8
    }

    /// A legacy file with one float32 tensor "t" over a one-element storage holding `value`,
    /// with size (`size`,) and stride (`stride`,).
    static func singleTensorFile(size: Int, stride: Int, value: Float) -> [UInt8] {
        func long1(_ int: Int) -> [UInt8] { [0x8A, 0x08] + withUnsafeBytes(of: Int64(int).littleEndian, Array.init) }
        let pid: [UInt8] = [0x28] + unicode("storage") + Array("ctorch\nFloatStorage\n".utf8) + unicode("0")
            + unicode("cpu") + [0x4B, 0x01, 0x4E, 0x74, 0x51]  // numel 1, no view: TUPLE, BINPERSID
        let tensor: [UInt8] = Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28] + pid
            + [0x4B, 0x00] + long1(size) + [0x85] + long1(stride) + [0x85]  // offset, (size,), (stride,)
            + [0x89, 0x7D, 0x74, 0x52]  // False, {}, TUPLE, REDUCE
        let object: [UInt8] = [0x80, 0x02, 0x7D] + unicode("t") + tensor + [0x73, 0x2E]  // {"t": tensor}
        let keys: [UInt8] = [0x80, 0x02, 0x5D] + unicode("0") + [0x61, 0x2E]  // ["0"]
        let storage = withUnsafeBytes(of: Int64(1).littleEndian, Array.init)
            + withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
        return legacyHeader + object + keys + storage
    }
}
