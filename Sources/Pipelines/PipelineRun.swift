import Foundation
import Jobs
import TensorCore
import Video

/// Runs a plan over files, folders, globs and video files: worker threads each take a batch
/// of items through the worker stages with their own model copies; the sinks receive the
/// items in input order. A file or video that fails becomes an error record and the run
/// goes on; with `resume`, items a killed run already wrote are skipped.
public final class PipelineRun {
    public let plan: Plan
    public var batchSize = 4
    public var includeHidden = false
    public var progress = true

    public struct Summary: Sendable {
        public var items = 0
        public var failed = 0
        /// Items skipped because an earlier run wrote them.
        public var skipped = 0
        public var previousFailures = 0
        public var videos = 0
        /// Items that were video frames.
        public var frames = 0
        public var seconds = 0.0
    }

    public init(plan: Plan) { self.plan = plan }

    /// One unit of input: an image file, or a video file to be read into frames.
    enum Unit {
        case file(FileWalker.Entry)
        case video(FileWalker.Entry)
    }

    /// The inputs as units, in the order given (folders walked in path order, globs sorted).
    func units(_ inputs: [String]) throws -> [Unit] {
        let walker = FileWalker(includeHidden: includeHidden)
        var out: [Unit] = []
        let readsVideo = plan.video != nil
        for input in inputs {
            var paths = [input]
            if input.contains(where: { "*?[".contains($0) }) && !FileManager.default.fileExists(atPath: input) {
                paths = Self.glob(input)
                if paths.isEmpty { throw WalkError(path: input, reason: "no file matches this pattern") }
            }
            for p in paths {
                for e in try walker.files(under: p) {
                    out.append(readsVideo && VideoReader.isVideo(path: e.path) ? .video(e) : .file(e))
                }
            }
        }
        // Inputs from different places with the same relative path (a/000.png, b/000.png) would
        // share records and overwrite each other's annotated images: name those by the path given.
        func entry(_ u: Unit) -> FileWalker.Entry { switch u { case .file(let e), .video(let e): return e } }
        var seen: [String: Int] = [:]
        for u in out { seen[entry(u).relativePath, default: 0] += 1 }
        return out.map { u in
            var e = entry(u)
            guard seen[e.relativePath]! > 1 else { return u }
            e.relativePath = e.path.hasPrefix("/") ? String(e.path.dropFirst()) : e.path
            if case .video = u { return .video(e) }
            return .file(e)
        }
    }

    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// Runs over `inputs`. Throws only when the job itself cannot go on (an output that cannot
    /// be written); bad inputs become error records.
    public func run(inputs: [String]) throws -> Summary {
        try run(units: try units(inputs))
    }

    /// Runs over files listed by the caller (their relative paths name them in records).
    public func run(files: [FileWalker.Entry]) throws -> Summary {
        let readsVideo = plan.video != nil
        return try run(units: files.map { readsVideo && VideoReader.isVideo(path: $0.path) ? .video($0) : .file($0) })
    }

    func run(units all: [Unit]) throws -> Summary {
        let started = Date()
        var summary = Summary()
        for sink in plan.sinks { try (sink as? WriteStage)?.open() }
        let done = plan.sinks.first?.done ?? []
        summary.previousFailures = plan.sinks.compactMap { ($0 as? WriteStage)?.previousFailures }.max() ?? 0
        let units = all.filter {
            if case .file(let e) = $0 { return !done.contains(e.relativePath) }
            return true
        }
        summary.skipped = all.count - units.count
        if summary.skipped > 0 { FileHandle.standardError.write(Data("resuming: \(summary.skipped) of \(all.count) files already done\n".utf8)) }
        let estimate = units.reduce(0) { n, u in
            if case .video(let e) = u { return n + estimatedFrames(e.path) }
            return n + 1
        }
        let bar = ProgressBar(total: estimate, label: plan.file.name, enabled: progress && isatty(STDERR_FILENO) == 1)
        var pending: [PipelineItem] = []
        let chunk = max(1, plan.environment.workers) * batchSize * (plan.video == nil ? 1 << 20 : 2)
        func flush() throws {
            try process(pending, summary: &summary, bar: bar)
            pending.removeAll(keepingCapacity: true)
        }
        for u in units {
            switch u {
            case .file(let e):
                pending.append(PipelineItem(source: e.relativePath, file: e.path))
                if pending.count >= chunk { try flush() }
            case .video(let e):
                summary.videos += 1
                try readVideo(e, done: done) { item in
                    pending.append(item)
                    if pending.count >= chunk { try flush() }
                }
            }
        }
        try flush()
        bar.finish()
        for sink in plan.sinks { try sink.finish() }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    func estimatedFrames(_ path: String) -> Int {
        guard let r = try? VideoReader(path: path), let video = plan.video else { return 1 }
        let n = r.info.frameCount ?? Int((r.info.duration ?? 0) * r.info.framesPerSecond)
        var k: Int
        switch video.sampling {
        case .all: k = n
        case .everyNth(let s): k = (n + s - 1) / s
        case .every(let s): k = Int((r.info.duration ?? 0) / s) + 1
        }
        if let m = video.maxFrames { k = min(k, m) }
        return max(1, k)
    }

    /// Frames of one video as items; a video that cannot be opened, or breaks part-way, adds an
    /// error item after the frames it gave.
    func readVideo(_ e: FileWalker.Entry, done: Set<String>, _ add: (PipelineItem) throws -> Void) throws {
        let video = plan.video!
        let reader: VideoReader
        do { reader = try VideoReader(path: e.path) } catch {
            var item = PipelineItem(source: e.relativePath, file: nil)
            item.error = "\(error)"
            try add(item)
            return
        }
        let (_, err) = try reader.read(sampling: video.sampling, maxFrames: video.maxFrames) { f in
            var item = PipelineItem(source: e.relativePath, file: nil)
            item.frame = f.index
            item.timestamp = f.timestamp
            if done.contains(item.key) { return true }
            item.image = f.image
            item.width = f.image.width
            item.height = f.image.height
            try add(item)
            return true
        }
        if let err {
            var item = PipelineItem(source: e.relativePath, file: nil)
            item.error = "\(err)"
            try add(item)
        }
    }

    /// Worker stages on batches of `items` in parallel; sinks in input order.
    func process(_ items: [PipelineItem], summary: inout Summary, bar: ProgressBar) throws {
        guard !items.isEmpty else { return }
        let stages = plan.workerStages, sinks = plan.sinks
        let batches = stride(from: 0, to: items.count, by: batchSize).map { $0..<min($0 + batchSize, items.count) }
        let workers = plan.environment.workers
        let pool = WorkerPool(workers)
        let box = ReadOnlyShared(items)
        let stagesBox = ReadOnlyShared(stages)
        var failure: Error?
        orderedParallel(count: batches.count, threads: workers, window: 2 * workers, work: { b -> Result<[PipelineItem], Error> in
            let w = pool.take()
            defer { pool.give(w) }
            var batch = Array(box.value[batches[b]])
            do {
                for s in stagesBox.value { try s.process(&batch, worker: w) }
            } catch {
                return .failure(error)
            }
            for i in batch.indices {  // the pixels are not needed past the workers
                batch[i].image = nil
                batch[i].input = nil
            }
            return .success(batch)
        }, emit: { _, result in
            guard failure == nil else { return }
            switch result {
            case .failure(let e): failure = e
            case .success(let batch):
                for item in batch {
                    do { for s in sinks { try s.emit(item) } } catch { failure = error; return }
                    summary.items += 1
                    if item.frame != nil { summary.frames += 1 }
                    if !item.ok { summary.failed += 1 }
                    bar.advance()
                }
            }
        })
        if let failure { throw failure }
    }
}
