import Foundation
import XCTest
import Zoo

/// `vigil pipeline` end to end: a folder with broken files and a generated video, records and
/// annotated images, exit codes, resume; `classify` and `features` equal their pipeline files.
final class PipelineCommandTests: XCTestCase {
    var dir: String!
    let repo = URL(fileURLWithPath: fixturesFolder).deletingLastPathComponent().path

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vigil-pipe-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/in/sub", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func model() throws -> String {
        let path = dir + "/m.safetensors"
        var config = Zoo.entry("crop_vgg")!.defaultConfig
        config.numClasses = 3
        config.widthMultiplier = 0.25
        try Model(zoo: "crop_vgg", config: config, labels: ["stop", "yield", "other"], seed: 1).save(path: path)
        return path
    }

    /// 160×120 gray PNG with a red square at (x, y), side s.
    func redSquare(_ path: String, x: Int, y: Int, s: Int) throws {
        let script = "import struct,zlib\nw,h=160,120\nrows=b''\nfor j in range(h):\n  r=b'\\x00'\n  for i in range(w):\n    r+=bytes((208,32,32)) if \(x)<=i<\(x + s) and \(y)<=j<\(y + s) else bytes((112,112,112))\n  rows+=r\n"
            + "def chunk(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d))\n"
            + "open('\(path)','wb').write(b'\\x89PNG\\r\\n\\x1a\\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',w,h,8,2,0,0,0))+chunk(b'IDAT',zlib.compress(rows))+chunk(b'IEND',b''))\n"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
    }

    func ffmpeg(_ args: [String]) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["ffmpeg", "-loglevel", "error", "-y"] + args
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    func jsonl(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func testFolderWithBrokenFilesAndAVideo() throws {
        try redSquare(dir + "/in/a.png", x: 30, y: 40, s: 40)
        try redSquare(dir + "/in/sub/b.png", x: 100, y: 20, s: 30)
        try FileManager.default.copyItem(atPath: fixturesFolder + "/bad/png_bad_crc.png", toPath: dir + "/in/broken.png")
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: dir + "/in/notes.txt"))
        // 2 s at 10 fps: a red square at (60, 60) for the first second, at (180, 80) after.
        let haveVideo = try ffmpeg(["-f", "lavfi", "-i", "color=c=0x707070:s=320x240:d=2:r=10,drawbox=x=60:y=60:w=50:h=50:color=0xD02020:t=fill:enable='lt(t,1)',drawbox=x=180:y=80:w=40:h=40:color=0xD02020:t=fill:enable='gte(t,1)'",
                                    "-pix_fmt", "yuv420p", "-c:v", "mpeg4", "-q:v", "2", "-movflags", "+faststart", dir + "/in/clip.mp4"])
        if haveVideo {  // the first half of the clip's bytes: frames, then an error record
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/in/clip.mp4"))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir + "/in/sub/cut.mp4"))
        }
        let out = dir + "/out"
        let r = try runVigil(["pipeline", "run", repo + "/pipelines/sign-candidates.yaml", dir + "/in", "--out", out, "--threads", "2"])
        XCTAssertEqual(r.status, 1, "two files are broken: \(r.stderr)")
        let all = try jsonl(out + "/candidates.jsonl")
        let records = all.filter { $0["path"] as? String != "sub/cut.mp4" }
        if haveVideo {
            let cut = all.filter { $0["path"] as? String == "sub/cut.mp4" }
            XCTAssertGreaterThanOrEqual(cut.count, 2, "some frames, then the error")
            XCTAssertEqual(cut.last?["status"] as? String, "error")
            XCTAssertTrue((cut.last?["error"] as? String ?? "").contains("cut.mp4"), "\(cut.last ?? [:])")
            XCTAssertEqual(cut.first?["status"] as? String, "ok")
        }
        let paths = records.map { $0["path"] as! String }
        let expected = ["a.png", "broken.png"] + (haveVideo ? Array(repeating: "clip.mp4", count: 4) : []) + ["notes.txt", "sub/b.png"]
        XCTAssertEqual(paths, expected, "input order, one record per image and per sampled frame")
        let byPath = { (p: String) in records.first { $0["path"] as? String == p }! }
        XCTAssertEqual(byPath("broken.png")["status"] as? String, "error")
        XCTAssertTrue((byPath("notes.txt")["error"] as! String).contains("not an image"))
        // The red square is the one candidate, its box around the square (10 % padding).
        for (p, x, y, s) in [("a.png", 30.0, 40.0, 40.0), ("sub/b.png", 100.0, 20.0, 30.0)] {
            let regions = byPath(p)["regions"] as! [[String: Any]]
            XCTAssertEqual(regions.count, 1, p)
            let box = regions[0]["box"] as! [Double]
            for (got, want) in zip(box, [x - 0.1 * s, y - 0.1 * s, x + 1.1 * s, y + 1.1 * s]) { XCTAssertEqual(got, want, accuracy: 2.5, p) }
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/annotated/" + (p as NSString).deletingPathExtension + ".jpg"), p)
        }
        if haveVideo {
            let frames = records.filter { $0["path"] as? String == "clip.mp4" }
            XCTAssertEqual(frames.map { $0["frame"] as! Int }, [0, 5, 10, 15])
            XCTAssertEqual(frames.map { $0["timestamp"] as! Double }, [0, 0.5, 1.0, 1.5])
            for f in frames {
                let regions = f["regions"] as! [[String: Any]]
                XCTAssertEqual(regions.count, 1, "\(f)")
                let x0 = (regions[0]["box"] as! [Double])[0]
                XCTAssertEqual(x0, (f["timestamp"] as! Double) < 1 ? 55 : 176, accuracy: 3)
            }
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/annotated/clip@000010.jpg"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/candidates.jsonl.partial"))

        // Resume: a run killed after three records continues with the rest, same result.
        let complete = try String(contentsOfFile: out + "/candidates.jsonl", encoding: .utf8)
        let lines = complete.split(separator: "\n")
        try FileManager.default.removeItem(atPath: out + "/candidates.jsonl")
        try (lines[0..<3].joined(separator: "\n") + "\n" + lines[3].prefix(9)).write(toFile: out + "/candidates.jsonl.partial", atomically: true, encoding: .utf8)
        let resumed = try runVigil(["pipeline", "run", repo + "/pipelines/sign-candidates.yaml", dir + "/in", "--out", out, "--resume"])
        XCTAssertEqual(resumed.status, 1, resumed.stderr)
        XCTAssertEqual(try String(contentsOfFile: out + "/candidates.jsonl", encoding: .utf8), complete)
    }

    func testCheckAndBadPipelineExitCodes() throws {
        let good = try runVigil(["pipeline", "check", repo + "/pipelines/sign-candidates.yaml"])
        XCTAssertEqual(good.status, 0, good.stdout)
        XCTAssertTrue(good.stdout.contains("OK (video → decode → propose → nms → annotate → write)"), good.stdout)
        let bad = dir + "/bad.yaml"
        try "version: 1\nstages:\n  - decode: {}\n  - nms: {iou: 0.5}\n  - write: {format: jsonl, path: r.jsonl}\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let checked = try runVigil(["pipeline", "check", bad])
        XCTAssertEqual(checked.status, 1)
        XCTAssertTrue(checked.stdout.contains("\(bad):4: stages[1].nms: has no boxes upstream"), checked.stdout)
        let run = try runVigil(["pipeline", "run", bad, dir + "/in"])
        XCTAssertEqual(run.status, 2, "a pipeline that cannot work never starts")
        XCTAssertTrue(run.stderr.contains("\(bad):4:"), run.stderr)
        XCTAssertEqual(try runVigil(["pipeline", "run", repo + "/pipelines/sign-candidates.yaml", dir + "/in", "--threads", "0"]).status, 64)
        let list = try runVigil(["pipeline", "list", "--dir", repo + "/pipelines"])
        XCTAssertTrue(list.stdout.contains("sign-candidates.yaml"), list.stdout)
        XCTAssertFalse(list.stdout.contains("driving-224"), "augmentation chains are not pipelines")
    }

    /// `vigil classify` and `vigil features` write byte for byte what their pipeline files write.
    func testClassifyAndFeaturesEqualTheirPipelineFiles() throws {
        let m = try model()
        for name in ["rgb_640x480.jpg", "gray.jpg", "orientation_6.jpg"] {
            try FileManager.default.copyItem(atPath: fixturesFolder + "/jpeg/" + name, toPath: dir + "/in/" + name)
        }
        try FileManager.default.copyItem(atPath: fixturesFolder + "/bad/png_bad_crc.png", toPath: dir + "/in/sub/broken.png")
        for format in ["csv", "jsonl", "table"] {
            let a = try runVigil(["classify", dir + "/in", "--model", m, "--format", format, "--top-k", "2", "--threads", "2"])
            let b = try runVigil(["pipeline", "run", repo + "/pipelines/classify.yaml", dir + "/in", "--set", "classify.model=\(m)",
                                  "--set", "classify.top_k=2", "--set", "write.format=\(format)", "--threads", "2"])
            XCTAssertEqual(a.status, 1, a.stderr)
            XCTAssertEqual(b.status, 1, b.stderr)
            XCTAssertEqual(a.stdout, b.stdout, format)
            XCTAssertEqual(a.stdout.split(separator: "\n").count, format == "csv" ? 5 : 4)
        }
        let f = try runVigil(["features", dir + "/in", "--model", m, "-o", dir + "/a.npy", "--pool", "max"])
        let g = try runVigil(["pipeline", "run", repo + "/pipelines/features.yaml", dir + "/in", "--set", "features.model=\(m)",
                              "--set", "features.pool=max", "--set", "write.path=b.npy", "--out", dir])
        XCTAssertEqual(f.status, 1, f.stderr)
        XCTAssertEqual(g.status, 1, g.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.npy")), try Data(contentsOf: URL(fileURLWithPath: dir + "/b.npy")))
        XCTAssertEqual(try String(contentsOfFile: dir + "/a.npy.csv", encoding: .utf8), try String(contentsOfFile: dir + "/b.npy.csv", encoding: .utf8))
        // The plan of the same pipeline: shapes and the model's FLOPs, as inspect prints them.
        let dry = try runVigil(["pipeline", "run", "classify", "--set", "classify.model=\(m)", "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let inspect = try runVigil(["inspect", m])
        let gflops = inspect.stdout.split(separator: "\n").first { $0.hasPrefix("total:") }!.split(separator: ",")[1].split(separator: " ")[0]
        XCTAssertTrue(dry.stdout.contains("\(gflops) GFLOPs per image"), dry.stdout + "\n" + inspect.stdout)
        XCTAssertTrue(dry.stdout.contains("top-3 classes"), dry.stdout)
    }
}
