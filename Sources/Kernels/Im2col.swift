import TensorCore

/// im2col for one NHWC image: input `(H, W, C)` with row stride `inC` (all channels), of
/// which channels `c0 ..< c0 + cg` are taken. Output `cols` is `(OH·OW, KH·KW·cg)`, row-major,
/// so row `p` holds output pixel p's receptive field in (kh, kw, c) order — the same
/// order as the weight layout `(Cout, KH, KW, Cin/groups)`. Padding reads as zero.
public func im2col(_ x: UnsafePointer<Float>, inC: Int, c0: Int, cg: Int, geometry g: ConvGeometry,
                   cols: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW
    let rowLen = g.kernelH * g.kernelW * cg
    let contiguous = cg == inC && g.dilationW == 1
    for oy in 0..<oh {
        for ox in 0..<ow {
            var dst = cols + (oy * ow + ox) * rowLen
            let iy0 = oy * g.strideH - g.padTop, ix0 = ox * g.strideW - g.padLeft
            for ky in 0..<g.kernelH {
                let iy = iy0 + ky * g.dilationH
                if iy < 0 || iy >= g.inH {
                    dst.update(repeating: 0, count: g.kernelW * cg)
                    dst += g.kernelW * cg
                    continue
                }
                let row = x + iy * g.inW * inC + c0
                if contiguous && ix0 >= 0 && ix0 + g.kernelW <= g.inW {
                    // All channels in use and the whole kernel row inside: one copy of KW·C floats.
                    copy(row + ix0 * inC, dst, g.kernelW * cg)
                    dst += g.kernelW * cg
                    continue
                }
                for kx in 0..<g.kernelW {
                    let ix = ix0 + kx * g.dilationW
                    if ix < 0 || ix >= g.inW {
                        dst.update(repeating: 0, count: cg)
                    } else {
                        copy(row + ix * inC, dst, cg)
                    }
                    dst += cg
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds each column entry back onto the input position it was
/// read from (`dx` must be zeroed by the caller if it should not accumulate).
public func col2im(_ cols: UnsafePointer<Float>, inC: Int, c0: Int, cg: Int, geometry g: ConvGeometry,
                   dx: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW
    let rowLen = g.kernelH * g.kernelW * cg
    let contiguous = cg == inC && g.dilationW == 1
    for oy in 0..<oh {
        for ox in 0..<ow {
            var src = cols + (oy * ow + ox) * rowLen
            let iy0 = oy * g.strideH - g.padTop, ix0 = ox * g.strideW - g.padLeft
            for ky in 0..<g.kernelH {
                let iy = iy0 + ky * g.dilationH
                if iy < 0 || iy >= g.inH { src += g.kernelW * cg; continue }
                let row = dx + iy * g.inW * inC + c0
                if contiguous && ix0 >= 0 && ix0 + g.kernelW <= g.inW {
                    let d = row + ix0 * inC
                    for i in 0..<(g.kernelW * cg) { d[i] += src[i] }
                    src += g.kernelW * cg
                    continue
                }
                for kx in 0..<g.kernelW {
                    let ix = ix0 + kx * g.dilationW
                    if ix >= 0 && ix < g.inW {
                        let d = row + ix * inC
                        for c in 0..<cg { d[c] += src[c] }
                    }
                    src += cg
                }
            }
        }
    }
}

/// Copies n floats; short runs (the stem's 3-channel pixels) are cheaper inline than a memmove call.
@inline(__always)
private func copy(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    if n <= 32 {
        for i in 0..<n { dst[i] = src[i] }
    } else {
        dst.update(from: src, count: n)
    }
}
