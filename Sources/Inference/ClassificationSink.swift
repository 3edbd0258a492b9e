import Jobs
import Foundation

/// Writes classification rows as a table, CSV or JSON Lines.
///
/// To a file, rows go to `FILE.partial` one complete line per write and the file is renamed
/// to FILE when the run finishes, so FILE is never half-written. With `resume`, an existing
/// `FILE.partial` (or a finished FILE) is read back: a torn last line is cut off and the
/// paths already present are reported in `done` so the caller can skip them.
public final class ClassificationSink {
    let format: String
    let topK: Int
    let destination: String?
    let handle: FileHandle
    /// Paths already written by an earlier run (resume).
    public private(set) var done = Set<String>()
    /// Error rows among them.
    public private(set) var previousFailures = 0

    public init(format: String, topK: Int, output: String?, resume: Bool) throws {
        self.format = format
        self.topK = topK
        destination = output
        guard let output else {
            handle = .standardOutput
            if format == "csv" { handle.write(Data((ClassificationSink.csvHeader(topK) + "\n").utf8)) }
            return
        }
        let partial = output + ".partial"
        let fm = FileManager.default
        if resume && !fm.fileExists(atPath: partial) && fm.fileExists(atPath: output) {
            try fm.moveItem(atPath: output, toPath: partial)  // a finished run: reopen it
        }
        var existing = Data()
        if resume, let d = fm.contents(atPath: partial) { existing = d }
        // Keep only complete lines.
        if let lastNewline = existing.lastIndex(of: 0x0A) { existing = existing.prefix(through: lastNewline) } else { existing = Data() }
        for line in String(decoding: existing, as: UTF8.self).split(separator: "\n") {
            if let (path, failed) = ClassificationSink.parse(String(line), format: format) {
                done.insert(path)
                if failed { previousFailures += 1 }
            }
        }
        guard fm.createFile(atPath: partial, contents: existing), let h = FileHandle(forWritingAtPath: partial) else {
            throw WalkError(path: partial, reason: "cannot write")
        }
        handle = h
        handle.seekToEndOfFile()
        if existing.isEmpty && format == "csv" { handle.write(Data((ClassificationSink.csvHeader(topK) + "\n").utf8)) }
    }

    static func csvHeader(_ k: Int) -> String {
        (["path", "status", "error"] + (1...k).flatMap { ["label_\($0)", "score_\($0)", "index_\($0)"] }).joined(separator: ",")
    }

    /// (path, failed) of a complete row, or nil for headers and other lines.
    static func parse(_ line: String, format: String) -> (String, Bool)? {
        switch format {
        case "jsonl":
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let path = obj["path"] as? String else { return nil }
            return (path, (obj["status"] as? String) == "error")
        case "csv":
            let fields = parseCSVLine(line)
            guard fields.count >= 2, fields[0] != "path" else { return nil }
            return (fields[0], fields[1] == "error")
        default:
            // table: "path<TAB>status<TAB>…"
            let fields = line.components(separatedBy: "\t")
            guard fields.count >= 2 else { return nil }
            return (fields[0], fields[1] == "error")
        }
    }

    static func parseCSVLine(_ line: String) -> [String] {
        var fields: [String] = [], cur = "", quoted = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" { if chars.first == "\"" { cur.append("\""); chars.removeFirst() } else { quoted = false } } else { cur.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { fields.append(cur); cur = "" } else { cur.append(c) }
        }
        fields.append(cur)
        return fields
    }

    public func write(_ c: Classification) throws {
        let status = c.error == nil ? "ok" : "error"
        var line: String
        switch format {
        case "csv":
            var f = [RecordWriter.csvEscape(c.path), status, RecordWriter.csvEscape(c.error ?? "")]
            for i in 0..<topK {
                if i < c.top.count {
                    f += [RecordWriter.csvEscape(c.top[i].label), String(format: "%.6f", c.top[i].score), String(c.top[i].index)]
                } else { f += ["", "", ""] }
            }
            line = f.joined(separator: ",")
        case "jsonl":
            let top = c.top.map { "{\"index\":\($0.index),\"label\":\(RecordWriter.jsonString($0.label)),\"score\":\(String(format: "%.6f", $0.score))}" }
            line = "{\"path\":\(RecordWriter.jsonString(c.path)),\"status\":\"\(status)\",\"error\":\(c.error.map(RecordWriter.jsonString) ?? "null"),\"top\":[\(top.joined(separator: ","))]}"
        default:
            let preds = c.error ?? c.top.map { String(format: "%@ %.1f%%", $0.label as NSString, $0.score * 100) }.joined(separator: " | ")
            line = "\(c.path)\t\(status)\t\(preds)"
        }
        handle.write(Data((line + "\n").utf8))
    }

    /// Renames the partial file into place.
    public func finish() throws {
        guard let destination else { return }
        try handle.synchronize()
        try handle.close()
        if rename(destination + ".partial", destination) != 0 {
            throw WalkError(path: destination, reason: "cannot move the finished output into place: \(String(cString: strerror(errno)))")
        }
    }
}
