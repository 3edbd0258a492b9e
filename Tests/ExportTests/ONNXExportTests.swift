import Checkpoint
import Foundation
import Layers
import TensorCore
import XCTest
import Zoo
@testable import Export

/// A minimal protobuf reader, to look inside what the exporter wrote.
struct ProtoFields {
    enum Value { case varint(UInt64), bytes([UInt8]), fixed32(UInt32) }
    var fields: [(Int, Value)] = []

    init(_ b: [UInt8]) throws {
        var i = 0
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < b.count else { throw ONNXExportError(layer: "", reason: "truncated varint") }
                let byte = b[i]; i += 1
                v |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return v }
                shift += 7
            }
        }
        while i < b.count {
            let key = try varint()
            switch key & 7 {
            case 0: fields.append((Int(key >> 3), .varint(try varint())))
            case 2:
                let n = Int(try varint())
                guard i + n <= b.count else { throw ONNXExportError(layer: "", reason: "length past the end") }
                fields.append((Int(key >> 3), .bytes(Array(b[i..<i + n])))); i += n
            case 5:
                let v = UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
                fields.append((Int(key >> 3), .fixed32(v))); i += 4
            default: throw ONNXExportError(layer: "", reason: "wire type \(key & 7)")
            }
        }
    }

    func messages(_ field: Int) throws -> [ProtoFields] {
        try fields.compactMap { f, v in if f == field, case .bytes(let b) = v { return try ProtoFields(b) } else { return nil } }
    }
    func strings(_ field: Int) -> [String] {
        fields.compactMap { f, v in if f == field, case .bytes(let b) = v { return String(decoding: b, as: UTF8.self) } else { return nil } }
    }
    func ints(_ field: Int) -> [Int] {
        fields.compactMap { f, v in if f == field, case .varint(let x) = v { return Int(Int64(bitPattern: x)) } else { return nil } }
    }
}

final class ONNXExportTests: XCTestCase {
    /// Sets BatchNorm statistics and affine terms to non-trivial values, so that folding is
    /// really exercised (fresh ones are the identity).
    func perturbBatchNorms(_ model: Model, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        for (name, p) in model.network.namedParameters() {
            if name.hasSuffix("running_var") {
                p.value = Tensor.uniform(p.value.shape.dims, 0.5, 2, rng: &rng)
            } else if name.hasSuffix("running_mean") || (name.hasSuffix(".bias") && p.value.shape.rank == 1) {
                p.value = Tensor.uniform(p.value.shape.dims, -0.2, 0.2, rng: &rng)
            }
        }
    }

    func testGraphStructureOfLeNet() throws {
        let model = try Model(zoo: "lenet5", seed: 3)
        model.network.fuseForInference()
        let bytes = try ONNXExporter.export(model)
        let m = try ProtoFields(bytes)
        XCTAssertEqual(m.ints(1), [8], "IR version")
        XCTAssertEqual(try m.messages(8).first?.ints(2), [17], "opset")
        let graph = try XCTUnwrap(try m.messages(7).first)
        let ops = try graph.messages(1).flatMap { $0.strings(4) }
        XCTAssertEqual(ops.first, "Conv")
        XCTAssertTrue(ops.contains("Gemm"))
        XCTAssertFalse(ops.contains("BatchNormalization"))
        // lenet5 flattens a feature map: the transpose to NHWC order must come first.
        let t = try XCTUnwrap(ops.firstIndex(of: "Transpose")), f = try XCTUnwrap(ops.firstIndex(of: "Flatten"))
        XCTAssertLessThan(t, f)
        let input = try XCTUnwrap(try graph.messages(11).first)
        XCTAssertEqual(input.strings(1), ["input"])
        // Every weight the network has is an initialiser, with its element count intact.
        let inits = try graph.messages(5)
        let total = inits.map { init_ in init_.fields.reduce(0) { acc, f in if f.0 == 9, case .bytes(let b) = f.1 { return acc + b.count / 4 } else { return acc } } }.reduce(0, +)
        XCTAssertEqual(total, model.network.namedParameters().filter { !$0.parameter.isBuffer }.reduce(0) { $0 + $1.parameter.value.count })
    }

    func testUnsupportedLayerIsNamed() {
        final class Odd: Layer {
            let name = "odd"
            func forward(_ x: Tensor, context: Context, training: Bool) -> Tensor { x }
            func backward(_ dy: Tensor, context: Context) -> Tensor { dy }
        }
        var e = ONNXExporter(name: "t")
        XCTAssertThrowsError(try e.emit(Sequential("net", [Odd()]), path: "", .init(name: "input", rank: 4))) { error in
            XCTAssertTrue("\(error)".contains("net.odd"), "\(error)")
        }
    }

    /// Every zoo architecture, exported and run by ONNX Runtime, gives Vigil's outputs.
    /// Needs a Python with onnxruntime and numpy in VIGIL_ONNX_PYTHON (scripts/test.sh makes a
    /// throw-away venv for it).
    func testRoundTripThroughONNXRuntime() throws {
        guard let python = ProcessInfo.processInfo.environment["VIGIL_ONNX_PYTHON"], FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("VIGIL_ONNX_PYTHON is not set (scripts/test.sh installs onnxruntime into a throw-away venv and sets it)")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/onnx_check.py").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-onnx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // (architecture, input height, input width). Odd sizes exercise TF-SAME's asymmetric
        // padding (EfficientNet-Lite) and the detector's crop of its upsampled map.
        let cases: [(String, Int, Int)] = [
            ("resnet18", 64, 64), ("resnet50", 64, 64), ("mobilenet_v2", 64, 64), ("efficientnet_lite0", 67, 67),
            ("mobilenet_v2_s16", 96, 96), ("crop_vgg", 48, 48), ("lenet5", 28, 28), ("conv_autoencoder", 64, 64),
            ("mobilenet_v2_detect", 136, 200),
        ]
        for (arch, h, w) in cases {
            var config = try XCTUnwrap(Zoo.entry(arch)).defaultConfig
            config.inputSize = h == w ? h : 128
            let model = try Model(zoo: arch, config: config, seed: 11)
            perturbBatchNorms(model, seed: 5)
            model.network.fuseForInference()
            let c = config.inputChannels
            var rng = SeededRNG(seed: 2)
            let x = Tensor.uniform([2, h, w, c], -1, 1, rng: &rng)
            let y = model.network.forward(x, context: Context(threads: 1), training: false)
            let bytes = try ONNXExporter.export(model)
            let path = dir + "/\(arch).onnx"
            try Data(bytes).write(to: URL(fileURLWithPath: path))

            func nchw(_ t: Tensor) -> (Data, String) {
                guard t.shape.rank == 4 else { return (floats(t.data), t.shape.dims.map(String.init).joined(separator: ",")) }
                let (n, hh, ww, cc) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
                var out = [Float](repeating: 0, count: t.count)
                for b in 0..<n { for y in 0..<hh { for x in 0..<ww { for ch in 0..<cc {
                    out[((b * cc + ch) * hh + y) * ww + x] = t.data[((b * hh + y) * ww + x) * cc + ch]
                } } } }
                return (floats(out), "\(n),\(cc),\(hh),\(ww)")
            }
            func floats(_ v: [Float]) -> Data { v.withUnsafeBufferPointer { Data(buffer: $0) } }
            let (xin, xs) = nchw(x), (yout, ys) = nchw(y)
            try xin.write(to: URL(fileURLWithPath: dir + "/in.bin"))
            try yout.write(to: URL(fileURLWithPath: dir + "/out.bin"))

            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [script, path, dir + "/in.bin", xs, dir + "/out.bin", ys]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, "\(arch): \(text)")
            let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(arch): \(text)")
            XCTAssertNil(report["error"], "\(arch): \(text)")
            let maxAbs = try XCTUnwrap(report["max_abs"] as? Double), maxRef = try XCTUnwrap(report["max_ref"] as? Double)
            print("ONNX round trip \(arch) \(h)×\(w): max |ORT − Vigil| = \(maxAbs) (outputs up to \(maxRef)), checker \(report["checker"] ?? "n/a")")
            XCTAssertLessThanOrEqual(maxAbs, 1e-4 * max(1, maxRef), "\(arch)")
            if let checked = report["checker"] as? Bool { XCTAssertTrue(checked, arch) }
        }
    }
}
