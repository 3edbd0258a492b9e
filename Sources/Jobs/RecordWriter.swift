import Foundation

/// Output formats that other tools read.
public enum RecordFormat: String, CaseIterable, Sendable {
    case csv
    case jsonl

    /// The format an output path implies by its extension (.jsonl / .json → JSONL), else CSV.
    public static func implied(by path: String?) -> RecordFormat {
        guard let p = path?.lowercased() else { return .csv }
        return p.hasSuffix(".jsonl") || p.hasSuffix(".json") || p.hasSuffix(".ndjson") ? .jsonl : .csv
    }
}

/// A field of a record row: text, a number, or nothing (empty CSV cell, JSON null).
public enum Field: Sendable, Equatable {
    case text(String)
    case int(Int)
    case none
}

/// Writes rows as CSV (RFC 4180 quoting, header first) or JSON Lines, to standard output
/// or to a file. A file is written under a temporary name beside it and renamed into
/// place by `commit()`, so the destination never holds a half-written manifest.
public final class RecordWriter {
    public let format: RecordFormat
    let columns: [String]
    let handle: FileHandle
    let destination: String?
    let temporary: String?
    var buffer = Data()

    public init(columns: [String], format: RecordFormat, path: String?) throws {
        self.columns = columns
        self.format = format
        if let path {
            let dir = (path as NSString).deletingLastPathComponent
            let tmp = (dir.isEmpty ? "." : dir) + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())"
            guard FileManager.default.createFile(atPath: tmp, contents: nil),
                  let h = FileHandle(forWritingAtPath: tmp) else {
                throw WalkError(path: path, reason: "cannot create the output file")
            }
            handle = h
            destination = path
            temporary = tmp
        } else {
            handle = FileHandle.standardOutput
            destination = nil
            temporary = nil
        }
        if format == .csv { append(columns.map(RecordWriter.csvEscape).joined(separator: ",") + "\n") }
    }

    public func write(_ fields: [Field]) {
        precondition(fields.count == columns.count, "row has \(fields.count) fields for \(columns.count) columns")
        switch format {
        case .csv:
            append(fields.map { f -> String in
                switch f {
                case .text(let s): return RecordWriter.csvEscape(s)
                case .int(let i): return String(i)
                case .none: return ""
                }
            }.joined(separator: ",") + "\n")
        case .jsonl:
            var parts: [String] = []
            for (k, f) in zip(columns, fields) {
                let v: String
                switch f {
                case .text(let s): v = RecordWriter.jsonString(s)
                case .int(let i): v = String(i)
                case .none: v = "null"
                }
                parts.append(RecordWriter.jsonString(k) + ":" + v)
            }
            append("{" + parts.joined(separator: ",") + "}\n")
        }
        if buffer.count > 1 << 16 || destination == nil { flush() }
    }

    func append(_ s: String) { buffer.append(contentsOf: Array(s.utf8)) }

    func flush() {
        if buffer.isEmpty { return }
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and, for a file, renames it into place.
    public func commit() throws {
        flush()
        guard let destination, let temporary else { return }
        try handle.synchronize()
        try handle.close()
        if rename(temporary, destination) != 0 {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw WalkError(path: destination, reason: "cannot move the finished output into place: \(why)")
        }
    }

    /// Drops a file that will not be completed.
    public func abandon() {
        guard let temporary else { return }
        try? handle.close()
        unlink(temporary)
    }

    /// A CSV field, quoted when it holds a comma, quote or line break.
    public static func csvEscape(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
