// Separable resampling with a triangle (bilinear) filter that widens when shrinking,
// so a downscale averages every source pixel under the output pixel instead of
// skipping pixels (the same definition PIL uses for its BILINEAR resize).
//
// Layouts: the source is HWC (interleaved); the vertical pass writes a float
// (outH, srcW, C) buffer; the horizontal pass writes either HWC or CHW.

/// Per-output-pixel filter taps along one axis: output i reads `count[i]` source
/// samples from `start[i]` with `weights[i * taps ..< i * taps + count[i]]` (sum 1).
struct ResampleAxis {
    var start: [Int]
    var count: [Int]
    var weights: [Float]
    var taps: Int

    init(from inSize: Int, to outSize: Int) {
        precondition(inSize > 0 && outSize > 0)
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filterScale  // triangle support 1, widened when shrinking
        taps = Int(support.rounded(.up)) * 2 + 1
        start = [Int](repeating: 0, count: outSize)
        count = [Int](repeating: 0, count: outSize)
        weights = [Float](repeating: 0, count: outSize * taps)
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int((center - support + 0.5).rounded(.down)))
            let hi = max(min(inSize, Int((center + support + 0.5).rounded(.down))), lo + 1)
            // Keep only taps with positive weight; weights sum to 1.
            var first = -1, n = 0
            var total = 0.0
            for j in lo..<hi {
                let w = max(0, 1 - abs((Double(j) + 0.5 - center) / filterScale))
                if w > 0 {
                    if first < 0 { first = j }
                    weights[i * taps + n] = Float(w)
                    n += 1
                    total += w
                }
            }
            if n == 0 {
                first = min(lo, inSize - 1)
                weights[i * taps] = 1
                n = 1
                total = 1
            }
            start[i] = first
            count[i] = n
            for k in 0..<n { weights[i * taps + k] = Float(Double(weights[i * taps + k]) / total) }
        }
    }

    /// The taps of outputs `first ..< first + n` only (a crop of the resampled axis).
    func window(_ first: Int, _ n: Int) -> ResampleAxis {
        var w = self
        w.start = Array(start[first..<(first + n)])
        w.count = Array(count[first..<(first + n)])
        w.weights = Array(weights[(first * taps)..<((first + n) * taps)])
        return w
    }
}

extension Image {
    /// The image resampled to `width` × `height` (bilinear, antialiased when shrinking),
    /// keeping its channel count and bit depth.
    public func resized(width ow: Int, height oh: Int) -> Image {
        let ch = channels
        var tmp = [Float](repeating: 0, count: ow * oh * ch)
        tmp.withUnsafeMutableBufferPointer { out in
            resample(width: ow, height: oh, into: out.baseAddress!, planar: false, scale: [Float](repeating: 1, count: ch),
                     bias: [Float](repeating: 0, count: ch))
        }
        let maxV = Float(maxValue)
        // Values are clamped to [0, max] first, so adding ½ and truncating rounds them.
        if bitDepth == 16 {
            return Image(width: ow, height: oh, channels: ch, pixels16: tmp.map { UInt16(min(max($0, 0), maxV) + 0.5) })
        }
        return Image(width: ow, height: oh, channels: ch, pixels8: tmp.map { UInt8(min(max($0, 0), maxV) + 0.5) })
    }

    /// Resamples straight into a planar float tensor `(C, height, width)` holding
    /// `(v / max − mean[c]) / std[c]`; the usual last step before a network.
    /// `mean` / `std` take one value per channel, or are empty for plain [0, 1].
    public func resizedFloatCHW(width ow: Int, height oh: Int, mean: [Float] = [], std: [Float] = []) -> [Float] {
        var out = [Float](repeating: 0, count: ow * oh * channels)
        out.withUnsafeMutableBufferPointer { resizeFloatCHW(width: ow, height: oh, mean: mean, std: std, into: $0) }
        return out
    }

    /// As `resizedFloatCHW`, writing into caller-owned memory (`channels × height × width` floats).
    public func resizeFloatCHW(width ow: Int, height oh: Int, mean: [Float], std: [Float], into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= ow * oh * channels, "output buffer too small")
        let (scale, bias) = normalisation(mean: mean, std: std)
        resample(width: ow, height: oh, into: out.baseAddress!, planar: true, scale: scale, bias: bias)
    }

    /// Per-channel (scale, bias) so that v × scale + bias = (v / max − mean) / std.
    func normalisation(mean: [Float], std: [Float]) -> (scale: [Float], bias: [Float]) {
        precondition(mean.isEmpty || mean.count == channels, "mean needs one value per channel")
        precondition(std.isEmpty || std.count == channels, "std needs one value per channel")
        let inv = 1 / Float(maxValue)
        var scale = [Float](repeating: inv, count: channels), bias = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            let s = std.isEmpty ? 1 : std[c]
            scale[c] = inv / s
            bias[c] = -(mean.isEmpty ? 0 : mean[c]) / s
        }
        return (scale, bias)
    }

    /// As `resizeFloatCHW`, in interleaved `(height, width, C)` layout: one image of an NHWC batch.
    public func resizeFloatHWC(width ow: Int, height oh: Int, mean: [Float], std: [Float], into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= ow * oh * channels, "output buffer too small")
        let (scale, bias) = normalisation(mean: mean, std: std)
        resample(width: ow, height: oh, into: out.baseAddress!, planar: false, scale: scale, bias: bias)
    }

    /// The rectangle `(x, y, width, height)` of this image, copied.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> Image {
        precondition(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= width && y + h <= height, "crop outside the image")
        let ch = channels
        func cut<T>(_ p: [T]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(w * h * ch)
            for row in y..<(y + h) { out += p[((row * width + x) * ch)..<((row * width + x + w) * ch)] }
            return out
        }
        switch samples {
        case .uint8(let p): return Image(width: w, height: h, channels: ch, pixels8: cut(p))
        case .uint16(let p): return Image(width: w, height: h, channels: ch, pixels16: cut(p))
        }
    }

    /// Core: out = resample(image) × scale[c] + bias[c], HWC or CHW.
    ///
    /// The vertical pass runs first: each output row is a weighted sum of whole source
    /// rows, contiguous loops the compiler vectorises. The horizontal pass then works on
    /// only `height` rows instead of the source's.
    func resample(width ow: Int, height oh: Int, into out: UnsafeMutablePointer<Float>, planar: Bool,
                  scale: [Float], bias: [Float]) {
        precondition(ow > 0 && oh > 0, "output size must be positive")
        resample(hx: ResampleAxis(from: width, to: ow), vy: ResampleAxis(from: height, to: oh), into: out, planar: planar,
                 scale: scale, bias: bias)
    }

    /// Resamples to `resizedWidth` × `resizedHeight` but computes only the window of `width` × `height`
    /// output pixels starting at (`left`, `top`): a resize followed by a crop, without the pixels
    /// the crop throws away. Writes normalised floats, interleaved `(height, width, C)`.
    public func resizeCropFloatHWC(resizedWidth rw: Int, resizedHeight rh: Int, left: Int, top: Int, width ow: Int, height oh: Int,
                                   mean: [Float], std: [Float], into out: UnsafeMutableBufferPointer<Float>) {
        precondition(left >= 0 && top >= 0 && ow > 0 && oh > 0 && left + ow <= rw && top + oh <= rh, "crop window outside the resized image")
        precondition(out.count >= ow * oh * channels, "output buffer too small")
        let (scale, bias) = normalisation(mean: mean, std: std)
        let hx = ResampleAxis(from: width, to: rw).window(left, ow)
        let vy = ResampleAxis(from: height, to: rh).window(top, oh)
        resample(hx: hx, vy: vy, into: out.baseAddress!, planar: false, scale: scale, bias: bias)
    }

    func resample(hx: ResampleAxis, vy: ResampleAxis, into out: UnsafeMutablePointer<Float>, planar: Bool,
                  scale: [Float], bias: [Float]) {
        let ch = channels, iw = width
        let ow = hx.start.count, oh = vy.start.count
        let rowLen = iw * ch
        // Vertical pass: (ih, iw, ch) → (oh, iw, ch) floats.
        let mid = UnsafeMutableBufferPointer<Float>.allocate(capacity: oh * rowLen)  // fully written below
        defer { mid.deallocate() }
        do {
            let m = mid
            switch samples {
            case .uint8(let p): p.withUnsafeBufferPointer { vertical($0.baseAddress!, m.baseAddress!, vy, rowLen: rowLen, oh: oh) }
            case .uint16(let p): p.withUnsafeBufferPointer { vertical($0.baseAddress!, m.baseAddress!, vy, rowLen: rowLen, oh: oh) }
            }
            // Horizontal pass with the affine map and the output layout fused in.
            hx.weights.withUnsafeBufferPointer { wts in
                scale.withUnsafeBufferPointer { sc in
                    bias.withUnsafeBufferPointer { bc in
                        let xStride = planar ? 1 : ch, cStride = planar ? ow * oh : 1, yStride = planar ? ow : ow * ch
                        for y in 0..<oh {
                            let row = m.baseAddress! + y * rowLen
                            let dst = out + y * yStride
                            for x in 0..<ow {
                                let s0 = hx.start[x], n = hx.count[x]
                                let w = wts.baseAddress! + x * hx.taps
                                if ch == 3 {
                                    var r: Float = 0, g: Float = 0, b: Float = 0
                                    var p = row + s0 * 3
                                    for k in 0..<n {
                                        let wk = w[k]
                                        r += p[0] * wk; g += p[1] * wk; b += p[2] * wk
                                        p += 3
                                    }
                                    let d = dst + x * xStride
                                    d[0] = r * sc[0] + bc[0]
                                    d[cStride] = g * sc[1] + bc[1]
                                    d[2 * cStride] = b * sc[2] + bc[2]
                                } else {
                                    for c in 0..<ch {
                                        var acc: Float = 0
                                        for k in 0..<n { acc += row[(s0 + k) * ch + c] * w[k] }
                                        dst[x * xStride + c * cStride] = acc * sc[c] + bc[c]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Vertical pass: each output row is Σ_k w_k · source row (start + k). Eight output
/// samples are accumulated in registers across all taps, then stored once.
@inline(__always)
private func vertical<T: FixedWidthInteger & UnsignedInteger>(_ src: UnsafePointer<T>, _ mid: UnsafeMutablePointer<Float>,
                                                              _ ax: ResampleAxis, rowLen: Int, oh: Int) {
    ax.weights.withUnsafeBufferPointer { wts in
        for y in 0..<oh {
            let s0 = ax.start[y], n = ax.count[y]
            let w = wts.baseAddress! + y * ax.taps
            let a = mid + y * rowLen
            let base = src + s0 * rowLen
            var i = 0
            while i + 8 <= rowLen {
                var acc = SIMD8<Float>(repeating: 0)
                for k in 0..<n {
                    let p = base + k * rowLen + i
                    let v = SIMD8<Float>(Float(p[0]), Float(p[1]), Float(p[2]), Float(p[3]),
                                         Float(p[4]), Float(p[5]), Float(p[6]), Float(p[7]))
                    acc += v * w[k]
                }
                UnsafeMutableRawPointer(a + i).storeBytes(of: acc, as: SIMD8<Float>.self)
                i += 8
            }
            while i < rowLen {
                var acc: Float = 0
                for k in 0..<n { acc += Float(base[k * rowLen + i]) * w[k] }
                a[i] = acc
                i += 1
            }
        }
    }
}
