import COpenBLAS
import TensorCore

/// C = alpha · op(A) · op(B) + beta · C on row-major matrices, through OpenBLAS.
/// op(A) is M×K, op(B) is K×N, C is M×N; lda/ldb/ldc are row strides.
public func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, context: Context) {
    precondition(m >= 0 && n >= 0 && k >= 0)
    if m == 0 || n == 0 { return }
    setBLASThreads(context.threads)
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The obviously-correct reference for `gemm`, in Double accumulation.
public func gemmReference(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                          alpha: Float = 1, a: [Float], lda: Int, b: [Float], ldb: Int,
                          beta: Float = 0, c: inout [Float], ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var acc = 0.0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                acc += Double(av) * Double(bv)
            }
            c[i * ldc + j] = Float(Double(alpha) * acc + (beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])))
        }
    }
}

/// OpenBLAS keeps one process-wide thread count; each call sets it from the caller's
/// Context (a cheap store), so the Context stays the single source of truth.
@inline(__always)
func setBLASThreads(_ n: Int) {
    openblas_set_num_threads(Int32(n))
}

/// The number of threads OpenBLAS will use now.
public func blasThreadCount() -> Int { Int(openblas_get_num_threads()) }

/// Build configuration OpenBLAS reports (kernel, threading), for benchmark headers.
public func blasConfig() -> String {
    guard let c = openblas_get_config() else { return "OpenBLAS" }
    return String(cString: c) + " core " + (openblas_get_corename().map { String(cString: $0) } ?? "?")
}
