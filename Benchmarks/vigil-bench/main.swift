// vigil-bench: release-mode speed measurements (never run as tests).
//
//   vigil-bench decode [FOLDER] [--passes N] [--json FILE]
//     Single-thread JPEG decode of every file in FOLDER (bytes preloaded, like the PIL
//     anchor) into a 224×224 RGB float tensor (CHW, ImageNet mean/std), with and without
//     DCT-domain downscaling. Prints images/s per variant (median over passes).
//
//   vigil-bench conv [--batch N] [--threads 1,2]
//     ResNet-18's convolution shapes, forward and backward, beside same-run sgemm.
import Dispatch
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
    default:
        print("""
        usage: vigil-bench decode [FOLDER] [--passes N] [--json FILE]
               vigil-bench conv [--batch N] [--threads 1,2] [--only NAME]
               vigil-bench loader [FOLDER] [--epochs N]
        """)
        exit(arguments.isEmpty ? 0 : 64)
    }
} catch {
    FileHandle.standardError.write(Data("vigil-bench: \(error)\n".utf8))
    exit(1)
}
