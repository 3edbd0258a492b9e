// vigil-bench: release-mode speed measurements (never run as tests).
//
//   vigil-bench decode [FOLDER] [--passes N] [--json FILE]
//     Single-thread JPEG decode of every file in FOLDER (bytes preloaded, like the PIL
//     anchor) into a 224×224 RGB float tensor (CHW, ImageNet mean/std), with and without
//     DCT-domain downscaling. Prints images/s per variant (median over passes).
//
//   vigil-bench conv [--batch N] [--threads 1,2]
//     ResNet-18's convolution shapes, forward and backward, beside same-run sgemm.
//
//   vigil-bench loader [FOLDER] [--epochs N]
//     Datasets.Loader throughput (decode + augment into batches), 1 and 2 threads.
//
//   vigil-bench models [--nets resnet18,...] [--batch 1,32] [--threads 1,2] [--modes infer,train]
//                      [--min-time S] [--json FILE] [--parallel intra|replicas] [--no-sgemm]
//                      [--train-batch 32] [--sgemm-n 1024] [--detect-freeze 4] [--header-only]
//     Whole zoo networks (resnet18, resnet50, mobilenet_v2, efficientnet_lite0, crop_vgg,
//     mobilenet_v2_detect at 512x384): fused inference and an SGD training step, images/s,
//     effective GFLOP/s against a same-run sgemm, peak RSS (see ModelsBench.swift).
import Dispatch
import Kernels
import TensorCore
import Foundation
import ImageIO

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

struct Row: Codable {
    var name: String
    var imagesPerSecond: Double
    var min: Double
    var max: Double
}

func runDecode(_ args: [String]) throws {
    var folder = "/tmp/anchor-images/jpg"
    var passes = 5
    var jsonOut: String?
    var it = args.makeIterator()
    while let a = it.next() {
        switch a {
        case "--passes": passes = Int(it.next() ?? "") ?? passes
        case "--json": jsonOut = it.next()
        default: folder = a
        }
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.lowercased().hasSuffix(".jpg") }.sorted()
    guard !names.isEmpty else { throw WalkFailure(message: "no .jpg files in \(folder)") }
    let blobs = try names.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))) }
    let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
    var tensor = [Float](repeating: 0, count: 3 * 224 * 224)
    var checksum: Float = 0

    func bench(_ name: String, _ body: ([UInt8]) throws -> Void) rethrows -> Row {
        for b in blobs.prefix(10) { try body(b) }  // warm-up
        var rates: [Double] = []
        for _ in 0..<passes {
            let t0 = now()
            for b in blobs { try body(b) }
            rates.append(Double(blobs.count) / (now() - t0))
        }
        let r = Row(name: name, imagesPerSecond: median(rates), min: rates.min()!, max: rates.max()!)
        print(String(format: "%-58@ %8.1f img/s  (min %.1f, max %.1f)", name as NSString, r.imagesPerSecond, r.min, r.max))
        return r
    }

    print("vigil-bench decode: \(blobs.count) JPEGs from \(folder), 1 thread, \(passes) passes")
    var rows: [Row] = []
    rows.append(try bench("JPEG vigil decode only (full size)") { b in
        checksum += Float(try ImageCodec.decode(b).image.width)
    })
    rows.append(try bench("JPEG vigil full decode + resize224 → float CHW") { b in
        let img = try ImageCodec.decode(b).image
        tensor.withUnsafeMutableBufferPointer { img.resizeFloatCHW(width: 224, height: 224, mean: mean, std: std, into: $0) }
        checksum += tensor[0]
    })
    var scaled = DecodeOptions()
    scaled.targetSize = (224, 224)
    let probe = try ImageCodec.decode(blobs[0], options: scaled).image
    rows.append(try bench("JPEG vigil DCT-scaled decode only [\(probe.width)x\(probe.height)]") { b in
        checksum += Float(try ImageCodec.decode(b, options: scaled).image.width)
    })
    rows.append(try bench("JPEG vigil DCT-scaled [\(probe.width)x\(probe.height)] + resize224 → float CHW") { b in
        let img = try ImageCodec.decode(b, options: scaled).image
        tensor.withUnsafeMutableBufferPointer { img.resizeFloatCHW(width: 224, height: 224, mean: mean, std: std, into: $0) }
        checksum += tensor[0]
    })
    let decodedSample = try ImageCodec.decode(blobs[0], options: scaled).image
    rows.append(bench("resize only [\(probe.width)x\(probe.height)] → 224x224 float CHW") { _ in
        tensor.withUnsafeMutableBufferPointer { decodedSample.resizeFloatCHW(width: 224, height: 224, mean: mean, std: std, into: $0) }
        checksum += tensor[0]
    })
    var fast = scaled
    fast.fastDCT = true
    rows.append(try bench("JPEG vigil DCT-scaled, fast IDCT + resize224 → float CHW") { b in
        let img = try ImageCodec.decode(b, options: fast).image
        tensor.withUnsafeMutableBufferPointer { img.resizeFloatCHW(width: 224, height: 224, mean: mean, std: std, into: $0) }
        checksum += tensor[0]
    })
    if checksum.isNaN { print("checksum NaN") }
    if let jsonOut {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(rows).write(to: URL(fileURLWithPath: jsonOut))
    }
}

struct WalkFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "decode": try runDecode(Array(arguments.dropFirst()))
    case "conv": runConv(Array(arguments.dropFirst()))
    case "loader": try runLoader(Array(arguments.dropFirst()))
    case "models":
        BLASCore.restartWithTheCPUsKernels()
        keepFreedBuffersInTheHeap()  // as vigil does
        try runModels(Array(arguments.dropFirst()))
    default:
        print("""
        usage: vigil-bench decode [FOLDER] [--passes N] [--json FILE]
               vigil-bench conv [--batch N] [--threads 1,2] [--only NAME]
               vigil-bench loader [FOLDER] [--epochs N]
               vigil-bench models [--nets a,b] [--batch 1,32] [--threads 1,2] [--modes infer,train] [--min-time S] [--json FILE]
                                  [--parallel intra|replicas] [--no-sgemm] [--train-batch N] [--sgemm-n N] [--detect-freeze N] [--header-only]
        """)
        exit(arguments.isEmpty ? 0 : 64)
    }
} catch {
    FileHandle.standardError.write(Data("vigil-bench: \(error)\n".utf8))
    exit(1)
}
