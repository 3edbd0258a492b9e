// Channel-count and sample-type conversions. Alpha is dropped, not composited:
// the networks downstream see colour only.

extension Image {
    /// The same pixels as 8-bit RGB. Gray is replicated, alpha dropped, 16-bit scaled to 8.
    public func toRGB8() -> Image {
        let src = pixels8
        if channels == 3 { return Image(width: width, height: height, channels: 3, pixels8: src) }
        let n = pixelCount
        var out = [UInt8](repeating: 0, count: n * 3)
        let ch = channels
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for i in 0..<n {
                    if ch <= 2 {
                        let g = s[i * ch]
                        d[i * 3] = g; d[i * 3 + 1] = g; d[i * 3 + 2] = g
                    } else {
                        d[i * 3] = s[i * ch]; d[i * 3 + 1] = s[i * ch + 1]; d[i * 3 + 2] = s[i * ch + 2]
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels8: out)
    }

    /// The same pixels as 8-bit gray, using ITU-R BT.601 luma weights
    /// (0.299 R + 0.587 G + 0.114 B, rounded). Alpha is dropped.
    public func toGray8() -> Image {
        let src = pixels8
        let n = pixelCount
        let ch = channels
        var out = [UInt8](repeating: 0, count: n)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for i in 0..<n {
                    if ch <= 2 {
                        d[i] = s[i * ch]
                    } else {
                        let r = UInt32(s[i * ch]), g = UInt32(s[i * ch + 1]), b = UInt32(s[i * ch + 2])
                        d[i] = UInt8((r * 299 + g * 587 + b * 114 + 500) / 1000)
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 1, pixels8: out)
    }

    /// Samples as Float in [0, 1], interleaved (HWC) like the image itself.
    public func toFloat() -> [Float] {
        let scale = 1 / Float(maxValue)
        switch samples {
        case .uint8(let p): return p.map { Float($0) * scale }
        case .uint16(let p): return p.map { Float($0) * scale }
        }
    }

    /// Samples as Float in planar layout `(C, H, W)`, each value `(v / max − mean[c]) / std[c]`.
    /// `mean` and `std` need one entry per channel; pass empty arrays for plain [0, 1] values.
    public func toFloatCHW(mean: [Float] = [], std: [Float] = []) -> [Float] {
        precondition(mean.isEmpty || mean.count == channels, "mean needs one value per channel")
        precondition(std.isEmpty || std.count == channels, "std needs one value per channel")
        let hw = pixelCount
        let ch = channels
        var out = [Float](repeating: 0, count: hw * ch)
        let inv = 1 / Float(maxValue)
        var a = [Float](repeating: inv, count: ch), b = [Float](repeating: 0, count: ch)
        for c in 0..<ch {
            let m = mean.isEmpty ? 0 : mean[c]
            let s = std.isEmpty ? 1 : std[c]
            a[c] = inv / s
            b[c] = -m / s
        }
        out.withUnsafeMutableBufferPointer { d in
            func fill<T: BinaryInteger>(_ s: UnsafeBufferPointer<T>) {
                for c in 0..<ch {
                    let ac = a[c], bc = b[c]
                    let plane = d.baseAddress! + c * hw
                    for i in 0..<hw { plane[i] = Float(s[i * ch + c]) * ac + bc }
                }
            }
            switch samples {
            case .uint8(let p): p.withUnsafeBufferPointer { fill($0) }
            case .uint16(let p): p.withUnsafeBufferPointer { fill($0) }
            }
        }
        return out
    }

    /// The image with 8-bit samples (16-bit scaled with rounding).
    public func to8Bit() -> Image {
        bitDepth == 8 ? self : Image(width: width, height: height, channels: channels, pixels8: pixels8)
    }
}
