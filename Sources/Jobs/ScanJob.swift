import Crypto
import Foundation
import ImageIO
import TensorCore

/// What `vigil scan` learned about one file.
public struct ScanRecord: Sendable {
    public var path: String
    public var info: ImageInfo?
    public var bytes: Int?
    public var sha256: String?
    /// nil when the file decoded.
    public var error: Error?
    public var warnings: [String] = []
    /// Where --quarantine moved the file, when it did.
    public var movedTo: String?

    public var ok: Bool { error == nil }

    /// A short error kind: an ImageError's kind, or "unreadable".
    public var errorKind: String? {
        guard let error else { return nil }
        return (error as? ImageError)?.kind ?? "unreadable"
    }

    /// The size as decoded (upright: an EXIF orientation of 5–8 swaps width and height).
    public var decodedSize: (width: Int, height: Int)? {
        guard let i = info else { return nil }
        if let o = i.orientation, (5...8).contains(o) { return (i.height, i.width) }
        return (i.width, i.height)
    }

    public static let columns = ["path", "format", "width", "height", "stored_width", "stored_height", "channels", "bit_depth", "color_space",
                                 "orientation", "bytes", "sha256", "status", "error_kind", "error", "moved_to"]

    public var fields: [Field] {
        let i = info
        let message: Field
        if let error { message = .text("\(error)") } else if !warnings.isEmpty { message = .text("warning: " + warnings.joined(separator: "; ")) } else { message = .none }
        let d = decodedSize
        return [.text(path), i.map { .text($0.format.rawValue) } ?? .none, d.map { .int($0.width) } ?? .none,
                d.map { .int($0.height) } ?? .none, i.map { .int($0.width) } ?? .none, i.map { .int($0.height) } ?? .none, i.map { .int($0.channels) } ?? .none,
                i.map { .int($0.bitDepth) } ?? .none, i.map { .text($0.colorSpace) } ?? .none,
                i?.orientation.map { .int($0) } ?? .none, bytes.map { .int($0) } ?? .none,
                sha256.map { .text($0) } ?? .none, .text(ok ? "ok" : "error"), errorKind.map { .text($0) } ?? .none, message,
                movedTo.map { .text($0) } ?? .none]
    }
}

/// Decodes every file under a folder on several threads and reports each one.
///
/// Decoding validates the whole file: JPEGs are decoded at 1/8 DCT scale, which still
/// reads and checks every entropy-coded byte while skipping most of the IDCT work.
public struct ScanJob {
    public var root: String
    public var threads: Int
    public var includeHidden = false
    public var options = DecodeOptions()
    /// Move failed files here, keeping their paths relative to the root.
    public var quarantine: String?

    public init(root: String, threads: Int) {
        self.root = root
        self.threads = threads
        options.targetSize = (1, 1)
    }

    public struct Summary: Sendable {
        public var total = 0
        public var failed = 0
        public var moved = 0
        public var byFormat: [String: Int] = [:]
        public var byError: [String: Int] = [:]
        public var seconds = 0.0
        public var bytes = 0
    }

    /// Scans and calls `report` for every file in path order, on the calling thread.
    public func run(progress: ProgressBar? = nil, report: (ScanRecord) throws -> Void) throws -> Summary {
        let started = Date()
        let entries = try FileWalker(includeHidden: includeHidden).files(under: root)
        let opts = options
        var summary = Summary()
        try orderedParallel(count: entries.count, threads: threads, work: { i in
            ScanJob.inspect(entries[i], options: opts)
        }, emit: { i, record in
            var r = record
            summary.total += 1
            summary.bytes += r.bytes ?? 0
            if r.ok {
                summary.byFormat[r.info!.format.rawValue, default: 0] += 1
            } else {
                summary.failed += 1
                summary.byError[r.errorKind!, default: 0] += 1
                if let q = quarantine {
                    r.movedTo = try ScanJob.move(entries[i], into: q)
                    summary.moved += 1
                }
            }
            try report(r)
            progress?.advance()
        })
        progress?.finish()
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    static func inspect(_ entry: FileWalker.Entry, options: DecodeOptions) -> ScanRecord {
        var record = ScanRecord(path: entry.relativePath)
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: entry.path), options: .alwaysMapped)
        } catch {
            record.error = FileReadError(reason: (error as NSError).localizedDescription)
            return record
        }
        record.bytes = data.count
        record.sha256 = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        do {
            let decoded = try ImageCodec.decode(data, options: options)
            record.info = decoded.info
            record.warnings = decoded.warnings
        } catch {
            record.error = error
        }
        return record
    }

    /// Moves a file under `folder` at its relative path; never overwrites (adds .1, .2, …).
    static func move(_ entry: FileWalker.Entry, into folder: String) throws -> String {
        let fm = FileManager.default
        var target = folder + "/" + entry.relativePath
        try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var n = 1
        while fm.fileExists(atPath: target) || (try? fm.destinationOfSymbolicLink(atPath: target)) != nil {
            target = folder + "/" + entry.relativePath + ".\(n)"
            n += 1
        }
        do {
            try fm.moveItem(atPath: entry.path, toPath: target)
        } catch {
            throw WalkError(path: entry.path, reason: "cannot move to quarantine \(target): \(error.localizedDescription)")
        }
        return target
    }
}
