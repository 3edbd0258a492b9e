/// A problem with a file, naming the file and the reason: what every layer of Vigil reports
/// for bad input (model files, datasets, chains, outputs).
public struct FileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
