import Foundation
import XCTest

/// Runs the built `vigil` executable the way a script would: (exit status, stdout, stderr).
func runVigil(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var exe = products.appendingPathComponent("vigil")
    if !FileManager.default.fileExists(atPath: exe.path) {
        // xctest bundles on some platforms sit one level deeper.
        exe = products.deletingLastPathComponent().appendingPathComponent("vigil")
    }
    let p = Process()
    p.executableURL = exe
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

let fixturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path

/// `vigil scan`: exit codes and outputs.
final class ScanCommandTests: XCTestCase {
    static let fixtures = fixturesFolder

    func vigil(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) { try runVigil(args) }

    func testScanOfMixedFolderListsEveryFileAndExitsZero() throws {
        let bad = Self.fixtures + "/bad"
        let count = try FileManager.default.contentsOfDirectory(atPath: bad).count
        let r = try vigil(["scan", bad, "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, count + 1, "a header and one row per file")
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.contains(",error,") }, "every bad fixture fails")
        XCTAssertTrue(r.stderr.contains("scanned \(count) files"), r.stderr)
    }

    func testStrictFailsWhenAnythingFailed() throws {
        XCTAssertEqual(try vigil(["scan", Self.fixtures + "/bad", "--strict", "--quiet"]).status, 1)
        XCTAssertEqual(try vigil(["scan", Self.fixtures + "/png", "--strict", "--quiet"]).status, 0)
    }

    func testJSONLOutputFileIsWrittenAndParses() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cli-\(getpid()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try vigil(["scan", Self.fixtures + "/jpeg", "--output", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        XCTAssertEqual(rows.count, 17)
        let o6 = rows.first { ($0["path"] as? String) == "orientation_6.jpg" }!
        XCTAssertEqual(o6["orientation"] as? Int, 6)
        // width and height describe the upright image decoding yields; the stored size has its own columns.
        let sw = o6["stored_width"] as? Int, sh = o6["stored_height"] as? Int
        XCTAssertNotEqual(sw, sh)
        XCTAssertEqual(o6["width"] as? Int, sh)
        XCTAssertEqual(o6["height"] as? Int, sw)
        let o1 = rows.first { ($0["path"] as? String) == "orientation_1.jpg" }!
        XCTAssertEqual(o1["width"] as? Int, o1["stored_width"] as? Int)
        XCTAssertEqual(o6["format"] as? String, "jpeg")
        let cmyk = rows.first { ($0["path"] as? String) == "cmyk_adobe_inverted.jpg" }!
        XCTAssertEqual(cmyk["color_space"] as? String, "cmyk")
        XCTAssertEqual(cmyk["channels"] as? Int, 4)
    }

    func testMissingFolderAndBadUsage() throws {
        let missing = try vigil(["scan", "/nonexistent/vigil-folder"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/vigil-folder"), missing.stderr)
        XCTAssertEqual(try vigil(["scan", Self.fixtures, "--threads", "0"]).status, 64)
        XCTAssertEqual(try vigil(["scan", Self.fixtures, "--format", "xml"]).status, 64)
    }
}
