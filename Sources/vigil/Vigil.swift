import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Kernels
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
    /// Training allocates the same large activation buffers every step. glibc serves blocks
    /// above its mmap threshold with fresh pages that the kernel must fault in and zero each
    /// time; with mmap off (M_MMAP_MAX = 0) and a high trim threshold they come from the heap
    /// and a freed buffer is reused at once.
    static func main() {
        useTheCPUsBLASKernels()
        #if canImport(Glibc)
        // mallopt is not in Swift's Glibc module; look it up (glibc: M_TRIM_THRESHOLD −1,
        // M_MMAP_MAX −4). A refusal leaves glibc's defaults, which also work.
        if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            let mallopt = unsafeBitCast(sym, to: (@convention(c) (Int32, Int32) -> Int32).self)
            _ = mallopt(-4, 0)
            _ = mallopt(-1, Int32.max)
        }
        #endif
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
