import Foundation
import ImageIO
import XCTest
@testable import Synth

final class SynthTests: XCTestCase {
    func testSameSeedsGiveIdenticalPixelsAndDifferentSeedsDiffer() {
        for kind in SurfaceKind.allCases {
            let a = SurfaceSynth.render(kind: kind, product: 5, seed: 42, size: 96)
            let b = SurfaceSynth.render(kind: kind, product: 5, seed: 42, size: 96)
            let c = SurfaceSynth.render(kind: kind, product: 5, seed: 43, size: 96)
            let d = SurfaceSynth.render(kind: kind, product: 6, seed: 42, size: 96)
            XCTAssertEqual(a, b, "\(kind) is not deterministic")
            XCTAssertNotEqual(a.pixels8, c.pixels8, "\(kind): instances 42 and 43 gave the same image")
            XCTAssertNotEqual(a.pixels8, d.pixels8, "\(kind): products 5 and 6 gave the same image")
            XCTAssertEqual(a.width, 96); XCTAssertEqual(a.height, 96); XCTAssertEqual(a.channels, 3)
            let d1 = SurfaceSynth.renderDefective(kind: kind, defect: .crack, product: 5, seed: 7, size: 96)
            let d2 = SurfaceSynth.renderDefective(kind: kind, defect: .crack, product: 5, seed: 7, size: 96)
            XCTAssertEqual(d1.image, d2.image)
            XCTAssertEqual(d1.mask, d2.mask)
            // The product-less calls render the kind's default product.
            let p = SurfaceSynth.defaultProduct(for: kind)
            XCTAssertEqual(SurfaceSynth.render(kind: kind, seed: 9, size: 48), SurfaceSynth.render(kind: kind, product: p, seed: 9, size: 48))
            let e1 = SurfaceSynth.renderDefective(kind: kind, defect: .pit, seed: 9, size: 48)
            let e2 = SurfaceSynth.renderDefective(kind: kind, defect: .pit, product: p, seed: 9, size: 48)
            XCTAssertEqual(e1.image, e2.image)
            XCTAssertEqual(e1.mask, e2.mask)
        }
    }

    /// A category is one product: instances of one product look alike (they differ in pose,
    /// light and noise), different products do not. Measured on 16×16 block-averaged gray images:
    /// the mean |Δ| between instances of one product must be at most half that between products.
    func testInstancesOfOneProductAreCloserThanDifferentProducts() {
        let products: [UInt64] = [1, 2, 3, 4], instances: [UInt64] = [1000, 1001, 1002, 1003]
        for kind in SurfaceKind.allCases {
            let blocks = products.map { p in instances.map { blockGray(SurfaceSynth.render(kind: kind, product: p, seed: $0, size: 128)) } }
            var within: [Double] = [], between: [Double] = []
            for a in 0..<products.count {
                for i in 0..<instances.count { for j in (i + 1)..<instances.count { within.append(mad(blocks[a][i], blocks[a][j])) } }
                for b in (a + 1)..<products.count { for i in 0..<instances.count { between.append(mad(blocks[a][i], blocks[b][i])) } }
            }
            let w = within.reduce(0, +) / Double(within.count), bt = between.reduce(0, +) / Double(between.count)
            XCTAssertLessThanOrEqual(w, 0.5 * bt, "\(kind): same product mean |Δ| \(w), different products \(bt)")
            XCTAssertGreaterThan(w, 0.5, "\(kind): instances of one product do not vary (\(w))")
        }
    }

    /// Every defect on every kind: a binary mask covering 0.2 %–20 % of the image, and the change
    /// against the good image of the same seed concentrated inside it.
    func testMasksCoverTheDefectAndTheDefectStaysInsideTheMask() {
        let size = 256, n = size * size
        for kind in SurfaceKind.allCases {
            for seed: UInt64 in [3, 11] {
                let good = SurfaceSynth.render(kind: kind, seed: seed).pixels8
                for defect in kind.defects {
                    let (image, mask) = SurfaceSynth.renderDefective(kind: kind, defect: defect, seed: seed)
                    XCTAssertEqual(mask.channels, 1)
                    XCTAssertEqual(mask.bitDepth, 8)
                    let m = mask.pixels8
                    XCTAssertTrue(m.allSatisfy { $0 == 0 || $0 == 255 }, "\(kind)/\(defect): mask is not binary")
                    let inside = m.filter { $0 == 255 }.count
                    let frac = Double(inside) / Double(n)
                    XCTAssertGreaterThanOrEqual(frac, 0.002, "\(kind)/\(defect) seed \(seed): mask covers \(frac)")
                    XCTAssertLessThanOrEqual(frac, 0.20, "\(kind)/\(defect) seed \(seed): mask covers \(frac)")
                    let px = image.pixels8
                    var sumIn = 0.0, sumOut = 0.0
                    for i in 0..<n {
                        var d = 0
                        for c in 0..<3 { d += abs(Int(px[i * 3 + c]) - Int(good[i * 3 + c])) }
                        if m[i] == 255 { sumIn += Double(d) / 3 } else { sumOut += Double(d) / 3 }
                    }
                    let meanIn = sumIn / Double(max(inside, 1)), meanOut = sumOut / Double(max(n - inside, 1))
                    XCTAssertGreaterThan(meanIn, 0.5, "\(kind)/\(defect) seed \(seed): nothing changed inside the mask")
                    XCTAssertGreaterThanOrEqual(meanIn, 5 * meanOut,
                                                "\(kind)/\(defect) seed \(seed): mean |Δ| in \(meanIn), out \(meanOut)")
                }
            }
        }
    }

    /// Nuisance factors (exposure, light, tint) must still vary between good images of one product.
    func testGoodImagesOfOneProductVaryInBrightness() {
        for kind in SurfaceKind.allCases {
            var means: [Double] = []
            for seed in 0..<20 {
                let p = SurfaceSynth.render(kind: kind, seed: UInt64(seed), size: 64).pixels8
                means.append(Double(p.reduce(0) { $0 + Int($1) }) / Double(p.count))
            }
            let mu = means.reduce(0, +) / 20
            let sd = (means.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 19).squareRoot()
            XCTAssertGreaterThanOrEqual(sd, 3, "\(kind): mean brightness std over 20 instances is \(sd)")
        }
    }

    func testWriteMVTecProducesTheExactLayoutAndIsDeterministic() throws {
        let tmp = NSTemporaryDirectory() + "synth-mvtec-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let kinds: [SurfaceKind] = [.pcb, .wood]
        try SurfaceSynth.writeMVTec(to: tmp + "/a", kinds: kinds, trainGood: 3, testGood: 2, testPerDefect: 2, size: 48, seed: 9)
        try SurfaceSynth.writeMVTec(to: tmp + "/b", kinds: kinds, trainGood: 3, testGood: 2, testPerDefect: 2, size: 48, seed: 9)

        var expected: Set<String> = []
        for kind in kinds {
            let k = kind.rawValue
            expected.insert("\(k)/README.txt")
            for i in ["000", "001", "002"] { expected.insert("\(k)/train/good/\(i).png") }
            for i in ["000", "001"] { expected.insert("\(k)/test/good/\(i).png") }
            for d in DefectKind.allCases {
                for i in ["000", "001"] {
                    expected.insert("\(k)/test/\(d.rawValue)/\(i).png")
                    expected.insert("\(k)/ground_truth/\(d.rawValue)/\(i)_mask.png")
                }
            }
        }
        let files = try listFiles(tmp + "/a")
        XCTAssertEqual(files, expected)
        XCTAssertEqual(try listFiles(tmp + "/b"), expected)
        for f in files {
            let a = try Data(contentsOf: URL(fileURLWithPath: tmp + "/a/" + f))
            let b = try Data(contentsOf: URL(fileURLWithPath: tmp + "/b/" + f))
            XCTAssertEqual(a, b, "\(f) differs between two runs with the same seed")
        }
        let readme = try String(contentsOfFile: tmp + "/a/pcb/README.txt", encoding: .utf8)
        XCTAssertTrue(readme.contains("seed=9") && readme.contains("train_good=3") && readme.contains("test_per_defect=2"), readme)
        XCTAssertTrue(readme.contains("product=\(SurfaceSynth.productSeed(kind: .pcb, seed: 9))"), readme)

        // Every image of a category is an instance of the one product derived from the seed.
        let product = SurfaceSynth.productSeed(kind: .wood, seed: 9)
        XCTAssertNotEqual(product, SurfaceSynth.productSeed(kind: .pcb, seed: 9))
        XCTAssertNotEqual(product, SurfaceSynth.productSeed(kind: .wood, seed: 10))
        let k = UInt64(SurfaceKind.allCases.firstIndex(of: .wood)!)
        let train0 = try ImageCodec.decode(fileAt: tmp + "/a/wood/train/good/000.png").image
        XCTAssertEqual(train0.pixels8, SurfaceSynth.render(kind: .wood, product: product, seed: mixSeed(9, k, 1, 0), size: 48).pixels8)

        let img = try ImageCodec.decode(fileAt: tmp + "/a/wood/test/stain/001.png").image
        let mask = try ImageCodec.decode(fileAt: tmp + "/a/wood/ground_truth/stain/001_mask.png").image
        XCTAssertEqual([img.width, img.height, img.channels], [48, 48, 3])
        XCTAssertEqual([mask.width, mask.height, mask.channels], [48, 48, 1])
        XCTAssertTrue(mask.pixels8.contains(255))
    }

    func testMaskNamesFollowMVTec() {
        XCTAssertEqual(SurfaceSynth.name(7), "007")
        XCTAssertEqual(SurfaceSynth.name(1234), "1234")
        XCTAssertEqual(DefectKind.missingPrint.rawValue, "missing_print")
        XCTAssertEqual(SurfaceKind.brushedMetal.rawValue, "brushed_metal")
    }

    private func blockGray(_ img: Image) -> [Double] {
        let p = img.pixels8, w = img.width, b = w / 16
        var out = [Double](repeating: 0, count: 256)
        for y in 0..<w {
            for x in 0..<w {
                let i = (y * w + x) * 3
                out[(y / b) * 16 + x / b] += (Double(p[i]) + Double(p[i + 1]) + Double(p[i + 2])) / 3
            }
        }
        return out.map { $0 / Double(b * b) }
    }

    private func mad(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Double(a.count)
    }

    private func listFiles(_ root: String) throws -> Set<String> {
        var out: Set<String> = []
        let e = FileManager.default.enumerator(atPath: root)!
        while let p = e.nextObject() as? String {
            var dir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + p, isDirectory: &dir), !dir.boolValue { out.insert(p) }
        }
        return out
    }
}
