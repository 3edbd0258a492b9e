/// What Vigil reads from a JPEG's markers before libjpeg sees the data:
/// the EXIF orientation. Every read is bounds-checked; a damaged EXIF block is ignored.
struct JPEGMarkers {
    var orientation: Int?

    /// Walks the marker segments from SOI up to the first SOS.
    static func scan(_ bytes: UnsafeRawBufferPointer) -> JPEGMarkers {
        var result = JPEGMarkers()
        let n = bytes.count
        var i = 2
        while i + 4 <= n {
            guard bytes[i] == 0xFF else { break }
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            if marker == 0xDA || marker == 0xD9 { break }
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= n else { break }
            if marker == 0xE1, result.orientation == nil {
                let body = UnsafeRawBufferPointer(rebasing: bytes[(i + 4)..<(i + 2 + length)])
                result.orientation = EXIF.orientation(inAPP1: body)
            }
            i += 2 + length
        }
        return result
    }
}

enum EXIF {
    static let header: [UInt8] = Array("Exif".utf8) + [0, 0]

    /// The orientation tag (0x0112) of IFD0 in an APP1 body, when it holds 1–8.
    static func orientation(inAPP1 body: UnsafeRawBufferPointer) -> Int? {
        guard body.count >= 6 + 8, body.prefix(6).elementsEqual(header) else { return nil }
        let tiff = UnsafeRawBufferPointer(rebasing: body[6...])
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= tiff.count else { return nil }
            let a = Int(tiff[o]), b = Int(tiff[o + 1])
            return little ? a | b << 8 : a << 8 | b
        }
        func u32(_ o: Int) -> Int? {
            guard let hi = u16(little ? o + 2 : o), let lo = u16(little ? o : o + 2) else { return nil }
            return hi << 16 | lo
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for e in 0..<count {
            let entry = ifd + 2 + e * 12
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                guard u16(entry + 2) == 3, let value = u16(entry + 8), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return nil
    }

    /// A minimal big-endian APP1 body carrying only the orientation tag.
    static func orientationSegment(_ orientation: Int) -> [UInt8] {
        precondition((1...8).contains(orientation), "EXIF orientation is 1–8")
        var b = header
        b += [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08]  // "MM", 42, IFD0 at offset 8
        b += [0x00, 0x01]                                      // one entry
        b += [0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]  // orientation, SHORT, count 1
        b += [0x00, UInt8(orientation), 0x00, 0x00]
        b += [0x00, 0x00, 0x00, 0x00]                          // no next IFD
        return b
    }
}
