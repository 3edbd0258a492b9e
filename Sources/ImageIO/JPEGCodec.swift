import CJPEG

/// JPEG decode and encode through libjpeg-turbo (via the setjmp shim in CJPEG).
enum JPEGCodec {
    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    static func error(from status: vg_jpeg_status, info: vg_jpeg_info) -> ImageError {
        let message = string(status.message)
        switch status.code {
        case Int32(VG_JPEG_TRUNCATED): return .truncated
        case Int32(VG_JPEG_UNSUPPORTED): return .unsupported(message)
        case Int32(VG_JPEG_TOO_LARGE): return .tooLarge(width: Int(info.width), height: Int(info.height))
        case Int32(VG_JPEG_NO_MEMORY): return .unsupported("out of memory: \(message)")
        default: return .corrupt(message)
        }
    }

    static func colorSpaceName(_ cs: Int32) -> String {
        switch cs {
        case Int32(VG_JPEG_CS_GRAY): return "gray"
        case Int32(VG_JPEG_CS_RGB): return "rgb"
        case Int32(VG_JPEG_CS_CMYK): return "cmyk"
        case Int32(VG_JPEG_CS_YCCK): return "ycck"
        default: return "ycbcr"
        }
    }

    /// The smallest libjpeg scale 1/d (d ∈ 8, 4, 2) whose output still covers `target`.
    static func scaleDenominator(width: Int, height: Int, target: (width: Int, height: Int)?) -> Int32 {
        guard let t = target, t.width > 0, t.height > 0 else { return 1 }
        for d in [8, 4, 2] {
            // libjpeg rounds scaled sizes up.
            let sw = (width + d - 1) / d, sh = (height + d - 1) / d
            if sw >= t.width && sh >= t.height { return Int32(d) }
        }
        return 1
    }

    /// Width and height as the decoded image will have them (EXIF orientation applied when
    /// `applyOrientation`), from the headers alone.
    static func size(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws -> (width: Int, height: Int) {
        var info = vg_jpeg_info()
        var status = vg_jpeg_status()
        if vg_jpeg_probe(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, 1, options.maxPixels, &info, &status) != 0 {
            throw error(from: status, info: info)
        }
        let o = options.applyOrientation ? (JPEGMarkers.scan(bytes).orientation ?? 1) : 1
        return o >= 5 ? (Int(info.height), Int(info.width)) : (Int(info.width), Int(info.height))
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, options: DecodeOptions) throws -> DecodedImage {
        let base = bytes.bindMemory(to: UInt8.self).baseAddress
        var info = vg_jpeg_info()
        var status = vg_jpeg_status()
        if vg_jpeg_probe(base, bytes.count, 1, options.maxPixels, &info, &status) != 0 {
            throw error(from: status, info: info)
        }
        let markers = JPEGMarkers.scan(bytes)
        let orientation = markers.orientation
        let applying = options.applyOrientation ? (orientation ?? 1) : 1
        var target = options.targetSize
        if let t = target, applying >= 5 { target = (t.height, t.width) }  // rotated by 90°: swap
        if target == nil, let s = options.minimumShorterSide {
            // Orientation only swaps the sides, so the shorter side is the same either way.
            target = Int(info.width) <= Int(info.height) ? (s, 1) : (1, s)
        }
        let denom = scaleDenominator(width: Int(info.width), height: Int(info.height), target: target)
        // libjpeg's scaled size is ceil(size / denom); the output channel count follows the
        // colour space (gray 1, CMYK/YCCK 4, else RGB 3). No second header parse needed.
        let d = Int(denom)
        let w = (Int(info.width) + d - 1) / d, h = (Int(info.height) + d - 1) / d
        let ch = info.color_space == Int32(VG_JPEG_CS_GRAY) ? 1 : (info.components == 4 ? 4 : 3)
        var rc: Int32 = 0
        // Every byte is written by the decoder (a lenient decode of a short file included),
        // so the buffer starts uninitialised instead of zero-filled.
        let px = [UInt8](unsafeUninitializedCapacity: w * h * ch) { buf, count in
            rc = vg_jpeg_decode(base, bytes.count, denom, options.maxPixels, options.lenient ? 1 : 0,
                                options.fastDCT ? 1 : 0, buf.baseAddress, buf.count, &info, &status)
            count = rc == 0 ? buf.count : 0
        }
        if rc != 0 { throw error(from: status, info: info) }
        precondition(Int(info.out_width) == w && Int(info.out_height) == h && Int(info.out_components) == ch,
                     "libjpeg output layout differs from the computed one")
        var image: Image
        if ch == 4 {
            // libjpeg returns CMYK as stored. Files with an Adobe marker (Photoshop and
            // nearly every other writer) store inverted CMYK; plain CMYK is not inverted.
            image = cmykToRGB(px, width: w, height: h, inverted: info.adobe_marker != 0)
        } else {
            image = Image(width: w, height: h, channels: ch, pixels8: px)
        }
        if applying != 1 { image = image.oriented(applying) }
        var warnings: [String] = []
        if status.warning_count > 0 { warnings.append(string(status.warning)) }
        let meta = ImageInfo(format: .jpeg, width: Int(info.width), height: Int(info.height),
                             channels: Int(info.components), bitDepth: 8,
                             colorSpace: colorSpaceName(info.color_space), orientation: orientation,
                             interlaced: info.progressive != 0)
        return DecodedImage(image: image, info: meta, warnings: warnings)
    }

    /// CMYK → RGB with R = (1 − C)(1 − K) and so on. Inverted data already holds 1 − C, 1 − K.
    static func cmykToRGB(_ px: [UInt8], width: Int, height: Int, inverted: Bool) -> Image {
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * 3)
        px.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for i in 0..<n {
                    var c = UInt32(s[4 * i]), m = UInt32(s[4 * i + 1]), y = UInt32(s[4 * i + 2]), k = UInt32(s[4 * i + 3])
                    if !inverted { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k }
                    d[3 * i] = UInt8((c * k + 127) / 255)
                    d[3 * i + 1] = UInt8((m * k + 127) / 255)
                    d[3 * i + 2] = UInt8((y * k + 127) / 255)
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels8: out)
    }

    static func encode(_ image: Image, quality: Int, progressive: Bool, chroma444: Bool, exifOrientation: Int?) throws -> [UInt8] {
        let src = image.channels == 1 || image.channels == 3 ? image.to8Bit() : image.toRGB8()
        let app1 = exifOrientation.map { EXIF.orientationSegment($0) } ?? []
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        var status = vg_jpeg_status()
        let rc = src.pixels8.withUnsafeBufferPointer { p in
            app1.withUnsafeBufferPointer { a in
                var outSize = 0
                let r = vg_jpeg_encode(p.baseAddress, UInt32(src.width), UInt32(src.height), Int32(src.channels),
                                       Int32(quality), progressive ? 1 : 0, chroma444 ? 1 : 0,
                                       a.baseAddress, a.count, &out, &outSize, &status)
                size = UInt(outSize)
                return r
            }
        }
        guard rc == 0, let buffer = out else { throw error(from: status, info: vg_jpeg_info()) }
        defer { vg_jpeg_free(buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }
}
