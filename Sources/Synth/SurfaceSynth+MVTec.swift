import Foundation
import ImageIO

extension SurfaceSynth {
    /// Writes a synthetic data set in the MVTec AD layout, one category folder per kind:
    ///
    /// ```
    /// root/<kind>/train/good/000.png …
    /// root/<kind>/test/good/000.png …
    /// root/<kind>/test/<defect>/000.png …
    /// root/<kind>/ground_truth/<defect>/000_mask.png …
    /// root/<kind>/README.txt
    /// ```
    ///
    /// Each category is ONE product, as in MVTec AD: `productSeed(kind:seed:)` derives its
    /// design from `seed`, and every image (good or defective) is another instance of it.
    /// Names have at least three digits. Every file is written under a temporary name and
    /// renamed into place. The same arguments give byte-identical files.
    ///
    /// ```swift
    /// try SurfaceSynth.writeMVTec(to: "/tmp/synth", kinds: [.pcb], trainGood: 200, testGood: 40,
    ///                             testPerDefect: 20, size: 256, seed: 1)
    /// ```
    public static func writeMVTec(to root: String, kinds: [SurfaceKind] = SurfaceKind.allCases, trainGood: Int, testGood: Int,
                                  testPerDefect: Int, size: Int = defaultSize, seed: UInt64) throws {
        precondition(trainGood >= 0 && testGood >= 0 && testPerDefect >= 0, "counts must not be negative")
        for kind in kinds {
            let k = UInt64(SurfaceKind.allCases.firstIndex(of: kind)!)
            let product = productSeed(kind: kind, seed: seed)
            let dir = (root as NSString).appendingPathComponent(kind.rawValue)
            let trainDir = dir + "/train/good", testGoodDir = dir + "/test/good"
            try makeDirectory(trainDir)
            try makeDirectory(testGoodDir)
            for i in 0..<trainGood {
                try writePNG(render(kind: kind, product: product, seed: mixSeed(seed, k, 1, UInt64(i)), size: size), to: trainDir + "/" + name(i) + ".png")
            }
            for i in 0..<testGood {
                try writePNG(render(kind: kind, product: product, seed: mixSeed(seed, k, 2, UInt64(i)), size: size), to: testGoodDir + "/" + name(i) + ".png")
            }
            for (d, defect) in kind.defects.enumerated() where testPerDefect > 0 {
                let testDir = dir + "/test/" + defect.rawValue, gtDir = dir + "/ground_truth/" + defect.rawValue
                try makeDirectory(testDir)
                try makeDirectory(gtDir)
                for i in 0..<testPerDefect {
                    let shot = renderDefective(kind: kind, defect: defect, product: product, seed: mixSeed(seed, k, 3, UInt64(d), UInt64(i)), size: size)
                    try writePNG(shot.image, to: testDir + "/" + name(i) + ".png")
                    try writePNG(shot.mask, to: gtDir + "/" + name(i) + "_mask.png")
                }
            }
            let defects = kind.defects.map(\.rawValue).joined(separator: ",")
            let line = "vigil synth \(kind.rawValue): seed=\(seed) product=\(product) size=\(size) train_good=\(trainGood) test_good=\(testGood) "
                + "test_per_defect=\(testPerDefect) defects=\(defects)\n"
            try writeAtomically(Array(line.utf8), to: dir + "/README.txt")
        }
    }

    /// The product `writeMVTec` renders for `kind` when given `seed`.
    public static func productSeed(kind: SurfaceKind, seed: UInt64) -> UInt64 {
        mixSeed(seed, UInt64(SurfaceKind.allCases.firstIndex(of: kind)!), 0x9_0D0C7)
    }

    static func name(_ i: Int) -> String {
        let s = String(i)
        return s.count >= 3 ? s : String(repeating: "0", count: 3 - s.count) + s
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SynthError(path: path, reason: "cannot create folder (\(error.localizedDescription))")
        }
    }

    static func writePNG(_ image: Image, to path: String) throws {
        let bytes: [UInt8]
        do { bytes = try ImageCodec.encodePNG(image) } catch { throw SynthError(path: path, reason: "PNG encoding failed: \(error)") }
        try writeAtomically(bytes, to: path)
    }

    /// Writes `path.partial` then renames it over `path`, so a reader never sees half a file.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".partial"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes)) else {
            throw SynthError(path: tmp, reason: "cannot create file")
        }
        if rename(tmp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw SynthError(path: path, reason: "rename failed: \(reason)")
        }
    }
}
