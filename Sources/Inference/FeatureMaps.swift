import Foundation
import TensorCore

/// Turns a layer's output into one vector per image.
public enum FeatureMaps {
    /// `(N, H, W, C)` → `(N, C)` by average or max over H and W, or `(N, H·W·C)` for "none";
    /// `(N, D)` stays. With `l2`, each row is scaled to unit length.
    public static func reduce(_ t: Tensor, pool: String, l2: Bool) -> Tensor {
        var out = t
        if t.shape.rank == 4 && pool != "none" {
            let (n, hw, c) = (t.shape[0], t.shape[1] * t.shape[2], t.shape[3])
            out = Tensor([n, c], repeating: pool == "max" ? -.infinity : 0)
            for i in 0..<n {
                for p in 0..<hw {
                    for ch in 0..<c {
                        let v = t.data[(i * hw + p) * c + ch]
                        if pool == "max" { out.data[i * c + ch] = max(out.data[i * c + ch], v) } else { out.data[i * c + ch] += v / Float(hw) }
                    }
                }
            }
        } else if t.shape.rank != 2 {
            out = t.reshaped([t.shape[0], t.count / t.shape[0]])
        }
        if l2 {
            let d = out.shape[1]
            for i in 0..<out.shape[0] {
                let norm = (0..<d).reduce(Float(0)) { $0 + out.data[i * d + $1] * out.data[i * d + $1] }.squareRoot()
                if norm > 0 { for j in 0..<d { out.data[i * d + j] /= norm } }
            }
        }
        return out
    }
}

