extension Image {
    /// The image as a viewer shows it when the file carries EXIF orientation `o` (1–8).
    ///
    /// For output pixel (x, y), the source pixel is:
    /// 1 (x, y) · 2 mirror (w−1−x, y) · 3 rotate 180° (w−1−x, h−1−y) · 4 flip (x, h−1−y) ·
    /// 5 transpose (y, x) · 6 rotate 90° clockwise (y, h−1−x) · 7 transverse (w−1−y, h−1−x) ·
    /// 8 rotate 90° counter-clockwise (w−1−y, x). Orientations 5–8 swap width and height.
    public func oriented(_ o: Int) -> Image {
        precondition((1...8).contains(o), "EXIF orientation is 1–8")
        if o == 1 { return self }
        let w = width, h = height, ch = channels
        let swaps = o >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        func source(_ x: Int, _ y: Int) -> Int {
            let (sx, sy): (Int, Int)
            switch o {
            case 2: (sx, sy) = (w - 1 - x, y)
            case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
            case 4: (sx, sy) = (x, h - 1 - y)
            case 5: (sx, sy) = (y, x)
            case 6: (sx, sy) = (y, h - 1 - x)
            case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
            default: (sx, sy) = (w - 1 - y, x)
            }
            return (sy * w + sx) * ch
        }
        func remap<T>(_ src: [T], zero: T) -> [T] {
            var out = [T](repeating: zero, count: src.count)
            src.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { d in
                    var k = 0
                    for y in 0..<oh {
                        for x in 0..<ow {
                            let i = source(x, y)
                            for c in 0..<ch { d[k + c] = s[i + c] }
                            k += ch
                        }
                    }
                }
            }
            return out
        }
        switch samples {
        case .uint8(let p): return Image(width: ow, height: oh, channels: ch, pixels8: remap(p, zero: 0))
        case .uint16(let p): return Image(width: ow, height: oh, channels: ch, pixels16: remap(p, zero: 0))
        }
    }
}
