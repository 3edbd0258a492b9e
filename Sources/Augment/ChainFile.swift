import Foundation
import TensorCore
import Yams

/// Augmentation chains written in YAML — the format the pipelines use:
///
/// ```yaml
/// preset: driving          # optional: start from a preset's steps
/// ops:                     # appended after the preset's
///   - randomResizedCrop: {size: 224, scale: [0.08, 1.0], ratio: [0.75, 1.333]}
///   - rotate: {maxDegrees: 10, fill: edge, p: 0.5}
///   - gaussianNoise: {std: [0.01, 0.03], p: 0.3}
/// ```
///
/// Each step is one key (the step's name) holding its parameters; ranges are two-element
/// lists. Unknown keys are errors that name the key and the step.
public enum ChainFile {
    struct Spec: Decodable {
        var preset: String?
        var ops: [Op]?
    }

    public static func load(path: String) throws -> AugmentChain {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ChainError(path: path, reason: "cannot read")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ yaml: String, path: String = "<yaml>") throws -> AugmentChain {
        let tree: Any?
        do { tree = try Yams.load(yaml: yaml) } catch { throw ChainError(path: path, reason: "not valid YAML: \(error)") }
        guard let top = tree as? [String: Any] else { throw ChainError(path: path, reason: "expected a mapping with preset and/or ops") }
        for key in top.keys where key != "preset" && key != "ops" {
            throw ChainError(path: path, reason: "unknown key \"\(key)\" at the top level (expected preset, ops)")
        }
        let spec: Spec
        do { spec = try YAMLDecoder().decode(Spec.self, from: yaml) } catch {
            throw ChainError(path: path, reason: describe(error))
        }
        // Decoding ignores keys it does not know; find them by encoding what was understood
        // and comparing key sets step by step.
        let given = (top["ops"] as? [Any]) ?? []
        for (i, (raw, op)) in zip(given, spec.ops ?? []).enumerated() {
            let understood = try JSONSerialization.jsonObject(with: JSONEncoder().encode(op))
            if let extra = unknownKey(raw, understood) {
                throw ChainError(path: path, reason: "ops[\(i)]: unknown key \"\(extra)\"")
            }
        }
        var ops: [Op] = []
        if let name = spec.preset {
            guard let preset = AugmentChain.preset(name) else {
                throw ChainError(path: path, reason: "unknown preset \"\(name)\" (known: \(AugmentChain.presetNames.joined(separator: ", ")))")
            }
            ops = preset.ops
        }
        return AugmentChain(ops + (spec.ops ?? []))
    }

    /// The first key present in `given` but absent from `understood`, searching nested mappings.
    static func unknownKey(_ given: Any, _ understood: Any) -> String? {
        guard let g = given as? [String: Any] else { return nil }
        let u = understood as? [String: Any] ?? [:]
        for (k, v) in g {
            guard let uv = u[k] else { return k }
            if let deeper = unknownKey(v, uv) { return k + "." + deeper }
        }
        return nil
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx): return "\(path(ctx.codingPath)): missing \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx), DecodingError.dataCorrupted(let ctx):
            return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
        default: return "\(error)"
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}

/// A chain file that cannot be used: names the file and the reason.
public typealias ChainError = FileError
