import ArgumentParser
import Foundation
import Jobs
import Inference
import Zoo

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify images with a pretrained or fine-tuned network.",
        discussion: """
        Walks the given files and folders (recursively, in path order) and classifies them on \
        --threads workers, each with its own copy of the model: a worker decodes a small batch \
        (JPEGs straight to near the model's input size through DCT scaling) and runs it. \
        Preprocessing and labels come from the model file.

        Every file gets a row; a file that cannot be decoded gets status "error" with the \
        reason, and the run goes on. Exit status 1 when any file failed, 2 when the job \
        could not run.

        --output FILE is written as FILE.partial while running and renamed when complete. \
        With --resume, a run that was killed continues from FILE.partial: files already \
        written are skipped, and a half-written last line is dropped.

        Examples:
          vigil classify photos/                          # ImageNet MobileNetV2, table
          vigil classify photos/ --format csv -o out.csv --top-k 3
          vigil classify parts/ --model my-finetune.safetensors --format jsonl
        """
    )

    @Argument(help: "Image files or folders.")
    var inputs: [String]

    @Option(help: "A zoo name with imported pretrained weights, or a .safetensors checkpoint.")
    var model = "mobilenet_v2"

    @Option(name: .customLong("top-k"), help: "Classes to report per image.")
    var topK = 5

    @Option(help: "Images per inference batch (small batches keep activations in cache).")
    var batch = 4

    @Option(help: "Threads for decoding and inference (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Output format: table, csv or jsonl (default: from --output's extension, else table).")
    var format: String?

    @Option(name: .shortAndLong, help: "Write results here (atomically) instead of standard output.")
    var output: String?

    @Flag(help: "Continue a killed run with the same --output, skipping files already written.")
    var resume = false

    @OptionGroup var cache: ModelCacheOption

    @Flag(help: "Include hidden files and folders.")
    var hidden = false

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if let f = format, !["table", "csv", "jsonl"].contains(f) { throw ValidationError("--format must be table, csv or jsonl") }
        if resume && output == nil { throw ValidationError("--resume needs --output") }
    }

    func run() throws {
        let store = cache.store
        var replicas: [Model] = []
        var files: [FileWalker.Entry] = []
        do {
            // One replica per thread (weights are small next to activations).
            for _ in 0..<threads {
                let m = try store.load(model)
                m.network.fuseForInference()
                replicas.append(m)
            }
            for input in inputs { files += try FileWalker(includeHidden: hidden).files(under: input) }
        } catch {
            printError("vigil classify: \(error)")
            throw ExitCode.jobFailed
        }
        let fmt = format ?? (output.map { RecordFormat.implied(by: $0).rawValue } ?? "table")
        let sink: ClassificationSink
        do {
            sink = try ClassificationSink(format: fmt, topK: topK, output: output, resume: resume)
        } catch {
            printError("vigil classify: \(error)")
            throw ExitCode.jobFailed
        }
        let todo = files.filter { !sink.done.contains($0.relativePath) }
        if resume && todo.count < files.count { printError("resuming: \(files.count - todo.count) of \(files.count) files already done") }
        var job = ClassifyJob(replicas: replicas, files: todo)
        job.topK = topK
        job.batchSize = batch
        var failed = 0
        let started = Date()
        do {
            try job.run(progress: ProgressBar(total: todo.count, label: "classify")) { c in
                if c.error != nil { failed += 1 }
                try sink.write(c)
            }
            try sink.finish()
        } catch {
            printError("vigil classify: \(error)")
            throw ExitCode.jobFailed
        }
        let secs = Date().timeIntervalSince(started)
        printError(String(format: "classified %d files in %.1f s (%.1f images/s), %d failed, model %@",
                          todo.count, secs, Double(todo.count) / max(secs, 1e-9), failed, replicas[0].card.architecture))
        if failed > 0 || sink.previousFailures > 0 { throw ExitCode.failure }
    }
}
