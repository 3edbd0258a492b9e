import Foundation

/// Where one instance of a product lies in the frame: a small rotation, scale change and shift
/// about the image centre. Textures are designed in product coordinates and sampled through
/// `toProduct`; the PCB places its primitives with `toImage`.
///
/// image = c + scale · R(rotation) · (product − c) + shift, with c the image centre.
struct Pose {
    let rotation: Float, scale: Float, shiftX: Float, shiftY: Float, centre: Float
    // toProduct as an affine map: X = a·x + b·y + tx, Y = c·x + d·y + ty.
    let a: Float, b: Float, c: Float, d: Float, tx: Float, ty: Float
    // toImage's rotation-and-scale.
    let fc: Float, fs: Float

    init(size: Int, rotation: Float, scale: Float, shift: (Float, Float)) {
        self.rotation = rotation
        self.scale = scale
        shiftX = shift.0
        shiftY = shift.1
        let h = Float(size) / 2
        centre = h
        let cr = cos(rotation) / scale, sr = sin(rotation) / scale
        a = cr; b = sr; c = -sr; d = cr
        fc = cos(rotation) * scale; fs = sin(rotation) * scale
        tx = h - a * (h + shift.0) - b * (h + shift.1)
        ty = h - c * (h + shift.0) - d * (h + shift.1)
    }

    /// The nuisance pose of one instance: ±5° and ±8 % for most surfaces and a shift of up to
    /// 3 % of the side; a PCB sits in a fixture, so it turns ≤ 2°, shifts ≤ 1.5 % and keeps its scale.
    init(kind: SurfaceKind, size: Int, rng: inout SeededRNGBox) {
        let S = Float(size)
        if kind == .pcb {
            let rot = rng.uniform(-2, 2) * .pi / 180
            self.init(size: size, rotation: rot, scale: 1, shift: (rng.uniform(-0.015, 0.015) * S, rng.uniform(-0.015, 0.015) * S))
        } else {
            let rot = rng.uniform(-5, 5) * .pi / 180, sc = rng.uniform(0.92, 1.08)
            self.init(size: size, rotation: rot, scale: sc, shift: (rng.uniform(-0.03, 0.03) * S, rng.uniform(-0.03, 0.03) * S))
        }
    }

    static func identity(size: Int) -> Pose { Pose(size: size, rotation: 0, scale: 1, shift: (0, 0)) }

    /// Pixel coordinates → product (design) coordinates.
    @inline(__always) func toProduct(_ x: Float, _ y: Float) -> (Float, Float) {
        (a * x + b * y + tx, c * x + d * y + ty)
    }

    /// Product coordinates → pixel coordinates.
    @inline(__always) func toImage(_ x: Float, _ y: Float) -> (Float, Float) {
        let u = x - centre, v = y - centre
        return (centre + u * fc - v * fs + shiftX, centre + u * fs + v * fc + shiftY)
    }

    /// A noise map defined on product coordinates, as a map from pixel coordinates.
    func map(_ m: Affine2) -> Affine2 {
        Affine2(ax: m.ax * a + m.bx * c, bx: m.ax * b + m.bx * d, cx: m.ax * tx + m.bx * ty + m.cx,
                ay: m.ay * a + m.by * c, by: m.ay * b + m.by * d, cy: m.ay * tx + m.by * ty + m.cy)
    }
}
