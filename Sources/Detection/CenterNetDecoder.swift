// Decoding a CenterNet-style head output (N, H, W, C + 4) into detections in pixels of the original image.

import Foundation
import TensorCore

/// Turns a CenterNet-style head output into detections, without NMS: the 3×3 peak test is the
/// suppression (Zhou et al. 2019, "Objects as Points").
///
/// The output `(N, H, W, C + 4)` holds, per cell, C class heat-map logits and then the box
/// regression (ox, oy, lw, lh) in cell units: the cell at row i, column j predicts centre
/// (j + ox, i + oy) and size (e^lw, e^lh). With p = σ(logit), a cell is a peak of class c when
/// p ≥ `threshold` and no cell of its 3×3 neighbourhood in channel c has a larger p (ties are all
/// kept). The `maxDetections` highest-scoring peaks over all classes become detections: the box
/// in cell units × `stride` (network-input pixels), then × (scaleX, scaleY) into pixels of the
/// original image, clipped to it; score p, label `classes[c]`.
///
/// ```swift
/// let decoder = CenterNetDecoder(stride: 4)
/// let dets = decoder.decode(head, classes: ["car", "sign"], scaleX: 1920 / 320, scaleY: 1080 / 240,
///                           imageWidth: 1920, imageHeight: 1080)[0]
/// ```
public struct CenterNetDecoder: Sendable {
    /// Pixels of the network input per output cell.
    public var stride: Int
    /// Minimum score σ(logit) of a peak.
    public var threshold: Float
    /// Detections kept per image, highest scores first.
    public var maxDetections: Int

    public init(stride: Int, threshold: Float = 0.05, maxDetections: Int = 100) {
        precondition(stride > 0, "stride must be positive")
        self.stride = stride
        self.threshold = threshold
        self.maxDetections = maxDetections
    }

    /// Detections per batch image, each list by score, highest first (ties by row, column, class).
    /// - Parameters:
    ///   - output: the head output `(N, H, W, classes.count + 4)`.
    ///   - classes: class names, one per heat-map channel.
    ///   - scaleX: original-image pixels per network-input pixel, horizontally.
    ///   - scaleY: the same vertically.
    ///   - imageWidth: the original image's width in pixels; boxes are clipped to it.
    ///   - imageHeight: the original image's height in pixels.
    public func decode(_ output: Tensor, classes: [String], scaleX: Double = 1, scaleY: Double = 1,
                       imageWidth: Double, imageHeight: Double) -> [[Detection]] {
        precondition(output.shape.rank == 4, "head output must be (N, H, W, K), got \(output.shape)")
        let (n, h, w, k) = (output.shape[0], output.shape[1], output.shape[2], output.shape[3])
        let c = classes.count
        precondition(k == c + 4, "head output has \(k) channels for \(c) classes + 4 box channels")
        let plane = h * w * c
        // Scores of one image, (H, W, C), reused across the batch.
        var scores = [Float](repeating: 0, count: plane)
        var peaks: [(score: Float, index: Int)] = []
        var result: [[Detection]] = []
        result.reserveCapacity(n)
        let s = Double(stride)
        output.data.withUnsafeBufferPointer { op in
            for b in 0..<n {
                let base = b * h * w * k
                scores.withUnsafeMutableBufferPointer { sp in
                    for cell in 0..<(h * w) {
                        for ch in 0..<c { sp[cell * c + ch] = 1 / (1 + exp(-op[base + cell * k + ch])) }
                    }
                }
                peaks.removeAll(keepingCapacity: true)
                scores.withUnsafeBufferPointer { sp in
                    for y in 0..<h {
                        let y0 = max(y - 1, 0), y1 = min(y + 1, h - 1)
                        for x in 0..<w {
                            let x0 = max(x - 1, 0), x1 = min(x + 1, w - 1)
                            for ch in 0..<c {
                                let index = (y * w + x) * c + ch
                                let p = sp[index]
                                guard p >= threshold else { continue }
                                var isPeak = true
                                search: for yy in y0...y1 {
                                    for xx in x0...x1 where sp[(yy * w + xx) * c + ch] > p {
                                        isPeak = false
                                        break search
                                    }
                                }
                                if isPeak { peaks.append((p, index)) }
                            }
                        }
                    }
                }
                // Top-K by score; ties keep index order (row, column, class).
                peaks.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
                var dets: [Detection] = []
                dets.reserveCapacity(min(peaks.count, max(maxDetections, 0)))
                for (p, index) in peaks.prefix(max(maxDetections, 0)) {
                    let ch = index % c, cell = index / c
                    let y = cell / w, x = cell % w
                    let o = base + cell * k + c
                    let cx = Double(x) + Double(op[o]), cy = Double(y) + Double(op[o + 1])
                    let bw = exp(Double(op[o + 2])), bh = exp(Double(op[o + 3]))
                    let box = Box(x0: (cx - bw / 2) * s * scaleX, y0: (cy - bh / 2) * s * scaleY,
                                  x1: (cx + bw / 2) * s * scaleX, y1: (cy + bh / 2) * s * scaleY)
                    dets.append(Detection(box: box.clipped(width: imageWidth, height: imageHeight),
                                          classIndex: ch, label: classes[ch], score: p))
                }
                result.append(dets)
            }
        }
        return result
    }
}
