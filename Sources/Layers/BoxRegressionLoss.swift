import Foundation
import TensorCore

/// Box regression loss for an anchor-free (CenterNet-style) head, on the four regression
/// channels (ox, oy, lw, lh) of a head output `(N, H, W, K)`, in cell units: the cell at row i,
/// column j predicts centre (j + ox, i + oy) and size w = e^lw, h = e^lh, so the box
/// x0 = j + ox − w/2, x1 = j + ox + w/2 (and the same in y).
///
/// Per target: giouWeight · (1 − GIoU(pred, target)) + l1Weight · (|ox − tox| + |oy − toy| +
/// |lw − log tw| + |lh − log th|), with tox = target centre x − j, toy = target centre y − i.
/// The weighted sum is divided by the sum of the weights; no targets (or zero total weight)
/// give 0 and a zero gradient.
///
/// GIoU (Rezatofighi et al. 2019) = IoU − (C − U)/C with C the area of the smallest box
/// enclosing both, so 1 − GIoU = 2 − I/U − U/C. Its gradient flows through the box corners and
/// the exponentials. Without overlap the intersection is 0 with zero gradient, while the
/// enclosing-box term still pulls the boxes together. Kinks (equal edges, |·| at 0) take the
/// subgradient 0 for the min/max or sign terms.
///
/// ```swift
/// let loss = BoxRegressionLoss()
/// let r = loss(headOutput, targets: [.init(n: 0, i: 4, j: 6, x0: 2, y0: 2, x1: 10, y1: 6)], channel: classCount)
/// ```
public struct BoxRegressionLoss {
    /// Weight of the 1 − GIoU term.
    public var giouWeight: Float
    /// Weight of the L1 term on (ox, oy, lw, lh).
    public var l1Weight: Float

    public init(giouWeight: Float = 1, l1Weight: Float = 1) {
        self.giouWeight = giouWeight
        self.l1Weight = l1Weight
    }

    /// One ground-truth box assigned to the cell (row `i`, column `j`) of batch image `n`.
    /// The box is in cell units (pixels / stride), `x1 > x0`, `y1 > y0`.
    public struct Target: Sendable, Equatable {
        public var n: Int
        public var i: Int
        public var j: Int
        public var x0: Float
        public var y0: Float
        public var x1: Float
        public var y1: Float
        /// This target's share of the loss (e.g. 1 at a centre, less at a neighbouring cell).
        public var weight: Float

        public init(n: Int, i: Int, j: Int, x0: Float, y0: Float, x1: Float, y1: Float, weight: Float = 1) {
            self.n = n; self.i = i; self.j = j
            self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
            self.weight = weight
        }
    }

    /// The loss of `output`'s regression channels `channel..<channel + 4` against `targets`.
    /// - Returns: the loss and ∂loss/∂output, shaped like `output` and non-zero only at the
    ///   targets' cells in those four channels (targets sharing a cell add up).
    public func callAsFunction(_ output: Tensor, targets: [Target], channel: Int) -> LossResult {
        precondition(output.shape.rank == 4, "head output must be (N, H, W, K), got \(output.shape)")
        let (n, h, w, k) = (output.shape[0], output.shape[1], output.shape[2], output.shape[3])
        precondition(channel >= 0 && channel + 4 <= k, "regression channels \(channel)..<\(channel + 4) outside 0..<\(k)")
        var grad = Tensor(shape: output.shape)
        let weightSum = targets.reduce(0.0) { $0 + Double($1.weight) }
        guard !targets.isEmpty, weightSum > 0 else { return LossResult(value: 0, gradient: grad) }
        let gw = Double(giouWeight), lw1 = Double(l1Weight)
        var total = 0.0
        for t in targets {
            precondition(t.n >= 0 && t.n < n && t.i >= 0 && t.i < h && t.j >= 0 && t.j < w,
                         "target cell (\(t.n), \(t.i), \(t.j)) outside \(output.shape)")
            precondition(t.x1 > t.x0 && t.y1 > t.y0, "empty target box \(t)")
            let o = ((t.n * h + t.i) * w + t.j) * k + channel
            let ox = Double(output.data[o]), oy = Double(output.data[o + 1])
            let lw = Double(output.data[o + 2]), lh = Double(output.data[o + 3])
            let tx0 = Double(t.x0), ty0 = Double(t.y0), tx1 = Double(t.x1), ty1 = Double(t.y1)
            let scale = Double(t.weight) / weightSum

            // 1 − GIoU and its gradient with respect to (ox, oy, lw, lh).
            let g = GIoUTerm(cx: Double(t.j) + ox, cy: Double(t.i) + oy, lw: lw, lh: lh, x0: tx0, y0: ty0, x1: tx1, y1: ty1)

            // L1 on the raw regressions against the encoded target.
            let tox = (tx0 + tx1) / 2 - Double(t.j), toy = (ty0 + ty1) / 2 - Double(t.i)
            let tlw = log(tx1 - tx0), tlh = log(ty1 - ty0)
            let d = [ox - tox, oy - toy, lw - tlw, lh - tlh]
            let l1 = d.reduce(0) { $0 + abs($1) }

            total += scale * (gw * g.loss + lw1 * l1)
            for c in 0..<4 {
                let sign: Double = d[c] > 0 ? 1 : (d[c] < 0 ? -1 : 0)
                grad.data[o + c] += Float(scale * (gw * g.gradient[c] + lw1 * sign))
            }
        }
        return LossResult(value: Float(total), gradient: grad)
    }
}

/// 1 − GIoU of a predicted box (centre, log size) against a target box, with the gradient
/// with respect to (centre x, centre y, log width, log height). Centre offsets move the centre
/// one for one, so the first two entries are also ∂/∂ox and ∂/∂oy.
struct GIoUTerm {
    var loss: Double
    var gradient: [Double]

    init(cx: Double, cy: Double, lw: Double, lh: Double, x0 tx0: Double, y0 ty0: Double, x1 tx1: Double, y1 ty1: Double) {
        let pw = exp(lw), ph = exp(lh)
        let px0 = cx - pw / 2, px1 = cx + pw / 2, py0 = cy - ph / 2, py1 = cy + ph / 2
        let areaP = pw * ph, areaT = (tx1 - tx0) * (ty1 - ty0)

        // Intersection: zero (with zero gradient) unless both extents are positive.
        let iw = min(px1, tx1) - max(px0, tx0), ih = min(py1, ty1) - max(py0, ty0)
        let overlaps = iw > 0 && ih > 0
        let inter = overlaps ? iw * ih : 0
        let union = areaP + areaT - inter
        // Enclosing box.
        let cw = max(px1, tx1) - min(px0, tx0), ch = max(py1, ty1) - min(py0, ty0)
        let enclosing = cw * ch
        loss = 2 - inter / union - union / enclosing

        // L = 2 − I/U − U/C with U = A_p + A_t − I.
        let dI = -1 / union - inter / (union * union) + 1 / enclosing   // through I and U
        let dAp = inter / (union * union) - 1 / enclosing               // through U
        let dC = union / (enclosing * enclosing)

        // ∂/∂ of each predicted edge (x0, x1, y0, y1) from the intersection and enclosing extents.
        var gx0 = 0.0, gx1 = 0.0, gy0 = 0.0, gy1 = 0.0
        if overlaps {
            if px0 > tx0 { gx0 -= dI * ih }   // ∂iw/∂px0 = −1 when the prediction's left edge is inside
            if px1 < tx1 { gx1 += dI * ih }
            if py0 > ty0 { gy0 -= dI * iw }
            if py1 < ty1 { gy1 += dI * iw }
        }
        if px0 < tx0 { gx0 -= dC * ch }       // ∂cw/∂px0 = −1 when the prediction sticks out on the left
        if px1 > tx1 { gx1 += dC * ch }
        if py0 < ty0 { gy0 -= dC * cw }
        if py1 > ty1 { gy1 += dC * cw }

        // Edges from (cx, cy, lw, lh): ∂x0/∂cx = ∂x1/∂cx = 1, ∂x0/∂lw = −w/2, ∂x1/∂lw = w/2;
        // the predicted area e^(lw + lh) has ∂A_p/∂lw = ∂A_p/∂lh = A_p.
        gradient = [
            gx0 + gx1,
            gy0 + gy1,
            (gx1 - gx0) * pw / 2 + dAp * areaP,
            (gy1 - gy0) * ph / 2 + dAp * areaP,
        ]
    }
}
