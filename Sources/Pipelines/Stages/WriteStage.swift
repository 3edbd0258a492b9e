import Checkpoint
import Foundation
import Inference
import Jobs

/// `write`: records other tools read. Every image (every video frame) gets a record, failed
/// ones with their error, in input order; files are written under a temporary name and
/// renamed when the run completes, and `--resume` continues a killed run.
///
/// ```yaml
/// - write: {format: jsonl, path: records.jsonl}   # one record per image with its regions
/// - write: {format: csv, path: detections.csv}    # one row per region (per image when none)
/// - write: {format: table}                        # classification table on standard output
/// - write: {format: npy, path: features.npy}      # (N, D) float32 + features.npy.csv
/// ```
/// Whole-image classification (no regions) is written exactly as `vigil classify` writes it:
/// table, CSV with `label_k, score_k, index_k` columns, or JSONL with a `top` list.
public final class WriteStage: SinkStage {
    struct Parameters: StageParameters {
        var format: String?
        var path: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case format, path }
        typealias Keys = CodingKeys
    }

    enum Mode { case classification, features, records }

    public let kind = "write"
    let format: String
    /// nil: standard output.
    let path: String?
    let env: StageEnvironment
    var mode = Mode.records
    var topK = 5
    public private(set) var done = Set<String>()
    /// Error records among those written by an earlier run.
    public private(set) var previousFailures = 0
    var classification: ClassificationSink?
    var records: RecordSink?
    var npy: NpyRowWriter?
    var manifest = "row,path,status,error\n"

    init(_ r: ParameterReader, env: StageEnvironment) throws {
        let p = try r.decode(Parameters.self)
        do { try Check.oneOf(p.format, "format", ["table", "csv", "jsonl", "npy"]) } catch let e as ParameterError { throw r.fail(e) }
        let given = p.path.flatMap { $0 == "-" ? nil : $0 }
        format = p.format ?? given.map { $0.hasSuffix(".npy") ? "npy" : RecordFormat.implied(by: $0).rawValue } ?? "table"
        if format == "npy" && given == nil { throw r.fail("path", "npy output needs a file path") }
        path = given.map { env.outputPath($0) }
        self.env = env
    }

    public var summary: String {
        let what: String
        switch mode {
        case .classification: what = "classification \(format)"
        case .features: what = "features (N, D) float32 .npy + row map .npy.csv"
        case .records: what = format == "csv" ? "CSV, a row per region" : (format == "jsonl" ? "JSONL, a record per image" : "table")
        }
        return what + " → " + (path ?? "standard output")
    }

    public func check(_ flow: inout Flow) throws {
        if format == "npy" {
            guard flow.features != nil else { throw ParameterError("format", "npy writes feature vectors: put a features stage before it") }
            mode = .features
        } else if flow.regions == nil && flow.classification && flow.features == nil && !flow.heatmap {
            mode = .classification
            topK = flow.topK
        } else {
            if format == "table" { throw ParameterError("format", "table is for whole-image classification; use jsonl or csv") }
            mode = .records
        }
    }

    /// Opens the output (reading back what a killed run wrote, with `resume`).
    func open() throws {
        switch mode {
        case .classification:
            let sink = try ClassificationSink(format: format, topK: topK, output: path, resume: env.resume)
            done = sink.done
            previousFailures = sink.previousFailures
            classification = sink
        case .records:
            let sink = try RecordSink(format: format, output: path, resume: env.resume)
            done = sink.done
            previousFailures = sink.previousFailures
            records = sink
        case .features:
            if let path { try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true) }
        }
    }

    public func emit(_ item: PipelineItem) throws {
        switch mode {
        case .classification:
            try classification!.write(Classification(path: item.source, top: item.top, error: item.error))
        case .records:
            try records!.write(item)
        case .features:
            if let row = item.features, item.ok {
                if npy == nil { npy = try NpyRowWriter(path: path!, width: row.count) }
                manifest += "\(npy!.rows),\(RecordWriter.csvEscape(item.source)),ok,\n"
                npy!.append(row)
            } else {
                manifest += ",\(RecordWriter.csvEscape(item.source)),error,\(RecordWriter.csvEscape(item.error ?? "no features"))\n"
            }
        }
    }

    public func finish() throws {
        switch mode {
        case .classification: try classification?.finish()
        case .records: try records?.finish()
        case .features:
            try npy?.finish()
            try writeAtomically(Data(manifest.utf8), to: path! + ".csv")
        }
    }

    /// Rows written to the .npy (features mode).
    public var featureShape: (rows: Int, width: Int)? { npy.map { ($0.rows, $0.width) } }
}
