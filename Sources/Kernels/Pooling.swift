import CKernels
import TensorCore

/// Max and average pooling over NHWC data, forward and backward.
public enum Pooling {
    /// y = max over each window; `argmax` records the input offset (within the batch) of
    /// each maximum for the backward pass. Padding never wins.
    public static func maxForward(_ x: UnsafePointer<Float>, batch: Int, channels c: Int, geometry g: ConvGeometry,
                                  y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>, context: Context) {
        precondition(batch * g.inH * g.inW * c < Int(Int32.max), "max pooling: input too large for 32-bit arg-max offsets")
        var win = vigil_window(g, channels: c)
        withUnsafePointer(to: &win) { wp in
            context.parallelFor(batch * g.outH) { row in vigil_maxpool_argmax_rows(x, wp, y, argmax, Int32(row), Int32(row + 1)) }
        }
    }

    /// The naive reference of `maxForward`, for the tests.
    static func maxForwardReference(_ x: UnsafePointer<Float>, batch: Int, channels c: Int, geometry g: ConvGeometry,
                                    y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        let oh = g.outH, ow = g.outW
        for row in 0..<(batch * oh) {
            let n = row / oh, oy = row % oh
            for ox in 0..<ow {
                let o = ((n * oh + oy) * ow + ox) * c
                for ch in 0..<c { y[o + ch] = -.infinity; argmax[o + ch] = -1 }
                for ky in 0..<g.kernelH {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    if iy < 0 || iy >= g.inH { continue }
                    for kx in 0..<g.kernelW {
                        let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                        if ix < 0 || ix >= g.inW { continue }
                        let i = ((n * g.inH + iy) * g.inW + ix) * c
                        for ch in 0..<c where x[i + ch] > y[o + ch] || argmax[o + ch] < 0 {
                            y[o + ch] = x[i + ch]
                            argmax[o + ch] = Int32(i + ch)
                        }
                    }
                }
            }
        }
    }

    /// y = max over each window, for inference: no arg-max, vectorised over channels
    /// (CKernels). Same values as `maxForward`.
    public static func maxForwardInference(_ x: UnsafePointer<Float>, batch: Int, channels c: Int, geometry g: ConvGeometry,
                                           y: UnsafeMutablePointer<Float>, context: Context) {
        var win = vigil_window(g, channels: c)
        withUnsafePointer(to: &win) { wp in
            context.parallelFor(batch * g.outH) { row in vigil_maxpool_rows(x, wp, y, Int32(row), Int32(row + 1)) }
        }
    }

    /// dx (overwritten) routes each output gradient to its window's maximum.
    public static func maxBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, outCount: Int,
                                   dx: UnsafeMutablePointer<Float>, inCount: Int) {
        dx.update(repeating: 0, count: inCount)
        for o in 0..<outCount where argmax[o] >= 0 { dx[Int(argmax[o])] += dy[o] }
    }

    /// Number of window positions that lie inside the input (for count_include_pad = false).
    static func validCount(_ g: ConvGeometry, _ oy: Int, _ ox: Int) -> Int {
        var n = 0
        for ky in 0..<g.kernelH {
            let iy = oy * g.strideH - g.padTop + ky * g.dilationH
            if iy < 0 || iy >= g.inH { continue }
            for kx in 0..<g.kernelW {
                let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                if ix >= 0 && ix < g.inW { n += 1 }
            }
        }
        return n
    }

    /// y = mean over each window. With `countPadding` the divisor is KH·KW (PyTorch's default
    /// count_include_pad=True), else the number of in-bounds positions.
    public static func averageForward(_ x: UnsafePointer<Float>, batch: Int, channels c: Int, geometry g: ConvGeometry,
                                      countPadding: Bool, y: UnsafeMutablePointer<Float>, context: Context) {
        let oh = g.outH, ow = g.outW
        context.parallelFor(batch * oh) { row in
            let n = row / oh, oy = row % oh
            for ox in 0..<ow {
                let o = y + ((n * oh + oy) * ow + ox) * c
                o.update(repeating: 0, count: c)
                let div = countPadding ? g.kernelH * g.kernelW : max(1, validCount(g, oy, ox))
                for ky in 0..<g.kernelH {
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                    if iy < 0 || iy >= g.inH { continue }
                    for kx in 0..<g.kernelW {
                        let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                        if ix < 0 || ix >= g.inW { continue }
                        let s = x + ((n * g.inH + iy) * g.inW + ix) * c
                        for ch in 0..<c { o[ch] += s[ch] }
                    }
                }
                let inv = 1 / Float(div)
                for ch in 0..<c { o[ch] *= inv }
            }
        }
    }

    public static func averageBackward(_ dy: UnsafePointer<Float>, batch: Int, channels c: Int, geometry g: ConvGeometry,
                                       countPadding: Bool, dx: UnsafeMutablePointer<Float>, context: Context) {
        let oh = g.outH, ow = g.outW
        dx.update(repeating: 0, count: batch * g.inH * g.inW * c)
        context.parallelFor(batch) { n in
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let d = dy + ((n * oh + oy) * ow + ox) * c
                    let inv = 1 / Float(countPadding ? g.kernelH * g.kernelW : max(1, validCount(g, oy, ox)))
                    for ky in 0..<g.kernelH {
                        let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                        if iy < 0 || iy >= g.inH { continue }
                        for kx in 0..<g.kernelW {
                            let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                            if ix < 0 || ix >= g.inW { continue }
                            let s = dx + ((n * g.inH + iy) * g.inW + ix) * c
                            for ch in 0..<c { s[ch] += d[ch] * inv }
                        }
                    }
                }
            }
        }
    }
}
