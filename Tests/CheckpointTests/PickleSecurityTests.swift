import Checkpoint
import Foundation
import XCTest

/// The restricted unpickler refuses code: globals outside the allow-list and unknown opcodes.
final class PickleSecurityTests: XCTestCase {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A protocol-2 pickle calling os.system(command): GLOBAL, MARK, BINUNICODE, TUPLE, REDUCE, STOP.
    private func osSystemPickle(_ command: String) -> [UInt8] {
        let commandBytes = bytes(command)
        let length = UInt32(commandBytes.count)
        return [0x80, 0x02] + bytes("cos\nsystem\n") + [0x28, 0x58]
            + [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
            + commandBytes + bytes("tR.")
    }

    func testOsSystemIsRefusedAndNeverRuns() throws {
        let marker = NSTemporaryDirectory() + "vigil-pickle-pwned-\(UUID().uuidString)"
        let payload = osSystemPickle("touch \(marker)")
        // As the whole file, and as the object pickle behind a valid legacy header.
        for file in [payload, TorchTestSupport.legacyHeader + payload] {
            let error = TorchTestSupport.loadError(file)
            XCTAssertTrue(error?.reason.contains("os.system") == true, "\(String(describing: error))")
            XCTAssertTrue(error?.reason.contains("refuses global") == true, "\(String(describing: error))")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }

    func testEvalThroughStackGlobalIsRefused() {
        for module in ["builtins", "__builtin__"] {
            // Protocol 4: SHORT_BINUNICODE module, SHORT_BINUNICODE "eval", STACK_GLOBAL,
            // SHORT_BINUNICODE source, TUPLE1, REDUCE, STOP.
            let source = bytes("__import__('os').system('true')")
            let pickle: [UInt8] = [0x80, 0x04, 0x8C, UInt8(module.utf8.count)] + bytes(module)
                + [0x8C, 0x04] + bytes("eval") + [0x93, 0x8C, UInt8(source.count)] + source + [0x85] + bytes("R.")
            let error = TorchTestSupport.loadError(TorchTestSupport.legacyHeader + pickle)
            XCTAssertTrue(error?.reason.contains("\(module).eval") == true, "\(String(describing: error))")
        }
    }

    func testOtherGlobalsAreRefused() {
        for (module, name) in [("torch", "load"), ("torch._utils", "_rebuild_qtensor"), ("subprocess", "Popen"),
                               ("collections", "defaultdict"), ("torch.nn.modules.conv", "Conv2d")] {
            let error = TorchTestSupport.loadError(
                TorchTestSupport.legacyHeader + [0x80, 0x02] + bytes("c\(module)\n\(name)\n."))
            XCTAssertTrue(error?.reason.contains("refuses global \(module).\(name)") == true,
                          "\(String(describing: error))")
        }
    }

    func testUnsupportedOpcodesAreNamed() {
        // INST (0x69) and OBJ (0x6f) build arbitrary objects; EXT1 (0x82) reads the extension registry.
        for (opcode, name) in [(UInt8(0x69), "0x69"), (0x6F, "0x6f"), (0x82, "0x82")] {
            let error = TorchTestSupport.loadError(TorchTestSupport.legacyHeader + [0x80, 0x02, 0x28, opcode, 0x2E])
            XCTAssertTrue(error?.reason.contains("unsupported pickle opcode \(name)") == true,
                          "\(String(describing: error))")
        }
    }

    func testNonCheckpointsAreRejected() {
        XCTAssertTrue(TorchTestSupport.loadError(bytes("not a pickle"))?.reason.contains("opcode") == true)
        XCTAssertTrue(TorchTestSupport.loadError([])?.reason.contains("end of data") == true)
        // A valid pickle of a different number is no checkpoint.
        XCTAssertTrue(TorchTestSupport.loadError([0x80, 0x02, 0x4B, 0x07, 0x2E])?.reason.contains("magic") == true)
        XCTAssertThrowsError(try TorchFile.load(path: "/nonexistent/vigil.pth")) { error in
            XCTAssertEqual((error as? CheckpointError)?.path, "/nonexistent/vigil.pth")
        }
    }

    func testTopLevelObjectMustBeADict() {
        // A list of the storage keys follows, but the object itself is a list.
        let error = TorchTestSupport.loadError(TorchTestSupport.legacyHeader + [0x80, 0x02, 0x5D, 0x2E, 0x80, 0x02, 0x5D, 0x2E])
        XCTAssertTrue(error?.reason.contains("not a state dict") == true, "\(String(describing: error))")
    }

    func testZeroStrideTensorsAreBoundedByTheOutputBudget() throws {
        let small = try TorchTestSupport.load(TorchTestSupport.singleTensorFile(size: 6, stride: 0, value: 2.5))
        XCTAssertEqual(small.first?.tensor.data, [Float](repeating: 2.5, count: 6))
        // 2^40 elements from four stored bytes would be a 4 TiB allocation.
        let error = TorchTestSupport.loadError(TorchTestSupport.singleTensorFile(size: 1 << 40, stride: 0, value: 1))
        XCTAssertTrue(error?.reason.contains("stored bytes") == true, "\(String(describing: error))")
        // A stride past the storage is caught when the tensor is rebuilt.
        let outside = TorchTestSupport.loadError(TorchTestSupport.singleTensorFile(size: 2, stride: 1, value: 1))
        XCTAssertTrue(outside?.reason.contains("reaches element 1") == true, "\(String(describing: outside))")
    }

    func testDeepNestingDoesNotRecurse() throws {
        // Half a million nested 1-tuples: built and freed without recursion, then skipped.
        var tuples: [UInt8] = [0x80, 0x02, 0x7D] + TorchTestSupport.unicode("x") + [0x4E]
        tuples += [UInt8](repeating: 0x85, count: 500_000) + [0x73, 0x2E]  // TUPLE1 × 500,000, SETITEM
        let noKeys: [UInt8] = [0x80, 0x02, 0x5D, 0x2E]
        XCTAssertEqual(try TorchTestSupport.load(TorchTestSupport.legacyHeader + tuples + noKeys).count, 0)

        // 1,000 nested dicts are walked without recursion too.
        func nestedDicts(_ depth: Int) -> [UInt8] {
            var object: [UInt8] = [0x80, 0x02, 0x7D]
            for _ in 0..<depth { object += TorchTestSupport.unicode("d") + [0x7D] }
            return object + [UInt8](repeating: 0x73, count: depth) + [0x2E]
        }
        XCTAssertEqual(try TorchTestSupport.load(TorchTestSupport.legacyHeader + nestedDicts(1_000) + noKeys).count, 0)
        // At 100,000 levels the joined names alone would take 10 GB: refused, not allocated.
        let error = TorchTestSupport.loadError(TorchTestSupport.legacyHeader + nestedDicts(100_000) + noKeys)
        XCTAssertTrue(error?.reason.contains("the names would take the output past") == true,
                      "\(String(describing: error))")
    }

    func testCyclicDictsAreRejected() {
        // d = {}; d["a"] = d
        let object: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00] + TorchTestSupport.unicode("a") + [0x68, 0x00, 0x73, 0x2E]
        let error = TorchTestSupport.loadError(TorchTestSupport.legacyHeader + object + [0x80, 0x02, 0x5D, 0x2E])
        XCTAssertTrue(error?.reason.contains("more than once") == true, "\(String(describing: error))")
    }
}
