// vigil-bench conv: every convolution shape of ResNet-18 at 224×224, forward and backward,
// in GFLOP/s beside this machine's cblas_sgemm on a large square GEMM measured in the same run.
import Foundation
import Kernels
import TensorCore

struct ConvShape {
    var name: String
    var inHW: Int, cin: Int, cout: Int, k: Int, stride: Int
    var uses: Int  // how many times ResNet-18 runs this shape
}

let resnet18Shapes: [ConvShape] = [
    ConvShape(name: "conv1 7x7/2", inHW: 224, cin: 3, cout: 64, k: 7, stride: 2, uses: 1),
    ConvShape(name: "layer1 3x3", inHW: 56, cin: 64, cout: 64, k: 3, stride: 1, uses: 4),
    ConvShape(name: "layer2.0.conv1 3x3/2", inHW: 56, cin: 64, cout: 128, k: 3, stride: 2, uses: 1),
    ConvShape(name: "layer2 3x3", inHW: 28, cin: 128, cout: 128, k: 3, stride: 1, uses: 3),
    ConvShape(name: "layer2.0.downsample 1x1/2", inHW: 56, cin: 64, cout: 128, k: 1, stride: 2, uses: 1),
    ConvShape(name: "layer3.0.conv1 3x3/2", inHW: 28, cin: 128, cout: 256, k: 3, stride: 2, uses: 1),
    ConvShape(name: "layer3 3x3", inHW: 14, cin: 256, cout: 256, k: 3, stride: 1, uses: 3),
    ConvShape(name: "layer3.0.downsample 1x1/2", inHW: 28, cin: 128, cout: 256, k: 1, stride: 2, uses: 1),
    ConvShape(name: "layer4.0.conv1 3x3/2", inHW: 14, cin: 256, cout: 512, k: 3, stride: 2, uses: 1),
    ConvShape(name: "layer4 3x3", inHW: 7, cin: 512, cout: 512, k: 3, stride: 1, uses: 3),
    ConvShape(name: "layer4.0.downsample 1x1/2", inHW: 14, cin: 256, cout: 512, k: 1, stride: 2, uses: 1),
]

/// Median seconds of `body` over repetitions lasting at least `minTime` in total (≥ 3 runs).
func timeIt(minTime: Double = 0.6, _ body: () -> Void) -> Double {
    body()  // warm-up
    var times: [Double] = []
    let start = now()
    while times.count < 3 || (now() - start < minTime && times.count < 50) {
        let t0 = now()
        body()
        times.append(now() - t0)
    }
    return median(times)
}

func peakRSSMegabytes() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

func runConv(_ args: [String]) {
    var batch = 32
    var threadList = [1, 2]
    var only: String?
    var it = args.makeIterator()
    while let a = it.next() {
        switch a {
        case "--batch": batch = Int(it.next() ?? "") ?? batch
        case "--threads": threadList = (it.next() ?? "").split(separator: ",").compactMap { Int($0) }
        case "--only": only = it.next()
        default: print("unknown argument \(a)"); exit(64)
        }
    }
    print("vigil-bench conv: ResNet-18 convolutions, batch \(batch), NHWC, im2col + sgemm (\(blasConfig()))")
    for threads in threadList {
        let ctx = Context(threads: threads, seed: 1)
        // Same-run reference: a large square sgemm through the same OpenBLAS.
        let n = 2048
        var rng = SeededRNG(seed: 3)
        let a = Tensor.uniform([n * n], -1, 1, rng: &rng).data, b = Tensor.uniform([n * n], -1, 1, rng: &rng).data
        var c = [Float](repeating: 0, count: n * n)
        let tg = timeIt {
            c.withUnsafeMutableBufferPointer { gemm(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: $0.baseAddress!, ldc: n, context: ctx) }
        }
        let peak = 2 * Double(n * n * n) / tg / 1e9
        print(String(format: "\nthreads %d — sgemm %dx%dx%d: %.1f GFLOP/s (reference)", threads, n, n, n, peak))
        print("shape                          out        fwd ms  fwd GF/s  %sgemm   bwd ms  bwd GF/s  %sgemm")
        var totalF = 0.0, totalT = 0.0
        for s in resnet18Shapes where only == nil || s.name.contains(only!) {
            let pad = s.k / 2
            let g = ConvGeometry(inH: s.inHW, inW: s.inHW, kernel: (s.k, s.k), stride: (s.stride, s.stride), padding: (pad, pad, pad, pad))
            let k = Conv2dKernel(batch: batch, inC: s.cin, outC: s.cout, geometry: g)
            let x = Tensor.uniform([batch * s.inHW * s.inHW * s.cin], -1, 1, rng: &rng).data
            let w = Tensor.uniform([s.cout * s.k * s.k * s.cin], -1, 1, rng: &rng).data
            let dy = Tensor.uniform([batch * g.outH * g.outW * s.cout], -1, 1, rng: &rng).data
            var y = [Float](repeating: 0, count: dy.count)
            var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
            let tf = timeIt {
                y.withUnsafeMutableBufferPointer { k.forward(x: x, weight: w, bias: nil, y: $0.baseAddress!, context: ctx) }
            }
            let tb = timeIt {
                dx.withUnsafeMutableBufferPointer { dxp in
                    dw.withUnsafeMutableBufferPointer { dwp in
                        k.backward(x: x, weight: w, dy: dy, dx: dxp.baseAddress!, dw: dwp.baseAddress!, db: nil, context: ctx)
                    }
                }
            }
            let ff = k.flops / tf / 1e9, fb = 2 * k.flops / tb / 1e9
            totalF += Double(s.uses) * 3 * k.flops
            totalT += Double(s.uses) * (tf + tb)
            print(String(format: "%-30@ %3dx%-3dx%-4d %7.1f  %7.1f  %6.0f%%  %7.1f  %7.1f  %6.0f%%", s.name as NSString,
                         g.outH, g.outW, s.cout, tf * 1e3, ff, 100 * ff / peak, tb * 1e3, fb, 100 * fb / peak))
        }
        print(String(format: "all ResNet-18 convolutions, forward + backward, weighted by use: %.1f GFLOP/s = %.0f%% of sgemm; scratch %.0f MB",
                     totalF / totalT / 1e9, 100 * totalF / totalT / 1e9 / peak, Double(ctx.scratchBytes) / 1e6))
    }
    print(String(format: "peak resident memory: %.0f MB", peakRSSMegabytes()))
}
