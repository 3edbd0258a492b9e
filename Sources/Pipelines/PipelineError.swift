import Foundation

/// A pipeline that cannot run, or a file it cannot use: names the file, the line and the key.
///
/// Printed as `pipelines/stop-sign.yaml:14: stages[2].nms.iou: must be in (0, 1]`, the form
/// compilers use, so editors jump to the place.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    /// Dotted path of the offending key (`stages[2].classify.top_k`), when there is one.
    public var key: String?
    public var reason: String

    public init(file: String, line: Int? = nil, key: String? = nil, reason: String) {
        self.file = file
        self.line = line
        self.key = key
        self.reason = reason
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += ": "
        if let key, !key.isEmpty { s += key + ": " }
        return s + reason
    }
}

/// A parameter problem found by a stage while building itself; the plan adds file and line.
public struct ParameterError: Error {
    /// The parameter's key inside the stage (`iou`), or nil for the stage as a whole.
    public var key: String?
    public var reason: String

    public init(_ key: String?, _ reason: String) {
        self.key = key
        self.reason = reason
    }
}
