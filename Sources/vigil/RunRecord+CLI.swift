import Foundation
import Training
import Zoo

extension RunRecord.Build {
    /// This binary's version and, when it was built from a git checkout, the commit: found by
    /// walking up from the executable to a `.git` folder and reading its HEAD (no git needed).
    static var current: RunRecord.Build {
        RunRecord.Build(version: vigilVersion, commit: gitCommit())
    }

    static func gitCommit() -> String? {
        var dir = URL(fileURLWithPath: (Bundle.main.executablePath ?? CommandLine.arguments[0])).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<8 {
            let git = dir.appendingPathComponent(".git")
            if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) {
                guard head.hasPrefix("ref: ") else { return head }
                let ref = String(head.dropFirst(5))
                if let sha = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) { return sha.trimmingCharacters(in: .whitespacesAndNewlines) }
                // A packed ref.
                let packed = (try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
                return packed.split(separator: "\n").first { $0.hasSuffix(" " + ref) }.map { String($0.prefix(40)) }
            }
            dir.deleteLastPathComponent()
        }
        return nil
    }
}

extension CommandLine {
    /// The arguments after the first occurrence of the subcommand word `name`.
    static func invocation(after name: String) -> [String] {
        let args = Array(arguments.dropFirst())
        guard let i = args.firstIndex(of: name) else { return args }
        return Array(args[(i + 1)...])
    }
}
