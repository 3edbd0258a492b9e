import Layers

/// One classified file.
public struct Classification: Sendable {
    public var path: String
    /// (class index, label, probability), best first; empty when the file failed.
    public var top: [(index: Int, label: String, score: Float)]
    public var error: String?

    public init(path: String, top: [(index: Int, label: String, score: Float)], error: String?) {
        self.path = path
        self.top = top
        self.error = error
    }

    /// The k most probable classes of one row of logits (softmax), best first.
    public static func top(logits: UnsafeBufferPointer<Float>, labels: [String], k: Int) -> [(index: Int, label: String, score: Float)] {
        var probs = [Float](repeating: 0, count: logits.count)
        probs.withUnsafeMutableBufferPointer { Softmax.apply(logits.baseAddress!, $0.baseAddress!, k: logits.count) }
        let best = probs.indices.sorted { probs[$0] > probs[$1] }.prefix(k)
        return best.map { ($0, $0 < labels.count ? labels[$0] : "class \($0)", probs[$0]) }
    }
}
