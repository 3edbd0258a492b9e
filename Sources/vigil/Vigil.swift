import Zoo
import ArgumentParser

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
        subcommands: [Classify.self, Features.self, Eval.self, Train.self, Finetune.self, Scan.self, AugmentCommand.self, Models.self, Inspect.self, Import.self, PreprocessCommand.self]
    )
}

enum VigilVersion {
    static let string = vigilVersion
}

/// Exit code for a job that could not run at all.
extension ExitCode {
    static let jobFailed = ExitCode(2)
}
