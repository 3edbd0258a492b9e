import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Kernels
import TensorCore
import Zoo

@main
struct Vigil: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Recognise what is in driving and industrial images.",
        discussion: """
        Exit codes: 0 success; 1 some inputs failed and --strict was given; \
        2 the job could not run (missing folder, unwritable output); 64 bad usage.
        """,
        version: VigilVersion.string,
        subcommands: [Classify.self, Detect.self, Features.self, PipelineCommand.self, Explain.self, AnomalyCommand.self, SynthCommand.self, Eval.self, Train.self, TrainDetect.self, Finetune.self, Scan.self, AugmentCommand.self, Models.self, Inspect.self, Import.self, ExportCommand.self, PreprocessCommand.self]
    )
}

extension Vigil {
    static func main() {
        useTheCPUsBLASKernels()
        keepFreedBuffersInTheHeap()
        main(nil)
    }
}

extension Vigil {
    /// OpenBLAS chose its kernels when it loaded; when they are weaker than the CPU allows (an
    /// unrecognised CPU model falls back to SSE3 code, or OPENBLAS_CORETYPE names an older
    /// core), start again with the right ones (`BLASCore.restartWithTheCPUsKernels`).
    static func useTheCPUsBLASKernels() {
        // Only commands that run networks pay for the restart (a few tens of milliseconds).
        let args = CommandLine.arguments.dropFirst()
        guard let command = args.first, ["classify", "detect", "features", "explain", "eval", "train", "train-detect", "finetune", "pipeline", "anomaly"].contains(command),
              !(command == "pipeline" && !args.contains("run")) else { return }
        BLASCore.restartWithTheCPUsKernels()
    }
}

enum VigilVersion {
    static let string = vigilVersion
}

/// Runs a command's job: usage errors pass through (exit 64); any other error is printed
/// after the command's name and exits 2.
func runJob(_ command: String, _ body: () throws -> Void) throws {
    do { try body() } catch let e as ValidationError {
        throw e
    } catch {
        printError("\(command): \(error)")
        throw ExitCode.jobFailed
    }
}

/// Exit code for a job that could not run at all.
extension ExitCode {
    static let jobFailed = ExitCode(2)
}
