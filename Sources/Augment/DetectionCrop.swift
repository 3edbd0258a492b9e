import Foundation
import ImageIO
import TensorCore

/// A labelled rectangle in pixels (`x1`, `y1` exclusive), as augmentations move them.
public struct LabelledRect: Sendable, Equatable, Codable {
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double
    public var label: Int

    public init(x0: Double, y0: Double, x1: Double, y1: Double, label: Int) {
        self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1; self.label = label
    }

    public var width: Double { max(0, x1 - x0) }
    public var height: Double { max(0, y1 - y0) }
}

/// The geometric half of detection training augmentation: the boxes move with the pixels.
///
/// The image is first scaled as `DetectionInput` would scale it for a network input whose
/// longer side is `longerSide`, times a random zoom drawn log-uniformly from `zoom`; then a
/// `width × height` window is cut from it — with probability `focus` one that contains a
/// randomly chosen object, else anywhere — padded with `fill` where it leaves the image; then
/// the window is mirrored with probability ½ when every object in it has a label in
/// `mirrorable` (a mirrored "STOP" or speed limit is no longer that sign).
///
/// Boxes are scaled, shifted and clipped to the window. A box that keeps less than
/// `minVisible` of its area, or ends up under 2 px on a side, is dropped.
public struct DetectionCrop: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var longerSide: Int
    public var zoom: ClosedRange<Double>
    public var focus: Double
    public var mirrorable: Set<Int>
    public var minVisible: Double
    /// Padding colour in [0, 1] (the normalisation mean, so that padding reads as zeros).
    public var fill: [Float]

    public init(width: Int, height: Int, longerSide: Int, zoom: ClosedRange<Double> = 0.6...1.5, focus: Double = 0.6,
                mirrorable: Set<Int> = [], minVisible: Double = 0.5, fill: [Float] = [0.5, 0.5, 0.5]) {
        precondition(width > 0 && height > 0 && longerSide > 0 && zoom.lowerBound > 0)
        self.width = width
        self.height = height
        self.longerSide = longerSide
        self.zoom = zoom
        self.focus = focus
        self.mirrorable = mirrorable
        self.minVisible = minVisible
        self.fill = fill
    }

    public func apply(_ image: Image, boxes: [LabelledRect], rng: inout SeededRNG) -> (image: FloatImage, boxes: [LabelledRect]) {
        let rgb = image.channels == 3 && image.bitDepth == 8 ? image : image.toRGB8()
        let base = Double(longerSide) / Double(max(rgb.width, rgb.height, 1))
        let z = exp(log(zoom.lowerBound) + (log(zoom.upperBound) - log(zoom.lowerBound)) * Double(rng.unit()))
        let s = base * z
        let rw = max(1, Int((Double(rgb.width) * s).rounded())), rh = max(1, Int((Double(rgb.height) * s).rounded()))
        let sx = Double(rw) / Double(rgb.width), sy = Double(rh) / Double(rgb.height)

        // Window position: anywhere it overlaps the image, or around one object.
        func pick(_ lo: Int, _ hi: Int) -> Int { hi <= lo ? lo : lo + Int(rng.next() % UInt64(hi - lo + 1)) }
        var left = pick(min(0, rw - width), max(0, rw - width))
        var top = pick(min(0, rh - height), max(0, rh - height))
        if !boxes.isEmpty && Double(rng.unit()) < focus {
            let b = boxes[Int(rng.next() % UInt64(boxes.count))]
            let cx = (b.x0 + b.x1) / 2 * sx, cy = (b.y0 + b.y1) / 2 * sy
            // Any window with the centre at least 8 px inside it.
            left = pick(Int(cx) - width + 8, Int(cx) - 8)
            top = pick(Int(cy) - height + 8, Int(cy) - 8)
        }

        var out = FloatImage(width: width, height: height, channels: 3)
        for p in 0..<(width * height) { for c in 0..<3 { out.data[p * 3 + c] = fill[c] } }
        // The part of the window on the resized image.
        let ix0 = max(left, 0), iy0 = max(top, 0), ix1 = min(left + width, rw), iy1 = min(top + height, rh)
        if ix1 > ix0 && iy1 > iy0 {
            let w = ix1 - ix0, h = iy1 - iy0
            var part = [Float](repeating: 0, count: w * h * 3)
            part.withUnsafeMutableBufferPointer {
                rgb.resizeCropFloatHWC(resizedWidth: rw, resizedHeight: rh, left: ix0, top: iy0, width: w, height: h, mean: [], std: [], into: $0)
            }
            for y in 0..<h {
                let dst = ((iy0 - top + y) * width + (ix0 - left)) * 3
                for i in 0..<(w * 3) { out.data[dst + i] = part[y * w * 3 + i] }
            }
        }

        var moved: [LabelledRect] = []
        for b in boxes {
            let full = LabelledRect(x0: b.x0 * sx - Double(left), y0: b.y0 * sy - Double(top),
                                    x1: b.x1 * sx - Double(left), y1: b.y1 * sy - Double(top), label: b.label)
            var c = full
            c.x0 = min(max(c.x0, 0), Double(width)); c.x1 = min(max(c.x1, 0), Double(width))
            c.y0 = min(max(c.y0, 0), Double(height)); c.y1 = min(max(c.y1, 0), Double(height))
            let area = full.width * full.height
            guard area > 0, c.width >= 2, c.height >= 2, c.width * c.height >= minVisible * area else { continue }
            moved.append(c)
        }
        if rng.unit() < 0.5 && moved.allSatisfy({ mirrorable.contains($0.label) }) {
            out = Geometry.flipHorizontal(out)
            moved = moved.map { LabelledRect(x0: Double(width) - $0.x1, y0: $0.y0, x1: Double(width) - $0.x0, y1: $0.y1, label: $0.label) }
        }
        return (out, moved)
    }
}
