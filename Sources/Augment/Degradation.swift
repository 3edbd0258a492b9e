import ImageIO
import TensorCore

/// Sensor and transmission damage.
enum Degradation {
    static func gaussianNoise(_ img: FloatImage, std: Float, rng: inout SeededRNG) -> FloatImage {
        var out = img
        out.data.withUnsafeMutableBufferPointer { o in
            rng.fillNormal(o)
            img.data.withUnsafeBufferPointer { s in for i in 0..<o.count { o[i] = min(max(s[i] + o[i] * std, 0), 1) } }
        }
        return out
    }

    /// Each pixel (all channels) becomes black or white with probability `amount`.
    static func saltAndPepper(_ img: FloatImage, amount: Double, rng: inout SeededRNG) -> FloatImage {
        var out = img
        for i in 0..<(img.width * img.height) where Double(rng.unit()) < amount {
            let v: Float = rng.unit() < 0.5 ? 0 : 1
            for c in 0..<img.channels { out.data[i * img.channels + c] = v }
        }
        return out
    }

    /// Re-encodes through libjpeg at `quality` and decodes again.
    static func jpeg(_ img: FloatImage, quality: Int) -> FloatImage {
        guard let bytes = try? ImageCodec.encodeJPEG(img.toImage(), quality: quality),
              let back = try? ImageCodec.decode(bytes) else { return img }
        return FloatImage(back.image)
    }

    /// `count` squares of side `size` × the shorter side, filled with mid-gray (random erasing).
    static func cutout(_ img: FloatImage, count: Int, size: Double, rng: inout SeededRNG) -> FloatImage {
        var out = img
        let s = max(1, Int(size * Double(min(img.width, img.height))))
        for _ in 0..<count {
            let x0 = Int(rng.next() % UInt64(img.width)) - s / 2, y0 = Int(rng.next() % UInt64(img.height)) - s / 2
            for y in max(0, y0)..<min(img.height, y0 + s) { for x in max(0, x0)..<min(img.width, x0 + s) {
                for c in 0..<img.channels { out[x, y, c] = 0.5 }
            } }
        }
        return out
    }
}
