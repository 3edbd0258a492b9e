// Training targets for a CenterNet-style head: boxes in pixels of the network input in, heat maps and box targets in cell units (pixels / stride) out.

import Foundation
import TensorCore

/// Training targets of a CenterNet-style detector (Zhou et al. 2019, "Objects as Points") for one
/// batch, for a head of stride `stride` pixels on an `H × W` grid with `C` classes.
///
/// - `heat` `(N, H, W, C)`: per object a 2-D Gaussian on its class channel, exactly 1 at the
///   object's centre cell (⌊centre / stride⌋, clamped into the grid), overlapping Gaussians
///   merged by maximum. The radius is CenterNet's `gaussianRadius` for a minimum IoU of 0.7 on
///   the box size in cells (each side rounded up, as CenterNet does), floored to an integer
///   r ≥ 0; σ = (2r + 1)/6 and values are kept within r cells of the centre.
/// - `boxes`: the box regression targets, in cell units. Each object's centre cell gets its box
///   with weight 1; when two objects share a centre cell the smaller (by area) keeps it and the
///   other gets no box target. With `neighbours`, the other cells of the 3×3 around a kept centre
///   (inside the grid, and not the centre of any object of any class, since the regression
///   channels are shared) also get the object's box, weighted by its Gaussian there when that is
///   ≥ 0.5; a cell claimed by two objects this way keeps the larger weight (ties: the smaller box).
///   Targets come out ordered by image, then row, then column.
///
/// Boxes are clipped to the grid's extent (`W·stride × H·stride` pixels) first; objects narrower
/// or shorter than `minSize` pixels after clipping are skipped.
///
/// ```swift
/// let t = CenterNetTargets(objects: [[(box: Box(x0: 8, y0: 8, x1: 40, y1: 24), classIndex: 1)]],
///                          gridHeight: 60, gridWidth: 80, stride: 4, classCount: 3)
/// t.heat[0, 4, 6, 1]   // 1
/// t.boxes              // [BoxTarget(n: 0, i: 4, j: 6, x0: 2, y0: 2, x1: 10, y1: 6, weight: 1)]
/// ```
public struct CenterNetTargets: Sendable {
    /// A box regression target at cell (row `i`, column `j`) of batch image `n`; the box in cell units.
    public struct BoxTarget: Sendable, Equatable {
        public var n: Int
        public var i: Int
        public var j: Int
        public var x0: Float
        public var y0: Float
        public var x1: Float
        public var y1: Float
        /// 1 at an object's centre; the Gaussian value at a neighbouring cell.
        public var weight: Float

        public init(n: Int, i: Int, j: Int, x0: Float, y0: Float, x1: Float, y1: Float, weight: Float) {
            self.n = n; self.i = i; self.j = j
            self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
            self.weight = weight
        }
    }

    /// Class heat maps `(N, H, W, C)` in [0, 1].
    public var heat: Tensor
    /// Box regression targets, by image, row and column.
    public var boxes: [BoxTarget]

    /// Builds the targets of a batch.
    /// - Parameters:
    ///   - objects: per batch image, its boxes in pixels of the network input with class indices in `0..<classCount`.
    ///   - gridHeight: H, rows of the head output.
    ///   - gridWidth: W, columns of the head output.
    ///   - stride: pixels per cell.
    ///   - classCount: C, heat-map channels.
    ///   - neighbours: also regress the box from the 3×3 cells around each centre (see the type's notes).
    ///   - minSize: objects narrower or shorter than this many pixels are skipped.
    ///   - minOverlap: the IoU that sets the Gaussian radius (CenterNet: 0.7).
    public init(objects: [[(box: Box, classIndex: Int)]], gridHeight: Int, gridWidth: Int, stride: Int, classCount: Int,
                neighbours: Bool = false, minSize: Double = 2, minOverlap: Double = 0.7) {
        precondition(gridHeight > 0 && gridWidth > 0 && stride > 0 && classCount > 0,
                     "grid \(gridHeight)×\(gridWidth), stride \(stride), \(classCount) classes")
        let (h, w, c) = (gridHeight, gridWidth, classCount)
        let s = Double(stride)
        var heat = Tensor(shape: [objects.count, h, w, c])
        var boxes: [BoxTarget] = []

        /// One object in cell units with its centre cell and Gaussian.
        struct Placed {
            var box: Box
            var classIndex: Int
            var i: Int
            var j: Int
            var radius: Int
            var sigma: Double
            var area: Double { box.area }
            /// The Gaussian value `dy` rows and `dx` columns from the centre (0 beyond the radius).
            func gaussian(dy: Int, dx: Int) -> Double {
                guard abs(dy) <= radius, abs(dx) <= radius else { return 0 }
                return exp(-Double(dx * dx + dy * dy) / (2 * sigma * sigma))
            }
        }

        for (n, list) in objects.enumerated() {
            var placed: [Placed] = []
            for (box, cls) in list {
                precondition(cls >= 0 && cls < c, "class index \(cls) outside 0..<\(c)")
                let clipped = box.clipped(width: Double(w) * s, height: Double(h) * s)
                guard clipped.width >= minSize, clipped.height >= minSize else { continue }
                let cells = clipped.scaled(sx: 1 / s, sy: 1 / s)
                let centre = cells.center
                let i = min(max(Int(centre.y.rounded(.down)), 0), h - 1)
                let j = min(max(Int(centre.x.rounded(.down)), 0), w - 1)
                let r = Self.gaussianRadius(height: cells.height.rounded(.up), width: cells.width.rounded(.up), minOverlap: minOverlap)
                let radius = max(0, Int(r.rounded(.down)))
                placed.append(Placed(box: cells, classIndex: cls, i: i, j: j, radius: radius, sigma: Double(2 * radius + 1) / 6))
            }

            // Heat: each Gaussian max-merged into its class channel.
            heat.data.withUnsafeMutableBufferPointer { hp in
                for p in placed {
                    for y in max(p.i - p.radius, 0)...min(p.i + p.radius, h - 1) {
                        for x in max(p.j - p.radius, 0)...min(p.j + p.radius, w - 1) {
                            let o = ((n * h + y) * w + x) * c + p.classIndex
                            hp[o] = max(hp[o], Float(p.gaussian(dy: y - p.i, dx: x - p.j)))
                        }
                    }
                }
            }

            // Box targets: centres first (the smaller box wins a shared cell), then neighbours.
            var chosen: [Int: (object: Int, weight: Double)] = [:]   // cell y·w + x → object, weight
            for (k, p) in placed.enumerated() {
                let cell = p.i * w + p.j
                if let prev = chosen[cell], placed[prev.object].area <= p.area { continue }
                chosen[cell] = (k, 1)
            }
            if neighbours {
                let centres = Set(chosen.keys)
                // Only objects that kept their centre cell; one that lost it to a smaller box has no targets.
                for (k, p) in placed.enumerated() where chosen[p.i * w + p.j]?.object == k {
                    for dy in -1...1 {
                        for dx in -1...1 where dy != 0 || dx != 0 {
                            let y = p.i + dy, x = p.j + dx
                            guard y >= 0, y < h, x >= 0, x < w, !centres.contains(y * w + x) else { continue }
                            let g = p.gaussian(dy: dy, dx: dx)
                            guard g >= 0.5 else { continue }
                            if let prev = chosen[y * w + x] {
                                let better = g > prev.weight || (g == prev.weight && p.area < placed[prev.object].area)
                                guard better else { continue }
                            }
                            chosen[y * w + x] = (k, g)
                        }
                    }
                }
            }
            for cell in chosen.keys.sorted() {
                let (k, weight) = chosen[cell]!
                let b = placed[k].box
                boxes.append(BoxTarget(n: n, i: cell / w, j: cell % w, x0: Float(b.x0), y0: Float(b.y0),
                                       x1: Float(b.x1), y1: Float(b.y1), weight: Float(weight)))
            }
        }
        self.heat = heat
        self.boxes = boxes
    }

    /// CenterNet's (after CornerNet's) Gaussian radius for a box of `height × width` cells: the
    /// smallest of the three corner-displacement radii at which a box with displaced corners still
    /// has IoU `minOverlap` with the original. Each case solves a quadratic a·r² + b·r + c = 0,
    /// taken as (b + √(b² − 4ac)) / 2 exactly as CenterNet's reference code does (not the textbook
    /// root with 2a); the result is that code's, not a tight bound.
    public static func gaussianRadius(height: Double, width: Double, minOverlap: Double = 0.7) -> Double {
        // One corner inside the ground truth, one outside (the box shifted diagonally).
        let b1 = height + width
        let c1 = width * height * (1 - minOverlap) / (1 + minOverlap)
        let r1 = (b1 + (b1 * b1 - 4 * c1).squareRoot()) / 2
        // Both corners inside the ground truth.
        let a2 = 4.0, b2 = 2 * (height + width)
        let c2 = (1 - minOverlap) * width * height
        let r2 = (b2 + (b2 * b2 - 4 * a2 * c2).squareRoot()) / 2
        // Both corners outside the ground truth.
        let a3 = 4 * minOverlap, b3 = -2 * minOverlap * (height + width)
        let c3 = (minOverlap - 1) * width * height
        let r3 = (b3 + (b3 * b3 - 4 * a3 * c3).squareRoot()) / 2
        return min(r1, r2, r3)
    }
}
