import Foundation
import Yams

/// A pipeline file as written: YAML under `pipelines/`, read with Yams, every node keeping its
/// line so that errors point at it.
///
/// ```yaml
/// version: 1
/// name: stop-sign
/// description: Stop signs in dashcam frames and photos
/// inputs: [samples/]                # files, folders, globs, video files; the command line overrides
/// stages:
///   - video: {every: 0.5s}          # frames from video inputs
///   - decode: {}
///   - propose: {preset: red}
///   - classify: {model: runs/signs/best.safetensors}
///   - nms: {iou: 0.5}
///   - annotate: {dir: annotated}
///   - write: {format: jsonl, path: detections.jsonl}
/// outputs: {dir: out/stop-sign}     # --out overrides
/// ```
public struct PipelineFile {
    /// One entry of `stages`: its kind (the entry's single key), its parameters and where it is.
    public struct StageEntry {
        public var kind: String
        /// The parameters as a YAML mapping (empty when the entry had none).
        public var parameters: Node
        public var line: Int?
        /// Position in `stages`, from 0.
        public var index: Int
        /// `stages[2].classify`: the prefix of every key path inside this stage.
        public var keyPath: String { "stages[\(index)].\(kind)" }
    }

    public var path: String
    public var version: Int
    public var name: String
    public var description: String
    public var inputs: [String]
    public var stages: [StageEntry]
    /// The folder every relative output path is resolved against (`outputs.dir`).
    public var outputDirectory: String?
    /// Where `outputs` was written, for errors about it.
    var outputsLine: Int?

    static let topKeys = ["version", "name", "description", "inputs", "stages", "outputs"]

    public static func load(path: String) throws -> PipelineFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError(file: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw PipelineError(file: path, reason: "not UTF-8 text") }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> PipelineFile {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw PipelineError(file: path, line: yamlErrorLine(error), reason: "not valid YAML: \(yamlErrorText(error))")
        }
        guard let root, let top = root.mapping else {
            throw PipelineError(file: path, line: root?.mark?.line, reason: "expected a mapping with version, stages and outputs")
        }
        func err(_ node: Node?, _ key: String?, _ reason: String) -> PipelineError {
            PipelineError(file: path, line: node?.mark?.line, key: key, reason: reason)
        }
        for (k, v) in top {
            guard let name = k.string, topKeys.contains(name) else {
                throw err(k, k.string, "unknown key (expected \(topKeys.joined(separator: ", ")))") .withLine(v.mark?.line ?? k.mark?.line)
            }
        }
        guard let versionNode = top["version"] else { throw err(root, "version", "missing (write version: 1)") }
        guard let version = versionNode.int else { throw err(versionNode, "version", "expected an integer") }
        guard version == 1 else { throw err(versionNode, "version", "unsupported version \(version) (this Vigil reads version 1)") }
        func string(_ key: String) throws -> String? {
            guard let n = top[key] else { return nil }
            guard let s = n.scalar?.string else { throw err(n, key, "expected a string") }
            return s
        }
        let name = try string("name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let description = try string("description") ?? ""
        var inputs: [String] = []
        if let n = top["inputs"] {
            if let s = n.scalar?.string { inputs = [s] } else if let seq = n.sequence {
                for (i, item) in seq.enumerated() {
                    guard let s = item.scalar?.string else { throw err(item, "inputs[\(i)]", "expected a path") }
                    inputs.append(s)
                }
            } else { throw err(n, "inputs", "expected a path or a list of paths") }
        }
        guard let stagesNode = top["stages"] else { throw err(root, "stages", "missing: a pipeline needs a list of stages") }
        guard let seq = stagesNode.sequence, !seq.isEmpty else { throw err(stagesNode, "stages", "expected a non-empty list of stages") }
        var stages: [StageEntry] = []
        for (i, item) in seq.enumerated() {
            let at = "stages[\(i)]"
            if let kind = item.scalar?.string {  // `- decode` with no parameters
                stages.append(StageEntry(kind: kind, parameters: .mapping(Node.Mapping([], .implicit, .any, item.mark)), line: item.mark?.line, index: i))
                continue
            }
            guard let m = item.mapping, m.count == 1, let (k, v) = m.first, let kind = k.string else {
                throw err(item, at, "each stage is one key, the stage's name, holding its parameters (e.g. - nms: {iou: 0.5})")
            }
            var params = v
            if v.scalar?.string == "" || v.tag.description.hasSuffix(":null") { params = .mapping(Node.Mapping([], .implicit, .any, v.mark)) }
            guard params.mapping != nil else { throw err(v, at + "." + kind, "expected a mapping of parameters") }
            stages.append(StageEntry(kind: kind, parameters: params, line: k.mark?.line, index: i))
        }
        var outDir: String?
        var outputsLine: Int?
        if let o = top["outputs"] {
            outputsLine = o.mark?.line
            guard let om = o.mapping else { throw err(o, "outputs", "expected a mapping (outputs: {dir: out/})") }
            for (k, v) in om {
                guard k.string == "dir" else { throw err(k, "outputs." + (k.string ?? "?"), "unknown key (expected dir)") }
                guard let s = v.scalar?.string, !s.isEmpty else { throw err(v, "outputs.dir", "expected a folder path") }
                outDir = s
            }
        }
        var file = PipelineFile(path: path, version: version, name: name, description: description, inputs: inputs, stages: stages,
                                outputDirectory: outDir)
        file.outputsLine = outputsLine
        return file
    }

    /// Sets `key` of the only stage of `kind` (the built-in pipelines' command-line flags).
    public mutating func set(_ kind: String, _ key: String, _ value: Node) {
        guard let i = stages.firstIndex(where: { $0.kind == kind }) else { preconditionFailure("no \(kind) stage") }
        set(stageIndex: i, key: key, value: value)
    }

    /// As `set(_:_:_:)` with a plain scalar (read as YAML reads it: `5` is a number).
    public mutating func set(_ kind: String, _ key: String, _ value: String) {
        set(kind, key, Node(value))
    }

    /// Applies `--set STAGE.KEY=VALUE`: STAGE is a stage's kind (when only one stage has it),
    /// `KIND[N]` for its N-th occurrence (from 1), or `N` for the N-th stage (from 1). VALUE
    /// is read as YAML (`0.4`, `[a, b]`, `true`).
    public mutating func set(_ assignment: String) throws {
        let bad = PipelineError(file: path, key: nil, reason: "--set \(assignment): expected STAGE.KEY=VALUE (e.g. nms.iou=0.4)")
        guard let eq = assignment.firstIndex(of: "=") else { throw bad }
        let lhs = String(assignment[..<eq]), value = String(assignment[assignment.index(after: eq)...])
        guard let dot = lhs.lastIndex(of: "."), dot != lhs.startIndex else { throw bad }
        let stageRef = String(lhs[..<dot]), key = String(lhs[lhs.index(after: dot)...])
        guard !key.isEmpty else { throw bad }
        var matches: [Int] = []
        if let n = Int(stageRef) {
            if n >= 1 && n <= stages.count { matches = [n - 1] }
        } else if let open = stageRef.firstIndex(of: "["), stageRef.hasSuffix("]"),
                  let n = Int(stageRef[stageRef.index(after: open)..<stageRef.index(before: stageRef.endIndex)]) {
            let kind = String(stageRef[..<open])
            let all = stages.indices.filter { stages[$0].kind == kind }
            if n >= 1 && n <= all.count { matches = [all[n - 1]] }
        } else {
            matches = stages.indices.filter { stages[$0].kind == stageRef }
        }
        guard !matches.isEmpty else {
            throw PipelineError(file: path, key: nil, reason: "--set \(assignment): no stage \(stageRef) (stages: \(stages.map(\.kind).joined(separator: ", ")))")
        }
        guard matches.count == 1 else {
            throw PipelineError(file: path, key: nil, reason: "--set \(assignment): \(matches.count) \(stageRef) stages; say which with \(stageRef)[1]")
        }
        let parsed: Node
        do { parsed = try Yams.compose(yaml: value) ?? Node("") } catch {
            throw PipelineError(file: path, key: nil, reason: "--set \(assignment): the value is not valid YAML")
        }
        set(stageIndex: matches[0], key: key, value: parsed)
    }

    /// Sets one parameter of the stage at `stageIndex` to a YAML node (replacing or adding it).
    public mutating func set(stageIndex i: Int, key: String, value parsed: Node) {
        var pairs = Array(stages[i].parameters.mapping ?? Node.Mapping([]))
        if let j = pairs.firstIndex(where: { $0.key.string == key }) {
            pairs[j] = (pairs[j].key, parsed)
        } else {
            pairs.append((Node(key), parsed))
        }
        stages[i].parameters = .mapping(Node.Mapping(pairs.map { ($0.key, $0.value) }, .implicit, .any, stages[i].parameters.mark))
    }
}

extension PipelineError {
    func withLine(_ line: Int?) -> PipelineError {
        var e = self
        if e.line == nil { e.line = line }
        return e
    }
}

private func yamlErrorLine(_ error: Error) -> Int? {
    if case let YamlError.scanner(_, _, mark, _) = error { return mark.line }
    if case let YamlError.parser(_, _, mark, _) = error { return mark.line }
    if case let YamlError.composer(_, _, mark, _) = error { return mark.line }
    return nil
}

private func yamlErrorText(_ error: Error) -> String {
    if case let YamlError.scanner(_, problem, _, _) = error { return problem }
    if case let YamlError.parser(_, problem, _, _) = error { return problem }
    if case let YamlError.composer(_, problem, _, _) = error { return problem }
    return "\(error)"
}
