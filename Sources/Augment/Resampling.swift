import ImageIO

/// Crop and antialiased resize for float images (the resize goes through ImageIO's
/// resampler at 16 bits, which keeps 1/65535 precision).
enum Resampling {
    static func crop(_ img: FloatImage, x: Int, y: Int, width w: Int, height h: Int) -> FloatImage {
        var out = FloatImage(width: w, height: h, channels: img.channels)
        for row in 0..<h {
            let src = ((y + row) * img.width + x) * img.channels
            for i in 0..<(w * img.channels) { out.data[row * w * img.channels + i] = img.data[src + i] }
        }
        return out
    }

    static func resize(_ img: FloatImage, width w: Int, height h: Int) -> FloatImage {
        if w == img.width && h == img.height { return img }
        let wide = Image(width: img.width, height: img.height, channels: img.channels,
                         pixels16: img.data.map { UInt16((min(max($0, 0), 1) * 65535).rounded()) })
        var out = FloatImage(width: w, height: h, channels: img.channels)
        out.data.withUnsafeMutableBufferPointer { wide.resizeFloatHWC(width: w, height: h, mean: [], std: [], into: $0) }
        return out
    }
}
