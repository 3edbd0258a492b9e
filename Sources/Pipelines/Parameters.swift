import Foundation
import Yams

/// A stage's parameters as a Codable type. `Keys` lists every key it accepts, so keys the
/// type does not know are errors rather than silently ignored.
public protocol StageParameters: Decodable {
    associatedtype Keys: CaseIterable & RawRepresentable where Keys.RawValue == String
}

extension StageParameters {
    static var keys: [String] { Keys.allCases.map(\.rawValue) }
}

/// Decodes one stage entry's parameters and turns every problem into a `PipelineError` at
/// the line of the key concerned.
public struct ParameterReader {
    public let file: String
    public let entry: PipelineFile.StageEntry

    public init(file: String, entry: PipelineFile.StageEntry) {
        self.file = file
        self.entry = entry
    }

    public func decode<T: StageParameters>(_ type: T.Type) throws -> T {
        let mapping = entry.parameters.mapping ?? Node.Mapping([])
        for (k, _) in mapping {
            let name = k.string ?? "?"
            if !T.keys.contains(name) {
                throw PipelineError(file: file, line: k.mark?.line ?? entry.line, key: entry.keyPath + "." + name,
                                    reason: "unknown parameter (\(entry.kind) takes \(T.keys.isEmpty ? "none" : T.keys.joined(separator: ", ")))")
            }
        }
        do {
            let yaml = try Yams.serialize(node: entry.parameters)
            return try YAMLDecoder().decode(T.self, from: yaml)
        } catch let e as DecodingError {
            let (path, reason): ([CodingKey], String)
            switch e {
            case .typeMismatch(let t, let c): (path, reason) = (c.codingPath, "expected \(Self.typeName(t))")
            case .valueNotFound(let t, let c): (path, reason) = (c.codingPath, "expected \(Self.typeName(t))")
            case .keyNotFound(let k, let c): (path, reason) = (c.codingPath + [k], "missing")
            case .dataCorrupted(let c): (path, reason) = (c.codingPath, c.debugDescription)
            @unknown default: (path, reason) = ([], "\(e)")
            }
            throw fail(path.first?.stringValue, reason + Self.suffix(path.dropFirst()))
        } catch let e as PipelineError {
            throw e
        } catch {
            throw fail(nil, "\(error)")
        }
    }

    /// An error about `key` (or the stage as a whole) at that key's line.
    public func fail(_ key: String?, _ reason: String) -> PipelineError {
        var line = entry.line
        if let key, let m = entry.parameters.mapping {
            for (k, v) in m where k.string == key { line = v.mark?.line ?? k.mark?.line ?? line }
        }
        return PipelineError(file: file, line: line, key: key.map { entry.keyPath + "." + $0 } ?? entry.keyPath, reason: reason)
    }

    public func fail(_ e: ParameterError) -> PipelineError { fail(e.key, e.reason) }

    static func typeName(_ t: Any.Type) -> String {
        let s = "\(t)"
        if s.contains("Int") { return "an integer" }
        if s.contains("Double") || s.contains("Float") { return "a number" }
        if s.contains("Bool") { return "true or false" }
        if s.contains("Array") { return "a list" }
        if s.contains("String") { return "a string" }
        return s
    }

    static func suffix(_ rest: ArraySlice<CodingKey>) -> String {
        rest.isEmpty ? "" : " (at " + rest.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + ")"
    }
}

/// Checks for parameter values, thrown as `ParameterError`s.
enum Check {
    static func range<T: Comparable>(_ v: T?, _ key: String, _ r: ClosedRange<T>) throws {
        if let v, !r.contains(v) { throw ParameterError(key, "must be in [\(r.lowerBound), \(r.upperBound)], got \(v)") }
    }
    static func atLeast<T: Comparable>(_ v: T?, _ key: String, _ low: T) throws {
        if let v, v < low { throw ParameterError(key, "must be at least \(low), got \(v)") }
    }
    static func oneOf(_ v: String?, _ key: String, _ allowed: [String]) throws {
        if let v, !allowed.contains(v) { throw ParameterError(key, "must be one of \(allowed.joined(separator: ", ")), got \(v)") }
    }
}
