import Foundation
import ImageIO
import TensorCore

/// Procedural industrial surfaces with defects and their pixel masks, for training and
/// evaluating anomaly detectors where no real defect data is at hand.
///
/// Two seeds fix a shot. The **product** seed fixes the design, as one product on a real line:
/// the PCB layout, component set and board colour; the weave, yarn colours and thread pitch;
/// the wood species, colour and ring-spacing family; the paint colour and peel scale; the
/// brushing direction family and metal tone; the turning pitch; and the inspection station
/// (nominal light, exposure, contrast, colour temperature). The **instance** seed varies only
/// what differs between parts of that product: the pose (≤ ±5° and ±8 % in scale, a shift of a
/// few pixels; a PCB ≤ 2° and no scale), the pattern's phase, the random realisation of fine
/// structure (wood keeps its natural board-to-board grain and ring variation), and the shot:
/// light direction and gradient, exposure, a small colour-temperature drift, blur, sensor noise
/// and block artefacts. `renderDefective` paints the defect onto exactly the surface and shot
/// that `render` gives for the same product and instance, so the two differ only where the
/// mask says.
///
/// ```swift
/// let good = SurfaceSynth.render(kind: .brushedMetal, product: 3, seed: 1)
/// let (bad, mask) = SurfaceSynth.renderDefective(kind: .brushedMetal, defect: .scratch, product: 3, seed: 1)
/// // bad and good differ only under mask (255 = defective, 0 = good)
/// ```
public enum SurfaceSynth {
    /// Side of the square images when no size is given.
    public static let defaultSize = 256

    /// The product the product-less calls render: one fixed design per kind.
    public static func defaultProduct(for kind: SurfaceKind) -> UInt64 {
        switch kind {
        case .brushedMetal: return 1
        case .machinedMetal: return 1
        case .paintedPanel: return 1
        case .wood: return 1
        case .fabric: return 1
        case .pcb: return 1
        }
    }

    /// A defect-free image of instance `seed` of `product`: 8-bit RGB, `size × size`.
    public static func render(kind: SurfaceKind, product: UInt64, seed: UInt64, size: Int = defaultSize) -> Image {
        let shot = Shot(kind: kind, product: product, seed: seed, size: size)
        return shot.camera.develop(shot.layers, noise: shot.noise)
    }

    /// Instance `seed` of the kind's default product (`defaultProduct(for:)`).
    public static func render(kind: SurfaceKind, seed: UInt64, size: Int = defaultSize) -> Image {
        render(kind: kind, product: defaultProduct(for: kind), seed: seed, size: size)
    }

    /// The same shot as `render(kind:product:seed:size:)` with `defect` painted in, and its mask:
    /// 1-channel 8-bit, 255 where the image was visibly changed, 0 elsewhere.
    public static func renderDefective(kind: SurfaceKind, defect: DefectKind, product: UInt64, seed: UInt64,
                                       size: Int = defaultSize) -> (image: Image, mask: Image) {
        var shot = Shot(kind: kind, product: product, seed: seed, size: size)
        var rng = SeededRNGBox(shot.root.derived(100 + UInt64(DefectKind.allCases.firstIndex(of: defect)!)))
        let change = defect.paint(on: &shot.layers, rng: &rng)
        let image = shot.camera.develop(shot.layers, noise: shot.noise)
        return (image, maskImage(change, width: size, height: size))
    }

    /// `renderDefective(kind:defect:product:seed:size:)` on the kind's default product.
    public static func renderDefective(kind: SurfaceKind, defect: DefectKind, seed: UInt64,
                                       size: Int = defaultSize) -> (image: Image, mask: Image) {
        renderDefective(kind: kind, defect: defect, product: defaultProduct(for: kind), seed: seed, size: size)
    }

    /// The mask: change ≥ threshold, grown by one pixel (the camera blur spreads edges that far).
    static func maskImage(_ change: [Float], width w: Int, height h: Int) -> Image {
        var m = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w where change[y * w + x] >= maskThreshold {
                for yy in max(y - 1, 0)...min(y + 1, h - 1) {
                    for xx in max(x - 1, 0)...min(x + 1, w - 1) { m[yy * w + xx] = 255 }
                }
            }
        }
        return Image(width: w, height: h, channels: 1, pixels8: m)
    }

    /// One instance's surface, camera and noise stream.
    struct Shot {
        /// The instance's generator (defects draw from it too).
        let root: SeededRNG
        var layers: SurfaceLayers
        let camera: Camera
        let noise: SeededRNG

        init(kind: SurfaceKind, product: UInt64, seed: UInt64, size: Int) {
            precondition(size >= 16, "SurfaceSynth renders images of at least 16×16 pixels")
            let k = UInt64(SurfaceKind.allCases.firstIndex(of: kind)!)
            let design = SeededRNG(seed: mixSeed(product, k, 0xD351_6E))
            root = SeededRNG(seed: mixSeed(product, seed, k, 0x5EED))
            var pTex = SeededRNGBox(design.derived(1)), iTex = SeededRNGBox(root.derived(1))
            var pCam = SeededRNGBox(design.derived(2)), iCam = SeededRNGBox(root.derived(2))
            var iPose = SeededRNGBox(root.derived(4))
            let pose = Pose(kind: kind, size: size, rng: &iPose)
            layers = kind.layers(size: size, product: &pTex, instance: &iTex, pose: pose)
            camera = Camera(size: size, station: &pCam, rng: &iCam)
            noise = root.derived(3)
        }
    }
}

/// SplitMix64 over a sequence of words: independent-looking seeds for (seed, kind, split, index…).
func mixSeed(_ parts: UInt64...) -> UInt64 {
    var z: UInt64 = 0x243F_6A88_85A3_08D3
    for p in parts {
        z = (z ^ p) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
    }
    return z
}
