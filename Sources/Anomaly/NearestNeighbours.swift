import Kernels
import TensorCore

/// Distance from each query row to its nearest memory row, through one matrix product:
/// ‖q − m‖² = ‖q‖² + ‖m‖² − 2 q·m, with Q·Mᵀ computed by sgemm in blocks of queries.
public struct NearestNeighbours {
    /// Memory rows, `count × dim`.
    public let memory: [Float]
    public let count: Int
    public let dim: Int
    let norms: [Float]

    public init(memory: [Float], dim: Int) {
        precondition(dim > 0 && memory.count % dim == 0)
        self.memory = memory
        self.dim = dim
        count = memory.count / dim
        norms = (0..<count).map { i in (0..<dim).reduce(Float(0)) { $0 + memory[i * dim + $1] * memory[i * dim + $1] } }
    }

    /// Euclidean distance of every query row (`queries.count / dim` rows) to its nearest memory row.
    public func distances(_ queries: [Float], context: Context) -> [Float] {
        let q = queries.count / dim
        var out = [Float](repeating: 0, count: q)
        let block = 256
        var dots = [Float](repeating: 0, count: block * count)
        queries.withUnsafeBufferPointer { qp in
            memory.withUnsafeBufferPointer { mp in
                dots.withUnsafeMutableBufferPointer { dp in
                    for start in stride(from: 0, to: q, by: block) {
                        let rows = min(block, q - start)
                        gemm(transB: true, m: rows, n: count, k: dim, a: qp.baseAddress! + start * dim, lda: dim,
                             b: mp.baseAddress!, ldb: dim, c: dp.baseAddress!, ldc: count, context: context)
                        for r in 0..<rows {
                            let row = qp.baseAddress! + (start + r) * dim
                            var qn: Float = 0
                            for k in 0..<dim { qn += row[k] * row[k] }
                            var best = Float.infinity
                            let d = dp.baseAddress! + r * count
                            for j in 0..<count { best = min(best, norms[j] - 2 * d[j]) }
                            out[start + r] = max(0, qn + best).squareRoot()
                        }
                    }
                }
            }
        }
        return out
    }

    /// The same by direct loops, for tests.
    public func distancesReference(_ queries: [Float]) -> [Float] {
        (0..<(queries.count / dim)).map { i in
            var best = Float.infinity
            for j in 0..<count {
                var s: Float = 0
                for k in 0..<dim { let t = queries[i * dim + k] - memory[j * dim + k]; s += t * t }
                best = min(best, s)
            }
            return best.squareRoot()
        }
    }
}
