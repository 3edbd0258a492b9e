import Augment
import ImageIO
import TensorCore
import XCTest

final class DetectionGeometryTests: XCTestCase {
    /// A gray image with solid coloured rectangles at the given boxes.
    func scene(width: Int, height: Int, boxes: [(LabelledRect, [UInt8])]) -> Image {
        var px = [UInt8](repeating: 128, count: width * height * 3)
        for (b, color) in boxes {
            for y in Int(b.y0)..<Int(b.y1) { for x in Int(b.x0)..<Int(b.x1) { for c in 0..<3 { px[(y * width + x) * 3 + c] = color[c] } } }
        }
        return Image(width: width, height: height, channels: 3, pixels8: px)
    }

    func testInputPlanKeepsAspectAndPadsToSixteen() {
        let input = DetectionInput(longerSide: 512)
        let p = input.plan(width: 1280, height: 720)
        XCTAssertEqual([p.width, p.height, p.paddedWidth, p.paddedHeight], [512, 288, 512, 288])
        XCTAssertEqual(p.scaleX, 2.5, accuracy: 1e-12)
        let q = input.plan(width: 300, height: 451)
        XCTAssertEqual([q.width, q.height, q.paddedWidth, q.paddedHeight], [341, 512, 352, 512])
        XCTAssertEqual(q.scaleY, 451.0 / 512.0, accuracy: 1e-12)
    }

    func testInputPaddingIsZeroAfterNormalisation() {
        let img = scene(width: 30, height: 20, boxes: [])
        let input = DetectionInput(longerSide: 24, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], multiple: 16)
        let (data, plan) = input.prepared(img)
        XCTAssertEqual([plan.width, plan.height, plan.paddedWidth, plan.paddedHeight], [24, 16, 32, 16])
        // Inside: gray 128 → (128/255 − 0.5) / 0.25; the padded columns are exactly 0.
        XCTAssertEqual(data[0], (128 / 255 - 0.5) / 0.25, accuracy: 1e-4)
        for y in 0..<16 { for x in 24..<32 { XCTAssertEqual(data[(y * 32 + x) * 3], 0) } }
    }

    /// The boxes move with the pixels: after any crop, zoom and mirror, the pixels inside
    /// each returned box are its object's colour.
    func testBoxesMoveWithThePixels() {
        let red = LabelledRect(x0: 100, y0: 60, x1: 160, y1: 120, label: 0)
        let blue = LabelledRect(x0: 300, y0: 200, x1: 340, y1: 260, label: 1)
        let img = scene(width: 480, height: 320, boxes: [(red, [220, 20, 20]), (blue, [20, 20, 220])])
        let crop = DetectionCrop(width: 160, height: 128, longerSide: 480, zoom: 0.7...1.4, focus: 0.8, mirrorable: [0, 1], minVisible: 0.5)
        var seen = 0, mirrored = 0
        for seed in 0..<40 {
            var rng = SeededRNG(seed: UInt64(seed))
            let (out, boxes) = crop.apply(img, boxes: [red, blue], rng: &rng)
            XCTAssertEqual([out.width, out.height], [160, 128])
            for b in boxes {
                seen += 1
                // Sample the box's inner part (away from the resampled edges).
                let cx = Int((b.x0 + b.x1) / 2), cy = Int((b.y0 + b.y1) / 2)
                let r = out[cx, cy, 0], bl = out[cx, cy, 2]
                if b.label == 0 { XCTAssertGreaterThan(r, 0.7, "seed \(seed): red box \(b) is on \(r), \(bl)"); XCTAssertLessThan(bl, 0.3) }
                else { XCTAssertGreaterThan(bl, 0.7, "seed \(seed): blue box \(b)"); XCTAssertLessThan(r, 0.3) }
                XCTAssertTrue(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= 160 && b.y1 <= 128)
            }
            // A mirrored red box's left edge is at 160 − its right edge: check the colour just outside.
            if boxes.count == 1, let b = boxes.first, b.x1 < 150, b.x0 > 10 {
                let outside = out[Int(b.x1) + 3, Int((b.y0 + b.y1) / 2), 0]
                if abs(outside - 128 / 255) < 0.05 { mirrored += 1 }
            }
        }
        XCTAssertGreaterThan(seen, 20, "focus keeps objects in most windows")
        XCTAssertGreaterThan(mirrored, 0)
    }

    func testNoMirrorWhenAClassIsNotMirrorable() {
        // An asymmetric object: left half red, right half blue. Never mirrored when label 0 is not mirrorable.
        var px = [UInt8](repeating: 128, count: 200 * 100 * 3)
        for y in 30..<70 { for x in 80..<120 { px[(y * 200 + x) * 3 + (x < 100 ? 0 : 2)] = 240 } }
        let img = Image(width: 200, height: 100, channels: 3, pixels8: px)
        let box = LabelledRect(x0: 80, y0: 30, x1: 120, y1: 70, label: 0)
        let crop = DetectionCrop(width: 96, height: 64, longerSide: 200, zoom: 1...1, focus: 1, mirrorable: [1])
        for seed in 0..<20 {
            var rng = SeededRNG(seed: UInt64(seed))
            let (out, boxes) = crop.apply(img, boxes: [box], rng: &rng)
            guard let b = boxes.first else { continue }
            let y = Int((b.y0 + b.y1) / 2)
            XCTAssertGreaterThan(out[Int(b.x0) + 4, y, 0], out[Int(b.x0) + 4, y, 2], "seed \(seed): red stays on the left")
        }
    }

    func testPartlyVisibleBoxesAreDroppedBelowMinVisible() {
        let b = LabelledRect(x0: 0, y0: 0, x1: 40, y1: 40, label: 0)
        let img = scene(width: 200, height: 200, boxes: [(b, [255, 0, 0])])
        // Zoom 1 at longer side 200: a window at random positions; boxes kept only when ≥ 90 % inside.
        let crop = DetectionCrop(width: 64, height: 64, longerSide: 200, zoom: 1...1, focus: 0, minVisible: 0.9)
        for seed in 0..<30 {
            var rng = SeededRNG(seed: UInt64(seed))
            let (_, boxes) = crop.apply(img, boxes: [b], rng: &rng)
            for k in boxes { XCTAssertGreaterThanOrEqual(k.width * k.height, 0.9 * 1600 - 1e-9) }
        }
    }

    func testPhotometricFilterDropsGeometry() {
        XCTAssertTrue(Op.horizontalFlip(p: 0.5).movesPixels)
        XCTAssertTrue(Op.affine(maxDegrees: 5, scale: 1...1, maxTranslate: 0, maxShear: 0, fill: .edge, p: 1).movesPixels)
        XCTAssertFalse(Op.fog(density: 0.2...0.4, p: 1).movesPixels)
        XCTAssertFalse(AugmentChain.driving.ops.filter { !$0.movesPixels }.isEmpty)
    }
}
