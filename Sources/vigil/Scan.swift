import ArgumentParser
import Foundation
import ImageIO
import Jobs

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode every file under a folder and write a manifest of what is there.",
        discussion: """
        Walks FOLDER recursively (symbolic links to folders are followed once, so loops end) \
        and decodes every file on all cores. The format is taken from the file's magic bytes, \
        never its name. Each file becomes one manifest row:

          path, format, width, height (as decoded: upright), stored_width, stored_height,
          channels, bit_depth, color_space, orientation,
          bytes, sha256, status (ok | error), error_kind, error, moved_to

        Rows come in path order. The manifest goes to standard output unless --output is \
        given; a file is written under a temporary name and renamed when complete. A summary \
        goes to standard error, with a progress bar when that is a terminal.

        Examples:
          vigil scan photos/ --output manifest.csv
          vigil scan dataset/ --format jsonl --strict > manifest.jsonl
          vigil scan uploads/ --quarantine rejected/ --output scan.csv
        """
    )

    @Argument(help: "The folder (or a single file) to scan.")
    var folder: String

    @Option(name: .shortAndLong, help: "Write the manifest here instead of standard output.")
    var output: String?

    @Option(help: "Manifest format: csv or jsonl (default: from --output's extension, else csv).")
    var format: RecordFormatArgument?

    @Option(help: "Decoding threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Exit with status 1 when any file fails to decode.")
    var strict = false

    @Option(help: "Move files that fail into this folder, keeping their relative paths. Nothing is deleted.")
    var quarantine: String?

    @Option(help: "Refuse images with more pixels than this, before decoding (0 = no limit).")
    var maxPixels: UInt64 = DecodeOptions().maxPixels

    @Flag(help: "Accept JPEGs that end early (reported as a warning) instead of failing them.")
    var lenient = false

    @Flag(help: "Include hidden files and folders (names starting with '.').")
    var hidden = false

    @Flag(help: "Print no summary.")
    var quiet = false

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var job = ScanJob(root: folder, threads: threads)
        job.includeHidden = hidden
        job.quarantine = quarantine
        job.options.maxPixels = maxPixels
        job.options.lenient = lenient
        let writer: RecordWriter
        do {
            writer = try RecordWriter(columns: ScanRecord.columns, format: format?.value ?? .implied(by: output), path: output)
        } catch {
            printError("vigil scan: \(error)")
            throw ExitCode.jobFailed
        }
        let count = (try? FileWalker(includeHidden: hidden).files(under: folder).count) ?? 0
        let progress = ProgressBar(total: count, label: "scan")
        let summary: ScanJob.Summary
        do {
            summary = try job.run(progress: progress) { writer.write($0.fields) }
            try writer.commit()
        } catch {
            writer.abandon()
            printError("vigil scan: \(error)")
            throw ExitCode.jobFailed
        }
        if !quiet { printError(render(summary)) }
        if strict && summary.failed > 0 { throw ExitCode.failure }
    }

    func render(_ s: ScanJob.Summary) -> String {
        let rate = s.seconds > 0 ? Double(s.total) / s.seconds : 0
        var lines = [String(format: "scanned %d files (%.1f MB) in %.2f s, %.1f files/s", s.total,
                            Double(s.bytes) / 1e6, s.seconds, rate)]
        for (k, v) in s.byFormat.sorted(by: { $0.key < $1.key }) { lines.append("  ok     \(k): \(v)") }
        for (k, v) in s.byError.sorted(by: { $0.key < $1.key }) { lines.append("  error  \(k): \(v)") }
        if s.moved > 0, let q = quarantine { lines.append("  moved \(s.moved) failed files into \(q)") }
        if let output { lines.append("  manifest: \(output)") }
        return lines.joined(separator: "\n")
    }
}

struct RecordFormatArgument: ExpressibleByArgument {
    let value: RecordFormat
    init?(argument: String) {
        guard let f = RecordFormat(rawValue: argument.lowercased()) else { return nil }
        value = f
    }
    static var allValueStrings: [String] { RecordFormat.allCases.map(\.rawValue) }
}

func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
