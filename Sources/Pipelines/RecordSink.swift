import Foundation
import Jobs

/// Pipeline records as JSON Lines (one object per image or frame, its regions inside) or CSV
/// (one row per region; an image without regions still gets one row), written to
/// `FILE.partial` and renamed when the run completes.
///
/// JSONL: `{"path", "frame", "timestamp", "status", "error", "width", "height", "top": [{index,
/// label, score}], "regions": [{"label", "class", "score", "box": [x0, y0, x1, y1], "origin"}],
/// "heatmap": {"title", "max", "mean"}, "outputs": [files]}`. Boxes are pixels of the upright
/// image, x1/y1 exclusive.
///
/// Resume: complete lines of an earlier run are kept except the last item's (it may have been
/// cut between its rows), and their keys are reported in `done`.
final class RecordSink {
    static let csvColumns = ["path", "frame", "timestamp", "status", "error", "width", "height", "label", "class", "score",
                             "x0", "y0", "x1", "y1", "origin", "top_label", "top_score", "anomaly_score", "verdict", "outputs"]

    let format: String
    let destination: String?
    let handle: FileHandle
    private(set) var done = Set<String>()
    private(set) var previousFailures = 0

    init(format: String, output: String?, resume: Bool) throws {
        self.format = format
        destination = output
        guard let output else {
            handle = .standardOutput
            if format == "csv" { handle.write(Data((Self.csvColumns.joined(separator: ",") + "\n").utf8)) }
            return
        }
        let fm = FileManager.default
        try fm.createDirectory(atPath: (output as NSString).deletingLastPathComponent.isEmpty ? "." : (output as NSString).deletingLastPathComponent,
                               withIntermediateDirectories: true)
        let partial = output + ".partial"
        if resume && !fm.fileExists(atPath: partial) && fm.fileExists(atPath: output) { try fm.moveItem(atPath: output, toPath: partial) }
        var lines: [Substring] = []
        if resume, let d = fm.contents(atPath: partial) {
            var text = String(decoding: d, as: UTF8.self)
            if let nl = text.lastIndex(of: "\n") { text = String(text[...nl]) } else { text = "" }
            lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            if format == "csv", let first = lines.first, first.hasPrefix("path,") { lines.removeFirst() }
            // Drop the last item's lines: it may have been cut between rows.
            if let last = lines.last.flatMap({ Self.parse($0, format: format) }) {
                while let l = lines.last, let k = Self.parse(l, format: format), k.key == last.key { lines.removeLast() }
            }
            var failedKeys = Set<String>()
            for l in lines {
                guard let k = Self.parse(l, format: format) else { continue }
                done.insert(k.key)
                if k.failed { failedKeys.insert(k.key) }
            }
            previousFailures = failedKeys.count
        }
        var start = lines.map { $0 + "\n" }.joined()
        if format == "csv" { start = Self.csvColumns.joined(separator: ",") + "\n" + start }
        guard fm.createFile(atPath: partial, contents: Data(start.utf8)), let h = FileHandle(forWritingAtPath: partial) else {
            throw WalkError(path: partial, reason: "cannot write")
        }
        handle = h
        handle.seekToEndOfFile()
    }

    /// (key, failed) of one written line.
    static func parse(_ line: Substring, format: String) -> (key: String, failed: Bool)? {
        if format == "jsonl" {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let path = obj["path"] as? String else { return nil }
            let key = (obj["frame"] as? Int).map { "\(path)#\($0)" } ?? path
            return (key, (obj["status"] as? String) == "error")
        }
        let f = CSVLine.split(String(line))
        guard f.count >= 4 else { return nil }
        return (f[1].isEmpty ? f[0] : "\(f[0])#\(f[1])", f[3] == "error")
    }

    func write(_ item: PipelineItem) throws {
        let text = format == "csv" ? csvRows(item) : jsonLine(item) + "\n"
        handle.write(Data(text.utf8))
    }

    func finish() throws {
        guard let destination else { return }
        try handle.synchronize()
        try handle.close()
        let fm = FileManager.default
        if fm.fileExists(atPath: destination) { try fm.removeItem(atPath: destination) }
        try fm.moveItem(atPath: destination + ".partial", toPath: destination)
    }

    static func num(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }

    func jsonLine(_ item: PipelineItem) -> String {
        let j = RecordWriter.jsonString
        var f: [String] = ["\"path\":\(j(item.source))"]
        f.append("\"frame\":" + (item.frame.map(String.init) ?? "null"))
        f.append("\"timestamp\":" + (item.timestamp.map { Self.num($0, 3) } ?? "null"))
        f.append("\"status\":\"\(item.ok ? "ok" : "error")\"")
        f.append("\"error\":" + (item.error.map(j) ?? "null"))
        f.append("\"width\":\(item.width),\"height\":\(item.height)")
        if let s = item.anomalyScore, let t = item.anomalyThreshold {
            f.append("\"anomaly_score\":\(Self.num(Double(s), 6)),\"threshold\":\(Self.num(Double(t), 6)),\"verdict\":\"\(s > t ? "NG" : "OK")\"")
        }
        if !item.top.isEmpty {
            f.append("\"top\":[" + item.top.map { "{\"index\":\($0.index),\"label\":\(j($0.label)),\"score\":\(Self.num(Double($0.score), 6))}" }.joined(separator: ",") + "]")
        }
        let regions = item.regions.map { r -> String in
            let box = [r.box.x0, r.box.y0, r.box.x1, r.box.y1].map { Self.num($0, 1) }.joined(separator: ",")
            return "{\"label\":\(r.label.map(j) ?? "null"),\"class\":\(r.classIndex.map(String.init) ?? "null"),"
                + "\"score\":\(Self.num(Double(r.score), 6)),\"box\":[\(box)],\"origin\":\"\(r.origin.rawValue)\"}"
        }
        f.append("\"regions\":[" + regions.joined(separator: ",") + "]")
        if let h = item.heatmap {
            let mx = h.values.max() ?? 0, mean = h.values.reduce(0, +) / Float(max(1, h.values.count))
            f.append("\"heatmap\":{\"title\":\(j(h.title)),\"max\":\(Self.num(Double(mx), 4)),\"mean\":\(Self.num(Double(mean), 4))}")
        }
        if let v = item.features { f.append("\"features\":[" + v.map { Self.num(Double($0), 6) }.joined(separator: ",") + "]") }
        f.append("\"outputs\":[" + item.outputs.map(j).joined(separator: ",") + "]")
        return "{" + f.joined(separator: ",") + "}"
    }

    func csvRows(_ item: PipelineItem) -> String {
        let e = RecordWriter.csvEscape
        let head = [e(item.source), item.frame.map(String.init) ?? "", item.timestamp.map { Self.num($0, 3) } ?? "",
                    item.ok ? "ok" : "error", e(item.error ?? ""), String(item.width), String(item.height)]
        var verdict = ""
        if let s = item.anomalyScore, let t = item.anomalyThreshold { verdict = s > t ? "NG" : "OK" }
        let tail = [e(item.top.first?.label ?? ""), item.top.first.map { Self.num(Double($0.score), 6) } ?? "",
                    item.anomalyScore.map { Self.num(Double($0), 6) } ?? "", verdict, e(item.outputs.joined(separator: ";"))]
        if item.regions.isEmpty { return (head + Array(repeating: "", count: 8) + tail).joined(separator: ",") + "\n" }
        return item.regions.map { r in
            (head + [e(r.label ?? ""), r.classIndex.map(String.init) ?? "", Self.num(Double(r.score), 6),
                     Self.num(r.box.x0, 1), Self.num(r.box.y0, 1), Self.num(r.box.x1, 1), Self.num(r.box.y1, 1), r.origin.rawValue] + tail)
                .joined(separator: ",")
        }.joined(separator: "\n") + "\n"
    }
}

/// Splits one CSV line as RecordWriter writes it (quotes doubled inside quoted fields).
enum CSVLine {
    static func split(_ line: String) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        var it = Array(line), i = 0
        while i < it.count {
            let c = it[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < it.count && it[i + 1] == "\"" { cur.append("\""); i += 1 } else { quoted = false }
                } else { cur.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { out.append(cur); cur = "" } else { cur.append(c) }
            i += 1
        }
        out.append(cur)
        it.removeAll()
        return out
    }
}
