import Foundation
import ImageIO
import XCTest
@testable import Jobs
import TensorCore

final class ScanJobTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-scan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/sub/deeper", withIntermediateDirectories: true)
        let img = Image(width: 6, height: 4, channels: 3, pixels8: (0..<72).map { UInt8($0 * 3) })
        try Data(ImageCodec.encodePNG(img)).write(to: URL(fileURLWithPath: dir + "/a.png"))
        try Data(ImageCodec.encodeJPEG(img, exifOrientation: 6)).write(to: URL(fileURLWithPath: dir + "/sub/b.jpg"))
        let jpeg = try ImageCodec.encodeJPEG(img)
        try Data(jpeg.prefix(jpeg.count / 2)).write(to: URL(fileURLWithPath: dir + "/sub/deeper/cut.jpg"))
        try Data("hello".utf8).write(to: URL(fileURLWithPath: dir + "/sub/readme.txt"))
        try Data().write(to: URL(fileURLWithPath: dir + "/.hidden.png"))
        // A link back to the root: walking must not loop.
        try FileManager.default.createSymbolicLink(atPath: dir + "/sub/deeper/loop", withDestinationPath: dir)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func scan(_ job: ScanJob) throws -> ([ScanRecord], ScanJob.Summary) {
        var rows: [ScanRecord] = []
        let s = try job.run { rows.append($0) }
        return (rows, s)
    }

    func testWalksRecursivelyWithoutLoopingAndSkipsHidden() throws {
        let files = try FileWalker().files(under: dir).map(\.relativePath)
        XCTAssertEqual(files, ["a.png", "sub/b.jpg", "sub/deeper/cut.jpg", "sub/readme.txt"])
        XCTAssertEqual(try FileWalker(includeHidden: true).files(under: dir).count, 5)
    }

    func testEveryFileGetsARowWithTheRightStatus() throws {
        for threads in [1, 2] {
            let (rows, summary) = try scan(ScanJob(root: dir, threads: threads))
            XCTAssertEqual(rows.map(\.path), ["a.png", "sub/b.jpg", "sub/deeper/cut.jpg", "sub/readme.txt"])
            XCTAssertEqual(rows.map(\.ok), [true, true, false, false])
            XCTAssertEqual(rows[0].info?.format, .png)
            XCTAssertEqual(rows[0].info?.width, 6)
            XCTAssertEqual(rows[1].info?.orientation, 6)
            XCTAssertEqual(rows[2].errorKind, "truncated")
            XCTAssertEqual(rows[3].errorKind, "not_an_image")
            XCTAssertEqual(summary.failed, 2)
            XCTAssertEqual(summary.byFormat, ["png": 1, "jpeg": 1])
            // sha256 of "hello", as published.
            XCTAssertEqual(rows[3].sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        }
    }

    func testQuarantineMovesFailuresKeepingRelativePaths() throws {
        var job = ScanJob(root: dir, threads: 2)
        job.quarantine = dir + "-q"
        defer { try? FileManager.default.removeItem(atPath: dir + "-q") }
        let (rows, summary) = try scan(job)
        XCTAssertEqual(summary.moved, 2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "-q/sub/deeper/cut.jpg"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "-q/sub/readme.txt"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/sub/readme.txt"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/a.png"), "good files stay")
        XCTAssertEqual(rows[3].movedTo, dir + "-q/sub/readme.txt")
    }

    func testManifestIsWrittenAtomicallyAsCSVAndJSONL() throws {
        for format in RecordFormat.allCases {
            let out = dir + "-manifest.\(format.rawValue)"
            defer { try? FileManager.default.removeItem(atPath: out) }
            let w = try RecordWriter(columns: ScanRecord.columns, format: format, path: out)
            _ = try ScanJob(root: dir, threads: 2).run { w.write($0.fields) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing at the destination before commit")
            try w.commit()
            let text = try String(contentsOfFile: out, encoding: .utf8)
            let lines = text.split(separator: "\n")
            switch format {
            case .csv:
                XCTAssertEqual(lines.count, 5)
                XCTAssertEqual(String(lines[0]), ScanRecord.columns.joined(separator: ","))
                XCTAssertTrue(lines[1].hasPrefix("a.png,png,6,4,6,4,3,8,rgb,,"))
            case .jsonl:
                XCTAssertEqual(lines.count, 4)
                let obj = try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as! [String: Any]
                XCTAssertEqual(obj["status"] as? String, "error")
                XCTAssertEqual(obj["error_kind"] as? String, "truncated")
                XCTAssertTrue((obj["path"] as? String) == "sub/deeper/cut.jpg")
            }
        }
    }

    func testCSVQuotingAndJSONEscaping() {
        XCTAssertEqual(RecordWriter.csvEscape("a,b\"c"), "\"a,b\"\"c\"")
        XCTAssertEqual(RecordWriter.csvEscape("plain"), "plain")
        XCTAssertEqual(RecordWriter.jsonString("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"")
    }

    func testOrderedParallelKeepsOrderAndBoundsTheWindow() {
        var seen: [Int] = []
        orderedParallel(count: 1000, threads: 2, window: 8, work: { i in i * i }, emit: { i, v in
            XCTAssertEqual(v, i * i)
            seen.append(i)
        })
        XCTAssertEqual(seen, Array(0..<1000))
    }
}
