/// A file or folder `SurfaceSynth.writeMVTec` could not write, with the path and the reason.
public struct SynthError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "cannot write \(path): \(reason)" }
}
