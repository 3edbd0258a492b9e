import ArgumentParser
import Foundation
import Inference
import Pipelines

struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Check, plan and run pipeline files: chains of stages over images and video.",
        discussion: """
        A pipeline file (YAML, see pipelines/) says where images come from, the stages they go \
        through and what is written:

          version: 1
          name: sign-candidates
          stages:
            - video: {every: 0.5s}         # frames from video inputs, with timestamps
            - decode: {}                   # images (PNG, JPEG)
            - propose: {colors: [red, blue], min_area: 80}
            - nms: {iou: 0.3, per_class: false}
            - annotate: {dir: annotated}   # boxes drawn, JPEGs
            - write: {format: jsonl, path: candidates.jsonl}
          outputs: {dir: out/sign-candidates}

        Stages: \(Plan.stageKinds.map(\.0).joined(separator: ", ")). `vigil pipeline list` \
        describes each. Errors in a file name the file, the line and the key, and are found \
        before any image is read.
        """,
        subcommands: [Check.self, Run.self, List.self]
    )

    /// A file path, or the name of a built-in pipeline (classify, features, explain).
    static func load(_ spec: String) throws -> PipelineFile {
        if !FileManager.default.fileExists(atPath: spec), let text = BuiltinPipelines.text(spec) {
            return try PipelineFile.parse(text, path: "\(spec) (built in)")
        }
        return try PipelineFile.load(path: spec)
    }

    static func environment(_ file: PipelineFile, store: ModelStore, out: String?, threads: Int, resume: Bool, planOnly: Bool) -> StageEnvironment {
        let folder = (file.path as NSString).deletingLastPathComponent
        return StageEnvironment(store: store, outputDirectory: out ?? file.outputDirectory ?? "out/\(file.name)",
                                baseDirectories: folder.isEmpty || file.path.hasSuffix("(built in)") ? [""] : [folder, ""],
                                workers: threads, resume: resume, planOnly: planOnly)
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate pipeline files without reading any image.",
            discussion: "Prints OK or each file's error as FILE:LINE: KEY: REASON. Exit status 1 when any file has an error."
        )

        @Argument(help: "Pipeline files (or built-in names).")
        var files: [String]

        @OptionGroup var cache: ModelCacheOption

        func run() throws {
            var bad = 0
            for f in files {
                do {
                    let file = try PipelineCommand.load(f)
                    let plan = try Plan(file: file, environment: PipelineCommand.environment(file, store: cache.store, out: nil, threads: 1, resume: false, planOnly: true))
                    print("\(f): OK (\(plan.stages.map(\.kind).joined(separator: " → ")))")
                } catch {
                    bad += 1
                    print("\(error)")
                }
            }
            if bad > 0 { throw ExitCode.failure }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a pipeline over files, folders, globs and video files.",
            discussion: """
            INPUTS replace the file's own inputs. Outputs go under --out (default: the file's \
            outputs.dir, else out/NAME). Work runs on --threads workers, each with its own copy \
            of every model; records come in input order. A file that cannot be read becomes an \
            error record and the run goes on; records are written under a temporary name and \
            renamed when the run completes, and --resume continues a killed run.

            Exit status: 0 success; 1 some inputs failed; 2 the pipeline or the job could not \
            run (the error names file, line and key); 64 bad usage.

            Examples:
              vigil pipeline run pipelines/sign-candidates.yaml dashcam.mp4 --out out/signs
              vigil pipeline run pipelines/explain.yaml photos/ --set explain.class=tabby
              vigil pipeline run pipelines/classify.yaml photos/ --dry-run
            """
        )

        @Argument(help: "The pipeline file (or a built-in name: classify, features, explain).")
        var file: String

        @Argument(help: "Files, folders, globs (quoted) and video files; default: the file's inputs.")
        var inputs: [String] = []

        @Option(name: .customLong("set"), help: ArgumentHelp("Override a stage parameter (repeatable).", valueName: "STAGE.KEY=VALUE"))
        var overrides: [String] = []

        @Option(help: "Folder for the outputs (default: the file's outputs.dir).")
        var out: String?

        @Option(help: "Worker threads (default: all cores).")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: "Images per batch on a worker.")
        var batch = 4

        @Flag(help: "Print the plan: each stage, what it takes and makes, FLOPs, memory; run nothing.")
        var dryRun = false

        @Flag(help: "Continue a killed run with the same outputs, skipping inputs already written.")
        var resume = false

        @Flag(help: "Include hidden files and folders.")
        var hidden = false

        @OptionGroup var cache: ModelCacheOption

        func validate() throws {
            if threads < 1 { throw ValidationError("--threads must be at least 1") }
            if batch < 1 { throw ValidationError("--batch must be at least 1") }
        }

        func run() throws {
            let plan: Plan
            var file: PipelineFile
            do {
                file = try PipelineCommand.load(self.file)
                for s in overrides { try file.set(s) }
                plan = try Plan(file: file, environment: PipelineCommand.environment(file, store: cache.store, out: out, threads: threads,
                                                                                      resume: resume, planOnly: dryRun))
            } catch {
                printError("vigil pipeline: \(error)")
                throw ExitCode.jobFailed
            }
            if dryRun {
                print(plan.describe(batch: batch))
                return
            }
            let inputs = self.inputs.isEmpty ? file.inputs : self.inputs
            guard !inputs.isEmpty else { throw ValidationError("give inputs (files, folders, globs, videos): the pipeline file names none") }
            let runner = PipelineRun(plan: plan)
            runner.batchSize = batch
            runner.includeHidden = hidden
            let summary: PipelineRun.Summary
            do { summary = try runner.run(inputs: inputs) } catch {
                printError("vigil pipeline: \(error)")
                throw ExitCode.jobFailed
            }
            printError(String(format: "%@: %d items (%d frames from %d videos) in %.1f s (%.1f items/s), %d failed; outputs in %@",
                              file.name, summary.items, summary.frames, summary.videos, summary.seconds,
                              Double(summary.items) / max(summary.seconds, 1e-9), summary.failed, plan.environment.outputDirectory))
            if summary.failed > 0 || summary.previousFailures > 0 { throw ExitCode.failure }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the shipped pipelines and the stages they can use.")

        @Option(help: "Folder of pipeline files.")
        var dir = "pipelines"

        func run() throws {
            print("built in (vigil pipeline run NAME):")
            for (name, text) in BuiltinPipelines.all {
                let d = (try? PipelineFile.parse(text, path: name).description) ?? ""
                print("  " + name.padding(toLength: 22, withPad: " ", startingAt: 0) + d)
            }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            var shown = false
            for n in names {
                let path = dir + "/" + n
                // Augmentation chains live there too; only pipeline files are listed.
                guard let f = try? PipelineFile.load(path: path) else { continue }
                if !shown { print("\n\(dir)/:"); shown = true }
                print("  " + n.padding(toLength: 22, withPad: " ", startingAt: 0) + (f.description.isEmpty ? f.name : f.description))
            }
            print("\nstages:")
            for (k, d) in Plan.stageKinds { print("  " + k.padding(toLength: 12, withPad: " ", startingAt: 0) + d) }
        }
    }
}
