/// The industrial surfaces `SurfaceSynth` renders. The raw value is the MVTec AD
/// category folder name (`root/<rawValue>/train/good/000.png`).
///
/// ```swift
/// let img = SurfaceSynth.render(kind: .wood, seed: 7)   // 256×256 RGB
/// ```
public enum SurfaceKind: String, CaseIterable, Sendable, Codable {
    /// Brushed steel or aluminium: fine straight streaks along one direction and a broad sheen band.
    case brushedMetal = "brushed_metal"
    /// A turned (lathe-faced) metal face: concentric tool marks and the radial "bow-tie" sheen.
    case machinedMetal = "machined_metal"
    /// A sprayed, glossy panel: one colour, orange-peel relief and a slight gradient.
    case paintedPanel = "painted_panel"
    /// A planed board: warped growth rings, fine grain streaks and pores.
    case wood
    /// Woven cloth, plain weave or twill, warp and weft possibly of different colour.
    case fabric
    /// A printed circuit board: solder mask, copper under the mask, pads, vias and silkscreen.
    case pcb

    /// The defects written for this kind by `SurfaceSynth.writeMVTec` (every kind gets all six;
    /// on non-PCB surfaces `missingPrint` is a patch where the texture is smoothed away).
    public var defects: [DefectKind] { DefectKind.allCases }
}
