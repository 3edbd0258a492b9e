import ArgumentParser
import Foundation
import Jobs
import Inference
import Pipelines
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
        // The built-in classify pipeline (pipelines/classify.yaml) with this command's flags.
        var file = try PipelineFile.parse(BuiltinPipelines.classify, path: "classify (built in)")
        file.set("classify", "model", model)
        file.set("classify", "top_k", String(topK))
        let fmt = format ?? (output.map { RecordFormat.implied(by: $0).rawValue } ?? "table")
        file.set("write", "format", fmt)
        file.set("write", "path", output ?? "-")
        file.inputs = inputs
        try runBuiltin("classify", file, store: cache.store, threads: threads, batch: batch, resume: resume, hidden: hidden) { plan, summary in
            let arch = (plan.stages.first { $0 is ClassifyStage } as? ClassifyStage)?.card.architecture ?? model
            printError(String(format: "classified %d files in %.1f s (%.1f images/s), %d failed, model %@",
                              summary.items, summary.seconds, Double(summary.items) / max(summary.seconds, 1e-9), summary.failed, arch))
        }
    }
}

/// Runs a built-in pipeline for a command: a pipeline error is reported as the command's own
/// (exit 2), and the exit status is 1 when any input failed (now or in a resumed earlier run).
func runBuiltin(_ command: String, _ file: PipelineFile, store: ModelStore, threads: Int, batch: Int, resume: Bool, hidden: Bool,
                outputDirectory: String = ".", report: (Plan, PipelineRun.Summary) -> Void) throws {
    let plan: Plan
    let summary: PipelineRun.Summary
    do {
        plan = try Plan(file: file, environment: StageEnvironment(store: store, outputDirectory: outputDirectory, baseDirectories: [""], workers: threads,
                                                                  resume: resume, planOnly: false))
        let runner = PipelineRun(plan: plan)
        runner.batchSize = batch
        runner.includeHidden = hidden
        summary = try runner.run(inputs: file.inputs)
    } catch let e as PipelineError {
        printError("vigil \(command): \(e.reason)")
        throw ExitCode.jobFailed
    } catch {
        printError("vigil \(command): \(error)")
        throw ExitCode.jobFailed
    }
    report(plan, summary)
    if summary.failed > 0 || summary.previousFailures > 0 { throw ExitCode.failure }
}
