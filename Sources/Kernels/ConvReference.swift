/// Naive 7-loop convolution references (NHWC, weight `(Cout, KH, KW, Cin/groups)`), in Double.
/// They exist to check the fast kernels; nothing else should call them.
public enum ConvReference {
    static func loop(_ k: Conv2dKernel, _ body: (_ n: Int, _ oy: Int, _ ox: Int, _ co: Int, _ xi: Int, _ wi: Int) -> Void) {
        let g = k.geometry
        for n in 0..<k.batch {
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    for co in 0..<k.outC {
                        let grp = co / k.og
                        for ky in 0..<g.kernelH {
                            for kx in 0..<g.kernelW {
                                let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                                let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                                if iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW { continue }
                                for ci in 0..<k.cg {
                                    let xi = ((n * g.inH + iy) * g.inW + ix) * k.inC + grp * k.cg + ci
                                    let wi = ((co * g.kernelH + ky) * g.kernelW + kx) * k.cg + ci
                                    body(n, oy, ox, co, xi, wi)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public static func forward(_ k: Conv2dKernel, x: [Float], w: [Float], bias: [Float]?) -> [Float] {
        let g = k.geometry
        var y = [Double](repeating: 0, count: k.batch * g.outH * g.outW * k.outC)
        loop(k) { n, oy, ox, co, xi, wi in
            y[((n * g.outH + oy) * g.outW + ox) * k.outC + co] += Double(x[xi]) * Double(w[wi])
        }
        if let bias { for i in 0..<y.count { y[i] += Double(bias[i % k.outC]) } }
        return y.map { Float($0) }
    }

    /// (dx, dw, db) for upstream gradient dy.
    public static func backward(_ k: Conv2dKernel, x: [Float], w: [Float], dy: [Float]) -> ([Float], [Float], [Float]) {
        let g = k.geometry
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        var db = [Double](repeating: 0, count: k.outC)
        loop(k) { n, oy, ox, co, xi, wi in
            let d = Double(dy[((n * g.outH + oy) * g.outW + ox) * k.outC + co])
            dx[xi] += d * Double(w[wi])
            dw[wi] += d * Double(x[xi])
        }
        for i in 0..<dy.count { db[i % k.outC] += Double(dy[i]) }
        return (dx.map { Float($0) }, dw.map { Float($0) }, db.map { Float($0) })
    }
}
