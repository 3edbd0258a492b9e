import CPNG

/// PNG decode and encode through libpng (via the setjmp shim in CPNG).
enum PNGCodec {
    static func error(from status: vg_png_status) -> ImageError {
        let message = withUnsafeBytes(of: status.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        switch Int(status.code) {
        case Int(VG_PNG_TRUNCATED): return .truncated
        case Int(VG_PNG_UNSUPPORTED): return .unsupported(message)
        case Int(VG_PNG_NO_MEMORY): return .unsupported("out of memory: \(message)")
        default: return .corrupt(message)
        }
    }

    static func colorSpaceName(_ colorType: Int32, trns: Bool) -> String {
        switch colorType {
        case 0: return "gray"
        case 2: return "rgb"
        case 3: return "palette"
        case 4: return "gray+alpha"
        default: return "rgba"
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws -> DecodedImage {
        let base = bytes.bindMemory(to: UInt8.self).baseAddress
        var info = vg_png_info()
        var status = vg_png_status()
        let want8: Int32 = options.force8Bit ? 1 : 0
        if vg_png_probe(base, bytes.count, want8, options.maxPixels, &info, &status) != 0 {
            if status.code == VG_PNG_TOO_LARGE { throw ImageError.tooLarge(width: Int(info.width), height: Int(info.height)) }
            throw error(from: status)
        }
        let w = Int(info.width), h = Int(info.height), ch = Int(info.out_channels)
        let count = w * h * ch
        let image: Image
        if info.out_bit_depth == 16 {
            var px = [UInt16](repeating: 0, count: count)
            let rc = px.withUnsafeMutableBytes { out in
                vg_png_decode(base, bytes.count, want8, options.maxPixels,
                              out.bindMemory(to: UInt8.self).baseAddress, out.count, w * ch * 2, &info, &status)
            }
            if rc != 0 { throw error(from: status) }
            image = Image(width: w, height: h, channels: ch, pixels16: px)
        } else {
            var px = [UInt8](repeating: 0, count: count)
            let rc = px.withUnsafeMutableBufferPointer { out in
                vg_png_decode(base, bytes.count, want8, options.maxPixels, out.baseAddress, out.count, w * ch, &info, &status)
            }
            if rc != 0 { throw error(from: status) }
            image = Image(width: w, height: h, channels: ch, pixels8: px)
        }
        let stored = Int(info.color_type)
        let storedChannels = [0: 1, 2: 3, 3: info.has_trns != 0 ? 4 : 3, 4: 2, 6: 4][stored] ?? ch
        let meta = ImageInfo(format: .png, width: w, height: h, channels: storedChannels,
                             bitDepth: Int(info.bit_depth), colorSpace: colorSpaceName(info.color_type, trns: info.has_trns != 0),
                             orientation: nil, interlaced: info.interlaced != 0)
        var warnings: [String] = []
        if status.warning_count > 0 {
            warnings.append(withUnsafeBytes(of: status.warning) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
        }
        return DecodedImage(image: image, info: meta, warnings: warnings)
    }

    static func encode(_ image: Image, compressionLevel: Int) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var status = vg_png_status()
        let rc: Int32
        switch image.samples {
        case .uint8(let p):
            rc = p.withUnsafeBufferPointer {
                vg_png_encode($0.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels), 8,
                              Int32(compressionLevel), &out, &size, &status)
            }
        case .uint16(let p):
            rc = p.withUnsafeBytes {
                vg_png_encode($0.bindMemory(to: UInt8.self).baseAddress, UInt32(image.width), UInt32(image.height),
                              Int32(image.channels), 16, Int32(compressionLevel), &out, &size, &status)
            }
        }
        guard rc == 0, let buffer = out else { throw error(from: status) }
        defer { vg_png_free(buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: size))
    }
}
