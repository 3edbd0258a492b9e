import Foundation
import ImageIO
import XCTest
import Synth

final class SignScenesTests: XCTestCase {
    private let small = (width: 320, height: 240)

    func testSameSeedGivesSameSceneAndDifferentSeedsDiffer() {
        let a = SignScenes.render(seed: 11, size: small)
        let b = SignScenes.render(seed: 11, size: small)
        let c = SignScenes.render(seed: 12, size: small)
        XCTAssertEqual(a.image, b.image)
        XCTAssertEqual(a.boxes, b.boxes)
        XCTAssertNotEqual(a.image.pixels8, c.image.pixels8)
        XCTAssertEqual(a.image.width, 320); XCTAssertEqual(a.image.height, 240); XCTAssertEqual(a.image.channels, 3)
        let d = SignScenes.render(seed: 3)
        XCTAssertEqual(d.image.width, 640); XCTAssertEqual(d.image.height, 480)
    }

    func testSpritesHaveTheirShapesAndLettering() {
        for cls in SignClass.allCases {
            let s = SignSprite(cls, size: 64)
            XCTAssertEqual(s.rgba.count, 64 * 64 * 4)
            let centreAlpha = s.rgba[(32 * 64 + 32) * 4 + 3]
            XCTAssertGreaterThan(centreAlpha, 0.99, "\(cls) has a hole in the middle")
            XCTAssertEqual(s.image.width, 64)
        }
        // Discs and diamonds leave the corners clear; the crossing sign is a full square.
        for cls in [SignClass.noEntry, .speed50, .priorityRoad, .noParking, .stop] {
            XCTAssertLessThan(SignSprite(cls, size: 64).rgba[3], 0.01, "\(cls) corner is painted")
        }
        XCTAssertGreaterThan(SignSprite(.pedestrianCrossing, size: 64).rgba[(2 * 64 + 32) * 4 + 3], 0.99)
        // Anti-aliased: some edge pixels are partly covered.
        let disc = SignSprite(.noEntry, size: 64).rgba
        XCTAssertTrue(stride(from: 3, to: disc.count, by: 4).contains { disc[$0] > 0.1 && disc[$0] < 0.9 })
        XCTAssertTrue(SignFont.isAvailable, "FreeType or the DejaVu font is missing (apt-get install libfreetype-dev fonts-dejavu-core)")
        if SignFont.isAvailable {
            XCTAssertNotEqual(SignSprite(.speed30, size: 64), SignSprite(.speed50, size: 64))
            XCTAssertNotEqual(SignSprite(.speed50, size: 64), SignSprite(.speed70, size: 64))
            // The lettering is white on red in STOP: the centre row has white pixels.
            let stop = SignSprite(.stop, size: 96).image.pixels8
            let whites = (10..<86).filter { x in
                let o = (48 * 96 + x) * 4
                return stop[o] > 200 && stop[o + 1] > 200 && stop[o + 2] > 200
            }
            XCTAssertGreaterThan(whites.count, 8)
        }
        let glyphs = SignFont.coverage(of: "50", pixelHeight: 24)
        XCTAssertNotNil(glyphs)
        if let g = glyphs { XCTAssertEqual(g.coverage.count, g.width * g.height); XCTAssertTrue(g.coverage.contains { $0 > 200 }) }
        XCTAssertNil(SignFont.coverage(of: "x", pixelHeight: 12, fontPath: "/no/such/font.ttf"))
    }

    func testBoxesLieInsideTheImageAndCoverStopSigns() {
        var checked = 0, dominated = 0
        for seed in 0..<40 {
            let scene = SignScenes.render(seed: UInt64(seed), size: small, classes: [.stop])
            let img = scene.image.pixels8
            for b in scene.boxes {
                XCTAssertEqual(b.classIndex, 0)
                XCTAssertTrue(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= 320 && b.y1 <= 240 && b.x0 < b.x1 && b.y0 < b.y1, "\(b)")
                XCTAssertGreaterThanOrEqual(b.visibleFraction, 0.4)
                guard b.visibleFraction > 0.999, b.width >= 14, b.height >= 14 else { continue }
                var red = 0
                for y in b.y0..<b.y1 {
                    for x in b.x0..<b.x1 {
                        let o = (y * 320 + x) * 3
                        let r = Int(img[o]), g = Int(img[o + 1]), bl = Int(img[o + 2])
                        if r > max(g, bl) + 12 && r * 10 > max(g, bl) * 13 { red += 1 }
                    }
                }
                checked += 1
                if Double(red) / Double(b.width * b.height) > 0.35 { dominated += 1 }
            }
        }
        XCTAssertGreaterThan(checked, 10)
        // Glare or the heaviest fog may wash a few out; nearly all stay red.
        XCTAssertGreaterThanOrEqual(Double(dominated), Double(checked) * 0.85, "\(dominated) of \(checked) stop boxes are red-dominated")
    }

    func testSizesSpanTheRangeAndCountsStayWithinFour() {
        var sides: [Int] = [], perScene: [Int] = []
        var classesSeen = Set<Int>()
        for seed in 0..<60 {
            let scene = SignScenes.render(seed: UInt64(1000 + seed), size: small)
            perScene.append(scene.boxes.count)
            for b in scene.boxes { sides.append(max(b.width, b.height)); classesSeen.insert(b.classIndex) }
        }
        XCTAssertLessThanOrEqual(perScene.max() ?? 0, 4)
        XCTAssertTrue(perScene.contains(0))
        XCTAssertGreaterThanOrEqual(perScene.max() ?? 0, 3)
        XCTAssertLessThanOrEqual(sides.min() ?? 99, 22, "no small signs")
        XCTAssertGreaterThanOrEqual(sides.max() ?? 0, 60, "no large signs (a third of 240 is 80)")
        XCTAssertLessThanOrEqual(sides.max() ?? 0, 90)
        XCTAssertGreaterThanOrEqual(classesSeen.count, 7)
    }

    func testPhotoBackgroundIsCroppedAndUsed() {
        // A "photo": a horizontal colour ramp.
        var px = [UInt8](repeating: 0, count: 200 * 150 * 3)
        for y in 0..<150 { for x in 0..<200 { px[(y * 200 + x) * 3] = UInt8(x); px[(y * 200 + x) * 3 + 1] = 90; px[(y * 200 + x) * 3 + 2] = UInt8(y) } }
        let photo = Image(width: 200, height: 150, channels: 3, pixels8: px)
        let a = SignScenes.render(seed: 5, size: small, background: photo)
        let b = SignScenes.render(seed: 5, size: small)
        XCTAssertEqual(a.image.width, 320)
        XCTAssertNotEqual(a.image.pixels8, b.image.pixels8)
        XCTAssertEqual(a.image, SignScenes.render(seed: 5, size: small, background: photo).image)
    }

    func testCOCODatasetParsesAndCountsMatch() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("signs-coco-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let summary = try SignScenes.writeDataset(to: dir, scenes: 6, seed: 40, size: (160, 120), format: .coco)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("annotations.json"))) as? [String: Any]
        let images = json?["images"] as? [[String: Any]] ?? []
        let anns = json?["annotations"] as? [[String: Any]] ?? []
        let cats = json?["categories"] as? [[String: Any]] ?? []
        XCTAssertEqual(images.count, 6)
        XCTAssertEqual(anns.count, summary.boxes)
        XCTAssertEqual(cats.count, SignClass.allCases.count)
        XCTAssertEqual(cats.compactMap { $0["id"] as? Int }, Array(1...SignClass.allCases.count))
        XCTAssertEqual(cats.first?["name"] as? String, "stop")
        for a in anns {
            let bbox = a["bbox"] as? [Int] ?? []
            XCTAssertEqual(bbox.count, 4)
            XCTAssertTrue(bbox[0] >= 0 && bbox[1] >= 0 && bbox[2] > 0 && bbox[3] > 0 && bbox[0] + bbox[2] <= 160 && bbox[1] + bbox[3] <= 120)
            XCTAssertTrue((1...SignClass.allCases.count).contains(a["category_id"] as? Int ?? 0))
            XCTAssertTrue((1...6).contains(a["image_id"] as? Int ?? 0))
        }
        for i in 0..<6 {
            let path = dir.appendingPathComponent(String(format: "images/%06d.jpg", i)).path
            let img = try ImageCodec.decode(fileAt: path).image
            XCTAssertEqual(img.width, 160)
        }
        let sheet = try ImageCodec.decode(fileAt: dir.appendingPathComponent("contact-sheet.png").path).image
        XCTAssertGreaterThan(sheet.width, 400)
    }

    func testYOLOLabelsAreNormalised() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("signs-yolo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let classes: [SignClass] = [.speed30, .speed50, .stop]
        let summary = try SignScenes.writeDataset(to: dir, scenes: 5, seed: 7, size: (160, 120), classes: classes, format: .yolo)
        let names = try String(contentsOf: dir.appendingPathComponent("classes.txt"), encoding: .utf8)
        XCTAssertEqual(names.split(separator: "\n").map(String.init), ["speed_30", "speed_50", "stop"])
        var lines = 0
        for i in 0..<5 {
            let text = try String(contentsOf: dir.appendingPathComponent(String(format: "labels/%06d.txt", i)), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ")
                XCTAssertEqual(f.count, 5)
                XCTAssertTrue((0..<classes.count).contains(Int(f[0]) ?? -1))
                for v in f.dropFirst() {
                    let x = Double(v) ?? -1
                    XCTAssertTrue(x >= 0 && x <= 1, "\(line)")
                }
                lines += 1
            }
        }
        XCTAssertEqual(lines, summary.boxes)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("annotations.json").path))
    }
}
