/// A sink that hands every item, in input order, to a closure: how a command consumes a
/// pipeline's results in memory (`vigil eval` scores classifications against labels).
public final class CallbackSink: SinkStage {
    public let kind: String
    let requires: (Flow) throws -> Void
    let body: (PipelineItem) throws -> Void

    /// `requires` checks what arrives (throw a `ParameterError` to refuse it).
    public init(kind: String = "callback", requires: @escaping (Flow) throws -> Void = { _ in }, _ body: @escaping (PipelineItem) throws -> Void) {
        self.kind = kind
        self.requires = requires
        self.body = body
    }

    public var summary: String { "results to the command" }
    public var done: Set<String> { [] }
    public func check(_ flow: inout Flow) throws { try requires(flow) }
    public func emit(_ item: PipelineItem) throws { try body(item) }
    public func finish() throws {}
}
