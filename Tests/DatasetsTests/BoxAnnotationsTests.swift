import Foundation
import XCTest
import Datasets
import ImageIO

/// Tiny COCO / YOLO / VOC datasets written to a temp folder; boxes checked against pixel values
/// worked out by hand in the comments beside each entry.
final class BoxAnnotationsTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vigil-boxes-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: helpers

    func png(_ rel: String, _ w: Int, _ h: Int) throws {
        let path = dir + "/" + rel
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let bytes = try ImageCodec.encodePNG(Image(width: w, height: h, channels: 3, pixels8: [UInt8](repeating: 90, count: w * h * 3)))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func text(_ rel: String, _ s: String) throws {
        let path = dir + "/" + rel
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try s.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func box(_ b: LabelledBox) -> [Double] { [b.x0, b.y0, b.x1, b.y1] }

    /// The one problem whose file ends with `file` and whose entry is `entry`; checks its message.
    @discardableResult
    func problem(_ d: BoxDataset, _ file: String, _ entry: String, contains: String, line: UInt = #line) -> AnnotationProblem? {
        let found = d.problems.filter { $0.file.hasSuffix(file) && $0.entry == entry }
        XCTAssertEqual(found.count, 1, "problems: \(d.problems.map(\.description))", line: line)
        guard let p = found.first else { return nil }
        XCTAssertTrue(p.reason.contains(contains), "\(p)", line: line)
        XCTAssertEqual(p.description, "\(p.file): \(entry): \(p.reason)", line: line)
        XCTAssertTrue(p.description.contains(file), line: line)
        return p
    }

    func strictProblem(_ path: String, line: UInt = #line) -> AnnotationProblem? {
        do {
            _ = try BoxDataset.open(path, strict: true)
            XCTFail("strict open did not throw", line: line)
        } catch let p as AnnotationProblem {
            return p
        } catch {
            XCTFail("unexpected error \(error)", line: line)
        }
        return nil
    }

    // MARK: COCO

    func writeCOCO() throws {
        try png("images/a.png", 40, 30)
        try png("images/b.png", 20, 20)
        try text("instances.json", """
        {"images": [
           {"id": 1, "file_name": "a.png", "width": 40, "height": 30},
           {"id": 2, "file_name": "b.png", "width": 20, "height": 20},
           {"id": 3, "file_name": "missing.png", "width": 20, "height": 20}],
         "categories": [{"id": 3, "name": "cat"}, {"id": 1, "name": "dog"}],
         "annotations": [
           {"image_id": 1, "category_id": 3, "bbox": [2, 3, 10, 5]},
           {"image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 30], "iscrowd": 1},
           {"image_id": 1, "category_id": 9, "bbox": [1, 1, 2, 2]},
           {"image_id": 2, "category_id": 1, "bbox": [5, 5, 0, 4]},
           {"image_id": 2, "category_id": 1, "bbox": [15, 15, 10, 10]},
           {"image_id": 2, "category_id": 3, "bbox": [-0.5, 12, 20.5, 8.5]},
           {"image_id": 2, "category_id": 1, "bbox": [10, 10, 14, 6]},
           {"image_id": 99, "category_id": 1, "bbox": [1, 1, 2, 2]},
           {"image_id": 1, "category_id": 1, "bbox": [1, "x", 2, 2]},
           {"image_id": 3, "category_id": 1, "bbox": [1, 1, 2, 2]},
           {"image_id": 1, "category_id": 1, "bbox": [1, 1, 2]}]}
        """)
    }

    func testCOCOBoxesAndProblems() throws {
        try writeCOCO()
        let d = try BoxDataset.open(dir)  // folder with instances.json; images/ beside it
        XCTAssertEqual(d.format, .coco)
        XCTAssertEqual(d.classes, ["dog", "cat"])  // categories sorted by id: 1 dog, 3 cat
        XCTAssertEqual(d.images.map { ($0.path as NSString).lastPathComponent }, ["a.png", "b.png"])
        let a = d.images[0], b = d.images[1]
        XCTAssertEqual([a.width, a.height, b.width, b.height], [40, 30, 20, 20])
        XCTAssertEqual(a.path, dir + "/images/a.png")
        // [x, y, w, h] → x0 = x, x1 = x + w.
        XCTAssertEqual(a.boxes.map(box), [[2, 3, 12, 8], [0, 0, 40, 30]])
        XCTAssertEqual(a.boxes.map(\.classIndex), [1, 0])
        XCTAssertEqual(a.boxes.map(\.className), ["cat", "dog"])
        XCTAssertEqual(a.boxes.map(\.isDifficult), [false, true])  // iscrowd
        // [-0.5, 12, 20.5, 8.5] → (-0.5, 12)–(20, 20.5): within 1 px → clipped to (0, 12)–(20, 20).
        // [10, 10, 14, 6] → (10, 10)–(24, 16): 60 of 84 px² inside → clipped to (10, 10)–(20, 16).
        XCTAssertEqual(b.boxes.map(box), [[0, 12, 20, 20], [10, 10, 20, 16]])
        XCTAssertEqual(a.droppedBoxes, 3)
        XCTAssertEqual(b.droppedBoxes, 2)

        problem(d, "instances.json", "images[2]", contains: "missing.png does not exist")
        problem(d, "instances.json", "annotations[2]", contains: "unknown category_id 9")
        problem(d, "instances.json", "annotations[3]", contains: "zero or negative size 0×4")
        // (15, 15)–(25, 25) in 20×20: 25 of 100 px² inside.
        problem(d, "instances.json", "annotations[4]", contains: "more than half outside the 20×20 image")
        problem(d, "instances.json", "annotations[7]", contains: "image_id 99 is not in images")
        problem(d, "instances.json", "annotations[8]", contains: "bbox is not")
        problem(d, "instances.json", "annotations[10]", contains: "bbox is not")
        XCTAssertEqual(d.problems.count, 7)  // annotations[9] belongs to the missing image: no extra problem

        let p = strictProblem(dir)
        XCTAssertEqual(p?.entry, "images[2]")
        XCTAssertEqual(p?.description, dir + "/instances.json: images[2]: image file \(dir)/images/missing.png does not exist")
    }

    func testCOCOFileWithImagesFolderArgumentAndHeaderSize() throws {
        try png("pics/x.png", 12, 7)
        try text("ann/train.json", """
        {"images": [{"id": "x", "file_name": "x.png"}],
         "categories": [{"id": 0, "name": "part"}],
         "annotations": [{"image_id": "x", "category_id": 0, "bbox": [1.5, 2.25, 3, 4]}]}
        """)
        let d = try BoxDataset.coco(json: dir + "/ann/train.json", images: dir + "/pics")
        XCTAssertEqual(d.problems, [])
        XCTAssertEqual([d.images[0].width, d.images[0].height], [12, 7])  // from the PNG header
        XCTAssertEqual(d.images[0].boxes.map(box), [[1.5, 2.25, 4.5, 6.25]])
        // Opening the .json directly resolves against its own folder, where x.png is not.
        let direct = try BoxDataset.open(dir + "/ann/train.json")
        XCTAssertEqual(direct.images.count, 0)
        problem(direct, "train.json", "images[0]", contains: "does not exist")
    }

    /// Tools write `file_name` both as `x.png` (relative to images/) and as `images/x.png`
    /// (relative to the JSON's folder, as vigil synth signs does); both resolve.
    func testCOCOFileNamesWithOrWithoutTheImagesFolder() throws {
        try png("images/a.png", 20, 10)
        try png("images/b.png", 20, 10)
        try text("annotations.json", """
        {"images": [{"id": 1, "file_name": "a.png", "width": 20, "height": 10},
                    {"id": 2, "file_name": "images/b.png", "width": 20, "height": 10},
                    {"id": 3, "file_name": "images/missing.png", "width": 20, "height": 10}],
         "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]},
                         {"id": 2, "image_id": 2, "category_id": 1, "bbox": [2, 2, 4, 4]}],
         "categories": [{"id": 1, "name": "sign"}]}
        """)
        let d = try BoxDataset.open(dir)
        XCTAssertEqual(d.images.map { ($0.path as NSString).lastPathComponent }, ["a.png", "b.png"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: d.images[1].path))
        XCTAssertEqual(d.images[1].boxes.count, 1)
        problem(d, "annotations.json", "images[2]", contains: "does not exist")
    }

    func testCOCOBadJSONThrowsNamingTheFile() throws {
        try text("instances.json", "{\"images\": [")
        XCTAssertThrowsError(try BoxDataset.open(dir)) { e in
            let p = e as? AnnotationProblem
            XCTAssertEqual(p?.entry, "JSON")
            XCTAssertEqual(p?.file, dir + "/instances.json")
        }
        try text("instances.json", "{\"images\": [], \"annotations\": {}}")
        XCTAssertThrowsError(try BoxDataset.open(dir + "/instances.json")) { e in
            XCTAssertEqual((e as? AnnotationProblem)?.description, dir + "/instances.json: annotations: not an array")
        }
    }

    // MARK: YOLO

    func writeYOLO() throws {
        try png("images/a.png", 100, 50)
        try png("images/sub/b.png", 64, 32)
        try png("images/c.png", 10, 10)  // no label file: a negative example
        try text("data.yaml", "path: .\ntrain: images\nnames:\n  - bolt   # the long ones\n  - 'nut'\nnc: 2\n")
        try text("labels/a.txt", """
        0 0.5 0.5 0.2 0.4
        1 0.25 0.5 0.5 1.0

        2 0.5 0.5 0.1 0.1
        0 0.5 0.5 0.1
        0 0.5 abc 0.1 0.1
        1 0.5 0.5 0 0.2
        0 1.2 0.5 0.2 0.2
        """)
        try text("labels/sub/b.txt", "1 0.5 0.5 0.25 0.5\n")
        try text("labels/orphan.txt", "0 0.5 0.5 0.1 0.1\n")
    }

    func testYOLOBoxesAndProblems() throws {
        try writeYOLO()
        let d = try BoxDataset.open(dir)
        XCTAssertEqual(d.format, .yolo)
        XCTAssertEqual(d.classes, ["bolt", "nut"])
        XCTAssertEqual(d.images.map { $0.path.replacingOccurrences(of: dir + "/", with: "") }, ["images/a.png", "images/c.png", "images/sub/b.png"])
        let a = d.images[0], c = d.images[1], b = d.images[2]
        XCTAssertEqual([a.width, a.height], [100, 50])
        // 100×50: (0.5, 0.5, 0.2, 0.4) → centre (50, 25), size 20×20 → (40, 15)–(60, 35).
        // (0.25, 0.5, 0.5, 1.0) → centre (25, 25), size 50×50 → (0, 0)–(50, 50).
        XCTAssertEqual(a.boxes.map(box), [[40, 15, 60, 35], [0, 0, 50, 50]])
        XCTAssertEqual(a.boxes.map(\.className), ["bolt", "nut"])
        XCTAssertEqual(a.droppedBoxes, 5)
        XCTAssertEqual(c.boxes, [])
        // 64×32: (0.5, 0.5, 0.25, 0.5) → centre (32, 16), size 16×16 → (24, 8)–(40, 24).
        XCTAssertEqual(b.boxes.map(box), [[24, 8, 40, 24]])
        XCTAssertEqual(b.boxes[0].classIndex, 1)

        problem(d, "labels/a.txt", "line 4", contains: "unknown class 2")
        problem(d, "labels/a.txt", "line 5", contains: "expected 5 fields (class cx cy w h), found 4")
        problem(d, "labels/a.txt", "line 6", contains: "'abc' is not a number")
        problem(d, "labels/a.txt", "line 7", contains: "zero or negative size 0×10")
        // cx 1.2 → x 110…130 in a 100-wide image: wholly outside.
        problem(d, "labels/a.txt", "line 8", contains: "more than half outside the 100×50 image")
        problem(d, "labels/orphan.txt", "file", contains: "no image")
        XCTAssertEqual(d.problems.count, 6)

        let p = strictProblem(dir)
        XCTAssertEqual(p?.description, dir + "/labels/a.txt: line 4: unknown class 2 (2 classes)")
    }

    func testYOLOClassNameForms() throws {
        try png("images/a.png", 8, 8)
        try text("labels/a.txt", "1 0.5 0.5 0.5 0.5\n")
        let forms = [
            "names: [bolt, \"nut\"]\n",
            "names: {0: bolt, 1: nut}\n",
            "nc: 2\nnames:\n  1: nut\n  0: bolt\ntrain: x\n",
            "names:\n- bolt\n- nut\n",
        ]
        for yaml in forms {
            try text("data.yaml", yaml)
            let d = try BoxDataset.open(dir)
            XCTAssertEqual(d.classes, ["bolt", "nut"], yaml)
            XCTAssertEqual(d.images[0].boxes.map(box), [[2, 2, 6, 6]], yaml)
        }
        // classes.txt wins over data.yaml.
        try text("classes.txt", "washer\nscrew\n")
        XCTAssertEqual(try BoxDataset.open(dir).classes, ["washer", "screw"])
        try FileManager.default.removeItem(atPath: dir + "/classes.txt")
        try FileManager.default.removeItem(atPath: dir + "/data.yaml")
        XCTAssertThrowsError(try BoxDataset.open(dir)) { e in
            XCTAssertEqual((e as? AnnotationProblem)?.entry, "classes")
        }
        try text("data.yaml", "names:\n  0: bolt\n  2: nut\n")
        XCTAssertThrowsError(try BoxDataset.open(dir)) { e in
            XCTAssertTrue("\(e)".contains("names skip class 1"), "\(e)")
        }
    }

    func testYOLOJPEGSizeIsAsStoredIgnoringEXIFRotation() throws {
        // A 24×16 JPEG tagged "rotate 90°": shown 16×24, stored 24×16; boxes use the stored size.
        let jpeg = try ImageCodec.encodeJPEG(Image(width: 24, height: 16, channels: 3, pixels8: [UInt8](repeating: 200, count: 24 * 16 * 3)), exifOrientation: 6)
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        try Data(jpeg).write(to: URL(fileURLWithPath: dir + "/images/r.JPG"))
        try text("labels/r.txt", "0 0.5 0.5 0.5 0.5\n")
        try text("labels/classes.txt", "part\n")  // labelImg's place for it
        let d = try BoxDataset.open(dir)
        XCTAssertEqual(d.problems, [])
        XCTAssertEqual([d.images[0].width, d.images[0].height], [24, 16])
        XCTAssertEqual(d.images[0].boxes.map(box), [[6, 4, 18, 12]])
        // A file that is not an image is a problem naming it; its label goes with it.
        try text("images/broken.png", "not a png")
        try text("labels/broken.txt", "0 0.5 0.5 0.5 0.5\n")
        let e = try BoxDataset.open(dir)
        XCTAssertEqual(e.images.count, 1)
        problem(e, "images/broken.png", "header", contains: "cannot read the image size")
        XCTAssertEqual(e.problems.count, 1)
    }

    // MARK: Pascal VOC

    func vocXML(_ file: String, size: (Int, Int)?, objects: [(String, [String], Bool)]) -> String {
        var s = "<annotation>\n  <folder>VOC</folder>\n  <filename>\(file)</filename>\n"
        if let (w, h) = size { s += "  <size><width>\(w)</width><height>\(h)</height><depth>3</depth></size>\n" }
        for (name, b, difficult) in objects {
            s += """
              <object>
                <name>\(name)</name><pose>Unspecified</pose><truncated>0</truncated><difficult>\(difficult ? 1 : 0)</difficult>
                <bndbox><xmin>\(b[0])</xmin><ymin>\(b[1])</ymin><xmax>\(b[2])</xmax><ymax>\(b[3])</ymax></bndbox>
              </object>\n
            """
        }
        return s + "</annotation>\n"
    }

    func writeVOC() throws {
        try png("JPEGImages/img1.png", 50, 40)
        try png("JPEGImages/img3.png", 30, 20)
        try text("classes.txt", "person\ncar\n")
        try text("Annotations/img1.xml", vocXML("img1.png", size: (50, 40), objects: [
            ("person", ["1", "1", "10", "20"], false),  // → (0, 0)–(10, 20)
            ("car", ["5", "6", "5", "6"], true),  // one pixel: column 5, row 6 (1-based) → (4, 5)–(5, 6)
            ("tree", ["1", "1", "2", "2"], false),
            ("person", ["10", "10", "8", "20"], false),  // xmax < xmin: width 8 − 9 = −1
            ("person", ["abc", "1", "2", "2"], false),
            ("car", ["0", "0", "51", "41"], false),  // (−1, −1)–(51, 41): within 1 px → (0, 0)–(50, 40)
            ("car", ["30", "1", "80", "10"], false),  // (29, 0)–(80, 10): 21 of 51 columns inside
        ]))
        try text("Annotations/img2.xml", vocXML("img2.jpg", size: (10, 10), objects: [("car", ["1", "1", "2", "2"], false)]))
        try text("Annotations/bad.xml", "<annotation>\n<filename>img1.png</filename>\n<object><name>car</name>\n</annotation>\n")
        // No <size>: 30×20 comes from the PNG header.
        try text("Annotations/img3.xml", vocXML("img3.png", size: nil, objects: [("person", ["1", "1", "30", "20"], false)]))
    }

    func testVOCBoxesAndProblems() throws {
        try writeVOC()
        let d = try BoxDataset.open(dir)
        XCTAssertEqual(d.format, .voc)
        XCTAssertEqual(d.classes, ["person", "car"])
        XCTAssertEqual(d.images.map { ($0.path as NSString).lastPathComponent }, ["img1.png", "img3.png"])
        let one = d.images[0], three = d.images[1]
        XCTAssertEqual(one.boxes.map(box), [[0, 0, 10, 20], [4, 5, 5, 6], [0, 0, 50, 40]])
        XCTAssertEqual(one.boxes.map(\.className), ["person", "car", "car"])
        XCTAssertEqual(one.boxes.map(\.classIndex), [0, 1, 1])
        XCTAssertEqual(one.boxes.map(\.isDifficult), [false, true, false])
        XCTAssertEqual(one.droppedBoxes, 4)
        XCTAssertEqual([three.width, three.height], [30, 20])
        XCTAssertEqual(three.boxes.map(box), [[0, 0, 30, 20]])

        problem(d, "img1.xml", "object[2]", contains: "unknown class 'tree'")
        problem(d, "img1.xml", "object[3]", contains: "zero or negative size -1×11")
        problem(d, "img1.xml", "object[4]", contains: "<xmin> 'abc' is not a number")
        problem(d, "img1.xml", "object[6]", contains: "more than half outside the 50×40 image")
        problem(d, "img2.xml", "filename", contains: "JPEGImages/img2.jpg does not exist")
        let bad = d.problems.filter { $0.file.hasSuffix("bad.xml") }
        XCTAssertEqual(bad.count, 1)
        XCTAssertTrue(bad.first?.entry.hasPrefix("line ") ?? false, "\(bad)")
        XCTAssertTrue(bad.first?.reason.contains("malformed XML") ?? false, "\(bad)")
        XCTAssertEqual(d.problems.count, 6)
        // Problems read in file order: bad.xml, img1.xml's objects, img2.xml.
        XCTAssertEqual(d.problems.map(\.entry).dropFirst(), ["object[2]", "object[3]", "object[4]", "object[6]", "filename"])

        let p = strictProblem(dir)
        XCTAssertEqual(p?.file, dir + "/Annotations/bad.xml")
    }

    func testVOCClassesFromNamesWhenNoList() throws {
        try writeVOC()
        try FileManager.default.removeItem(atPath: dir + "/classes.txt")
        let d = try BoxDataset.voc(root: dir)
        XCTAssertEqual(d.classes, ["car", "person", "tree"])
        XCTAssertEqual(d.images[0].boxes.map(\.className), ["person", "car", "tree", "car"])
        XCTAssertTrue(d.problems.allSatisfy { $0.entry != "object[2]" })
        // An explicit list makes other names unknown.
        let only = try BoxDataset.voc(root: dir, classes: ["car"])
        XCTAssertEqual(only.images[0].boxes.map(box), [[4, 5, 5, 6], [0, 0, 50, 40]])
    }

    // MARK: detection

    func testOpenRejectsUnknownLayouts() throws {
        try text("notes.txt", "hello")
        XCTAssertThrowsError(try BoxDataset.open(dir)) { e in
            XCTAssertEqual((e as? AnnotationProblem)?.entry, "layout")
        }
        XCTAssertThrowsError(try BoxDataset.open(dir + "/nothing-here")) { e in
            XCTAssertEqual((e as? AnnotationProblem)?.reason, "does not exist")
        }
        try text("a.json", "{}")
        try text("b.json", "{}")
        XCTAssertThrowsError(try BoxDataset.open(dir)) { e in
            XCTAssertTrue("\(e)".contains("several .json files"), "\(e)")
        }
    }
}
