/// Formats Vigil decodes, recognised by their magic bytes only — never by extension.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png
    case jpeg

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The format whose signature starts `bytes`, or nil.
    ///
    /// A prefix of a signature that is cut short (e.g. the first 5 bytes of a PNG)
    /// still counts, so that a truncated file is reported as truncated.
    public static func sniff<C: Collection>(_ bytes: C) -> ImageFormat? where C.Element == UInt8 {
        let head = Array(bytes.prefix(8))
        if head.isEmpty { return nil }
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head.count < 3, head.elementsEqual([0xFF, 0xD8, 0xFF].prefix(head.count)) { return .jpeg }
        if head.elementsEqual(pngSignature.prefix(head.count)) { return .png }
        return nil
    }
}
