import Foundation
import Kernels
import TensorCore

/// Greedy coreset selection (k-center, as PatchCore subsamples its memory bank): start from one
/// point, then repeatedly add the point farthest from everything chosen so far. The chosen set
/// covers the data: every point lies within the final covering radius of a chosen one, and
/// isolated (rare, far) points are always kept. Distances are measured after a seeded random
/// projection to `projection` dimensions (Johnson–Lindenstrauss), which keeps them within a
/// small factor and makes each step a pass over N × projection floats.
public enum Coreset {
    /// Indices of `count` rows of `x` (`n × d`, row-major), in the order chosen.
    public static func select(_ x: [Float], n: Int, d: Int, count: Int, projection: Int = 32, seed: UInt64 = 0, threads: Int = 1) -> [Int] {
        precondition(x.count == n * d && n > 0 && d > 0)
        let m = min(count, n)
        guard m > 0 else { return [] }
        let (p, dp) = project(x, n: n, d: d, to: projection, seed: seed)
        var minDist = [Float](repeating: .infinity, count: n)
        var chosen: [Int] = []
        chosen.reserveCapacity(m)
        var rng = SeededRNG(seed: seed ^ 0xC0DE)
        var current = Int(rng.next() % UInt64(n))
        let workers = max(1, min(threads, 8))
        let chunk = (n + workers - 1) / workers
        var bestValue = [Float](repeating: -1, count: workers), bestIndex = [Int](repeating: 0, count: workers)
        p.withUnsafeBufferPointer { pp in
            minDist.withUnsafeMutableBufferPointer { md in
                let pb = pp.baseAddress!, mdb = md.baseAddress!
                for _ in 0..<m {
                    chosen.append(current)
                    let c = pb + current * dp
                    bestValue.withUnsafeMutableBufferPointer { bv in
                        bestIndex.withUnsafeMutableBufferPointer { bi in
                            let bvb = bv.baseAddress!, bib = bi.baseAddress!
                            DispatchQueue.concurrentPerform(iterations: workers) { w in
                                var best: Float = -1, arg = 0
                                let lanes = dp / 8
                                for i in (w * chunk)..<min(n, (w + 1) * chunk) {
                                    let row = pb + i * dp
                                    // Eight lanes at a time (the projection width is a multiple of 8 when it projects).
                                    var acc = SIMD8<Float>(repeating: 0)
                                    for b in 0..<lanes {
                                        let t = UnsafeRawPointer(row + 8 * b).loadUnaligned(as: SIMD8<Float>.self)
                                            - UnsafeRawPointer(c + 8 * b).loadUnaligned(as: SIMD8<Float>.self)
                                        acc += t * t
                                    }
                                    var s = acc.sum()
                                    for k in (8 * lanes)..<dp { let t = row[k] - c[k]; s += t * t }
                                    let v = min(mdb[i], s)
                                    mdb[i] = v
                                    if v > best { best = v; arg = i }
                                }
                                bvb[w] = best
                                bib[w] = arg
                            }
                        }
                    }
                    var best: Float = -1
                    for w in 0..<workers where bestValue[w] > best { best = bestValue[w]; current = bestIndex[w] }
                    if best <= 0 { break }  // every remaining point coincides with a chosen one
                }
            }
        }
        return chosen
    }

    /// The same selection without projection or threads: the obvious O(n·m·d) loop, for tests.
    public static func selectReference(_ x: [Float], n: Int, d: Int, count: Int, first: Int) -> [Int] {
        var minDist = [Float](repeating: .infinity, count: n)
        var chosen: [Int] = []
        var current = first
        for _ in 0..<min(count, n) {
            chosen.append(current)
            let c = current
            var best: Float = -1
            for i in 0..<n {
                var s: Float = 0
                for k in 0..<d { let t = x[i * d + k] - x[c * d + k]; s += t * t }
                minDist[i] = min(minDist[i], s)
                if minDist[i] > best { best = minDist[i]; current = i }
            }
            if best <= 0 { break }
        }
        return chosen
    }

    /// `x` times a seeded Gaussian matrix scaled by 1/√k (no projection when d ≤ k).
    static func project(_ x: [Float], n: Int, d: Int, to k: Int, seed: UInt64) -> ([Float], Int) {
        guard k < d else { return (x, d) }
        var rng = SeededRNG(seed: seed ^ 0x9E37)
        let scale = 1 / Float(k).squareRoot()
        var r = [Float](repeating: 0, count: d * k)
        for i in r.indices {
            // Box–Muller.
            let u1 = max(Float(rng.unit()), 1e-7), u2 = Float(rng.unit())
            r[i] = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2) * scale
        }
        var out = [Float](repeating: 0, count: n * k)
        x.withUnsafeBufferPointer { xp in
            r.withUnsafeBufferPointer { rp in
                out.withUnsafeMutableBufferPointer { op in
                    gemm(m: n, n: k, k: d, a: xp.baseAddress!, lda: d, b: rp.baseAddress!, ldb: k, c: op.baseAddress!, ldc: k, context: Context(threads: 2))
                }
            }
        }
        return (out, k)
    }
}
