/// The defects `SurfaceSynth.renderDefective` paints onto a surface. The raw value is the
/// MVTec AD defect folder name (`test/<rawValue>/000.png`, `ground_truth/<rawValue>/000_mask.png`).
public enum DefectKind: String, CaseIterable, Sendable, Codable {
    /// A thin, curved, anti-aliased line, brighter or darker than the surface, with a groove.
    case scratch
    /// One to four small round or elliptic craters: dark floor, bright rim.
    case pit
    /// A jagged dark line with one to three branches, tapering at its ends.
    case crack
    /// An irregular soft-edged blob with a colour shift (rust, oil, water mark).
    case stain
    /// A smooth depression seen only through shading: highlight and shadow along the light.
    case dent
    /// PCB: a pad, trace piece or silkscreen piece that is absent. Elsewhere: a patch where the
    /// texture pattern is smoothed away.
    case missingPrint = "missing_print"
}
