// vigil-bench models: whole zoo networks, inference and a training step, at 1 and 2 threads.
//
// Inference runs the network as `vigil eval` / `vigil classify` prepare it: built from the zoo
// (random weights, seeded), `fuseForInference()` (BatchNorm folded, activations fused), then
// `forward(training: false)`. `--parallel auto` (default): with T > 1 threads and a batch of
// at least T, `split` — one model's weights, the batch split over T one-thread replicas
// (`BatchParallelInference`, what pipeline workers do) — else `intra`. `--parallel intra`:
// one model runs each batch on a Context of T threads (what onnxruntime's
// intra_op_num_threads does). `--parallel replicas`: T fused copies each run a whole batch on
// a 1-thread Context at the same time, and images/s counts all of them.
//
// A training step is the Trainer's: zeroGradients, forward(training: true), softmax
// cross-entropy, backward, SGD (momentum 0.9, lr 0.01, no weight decay) on a T-thread Context.
// The detector's step is DetectorTrainer's: CenterNet focal loss on the heat map + GIoU/L1 box
// loss (weights 2 / 0.5) on synthetic targets, with the first 4 backbone layers frozen as
// `vigil train-detect` does by default (`--detect-freeze N` changes it).
import Checkpoint
import Dispatch
import Foundation
import Kernels
import Layers
import Optim
import TensorCore
import Zoo

struct ModelRow: Codable {
    var net: String
    var mode: String
    var parallel: String
    var batch: Int
    var threads: Int
    var height: Int
    var width: Int
    var iterations: Int
    var imagesPerSecond: Double
    var imagesPerSecondMin: Double
    var imagesPerSecondMax: Double
    var msPerIteration: Double
    var gflopPerImage: Double
    var effectiveGFLOPs: Double
    var sgemmGFLOPs: Double?
    var percentOfSgemm: Double?
    var peakRSSMB: Double
}

let benchNetworks = ["resnet18", "resnet50", "mobilenet_v2", "efficientnet_lite0", "crop_vgg", "mobilenet_v2_detect"]

/// (height, width) a network is measured at: the zoo's default square input, except the
/// detector, which sees a 4:3 frame (512×384, longer side 512 as its preprocessing makes it).
func benchInputSize(_ net: String) -> (h: Int, w: Int) {
    if net == "mobilenet_v2_detect" { return (384, 512) }
    let s = Zoo.entry(net)!.defaultConfig.inputSize
    return (s, s)
}

/// `s` padded with spaces to `width` characters (Foundation's %@ ignores widths on Linux).
func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}

func cpuModelName() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":") else { return "unknown CPU" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
}

/// The SIMD flags that decide which kernels can run.
func simdFlags() -> [String] {
    BLASCore.cpuFlags().filter { $0.hasPrefix("avx512") || $0 == "avx2" || $0 == "fma" || $0 == "avx" || $0.hasPrefix("avx_vnni") || $0 == "amx_tile" }.sorted()
}

/// GFLOP/s of a square n×n×n cblas_sgemm on `threads` threads (median of ≥ 3 runs, ≥ 0.5 s).
func sgemmGFLOPs(n: Int, threads: Int) -> Double {
    let ctx = Context(threads: threads, seed: 1)
    var rng = SeededRNG(seed: 3)
    let a = Tensor.uniform([n * n], -1, 1, rng: &rng).data, b = Tensor.uniform([n * n], -1, 1, rng: &rng).data
    var c = [Float](repeating: 0, count: n * n)
    let t = timeIt(minTime: 0.5) {
        c.withUnsafeMutableBufferPointer { gemm(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: $0.baseAddress!, ldc: n, context: ctx) }
    }
    return 2 * Double(n) * Double(n) * Double(n) / t / 1e9
}

/// Per-iteration seconds of `body`: `warmup` untimed calls, then at least `minIters` timed ones
/// lasting at least `minTime` seconds in total.
func timeIterations(warmup: Int, minTime: Double, minIters: Int = 3, maxIters: Int = 100_000, _ body: () -> Void) -> [Double] {
    for _ in 0..<warmup { body() }
    var times: [Double] = []
    let start = now()
    while times.count < minIters || (now() - start < minTime && times.count < maxIters) {
        let t0 = now()
        body()
        times.append(now() - t0)
    }
    return times
}

/// FLOPs (2 × multiply-adds) of one image's forward pass at (h, w), from `Profile` at the
/// zoo's square input size; the detector (fully convolutional) is scaled by area.
func forwardFLOPs(_ net: String, h: Int, w: Int) throws -> Double {
    let model = try Model(zoo: net, seed: 1)
    let s = model.card.config.inputSize
    let f = Profile.of(model).flops
    return (h == s && w == s) ? f : f * Double(h * w) / Double(s * s)
}

/// Synthetic CenterNet targets: `objects` boxes per image at random cells, heat 1 at each
/// centre with CenterNet-like Gaussian fall-off on the 3×3 neighbours, box targets at centres.
func syntheticDetectionTargets(batch: Int, gridH: Int, gridW: Int, classes: Int, objects: Int, rng: inout SeededRNG)
    -> (heat: Tensor, boxes: [BoxRegressionLoss.Target]) {
    var heat = Tensor([batch, gridH, gridW, classes])
    var boxes: [BoxRegressionLoss.Target] = []
    for n in 0..<batch {
        for _ in 0..<objects {
            let i = 1 + Int(rng.next() % UInt64(max(gridH - 2, 1))), j = 1 + Int(rng.next() % UInt64(max(gridW - 2, 1)))
            let c = Int(rng.next() % UInt64(classes))
            let half = rng.uniform(1, 4)
            for di in -1...1 { for dj in -1...1 {
                let (y, x) = (i + di, j + dj)
                guard y >= 0, y < gridH, x >= 0, x < gridW else { continue }
                let v: Float = (di == 0 && dj == 0) ? 1 : exp(-Float(di * di + dj * dj) / 2)
                let o = ((n * gridH + y) * gridW + x) * classes + c
                heat.data[o] = max(heat.data[o], v)
            } }
            let cx = Float(j) + 0.5, cy = Float(i) + 0.5
            boxes.append(.init(n: n, i: i, j: j, x0: cx - half, y0: cy - half, x1: cx + half, y1: cy + half))
        }
    }
    return (heat, boxes)
}

func runModels(_ args: [String]) throws {
    var nets = benchNetworks
    var batches = [1, 32]
    var threadList = [1, 2]
    var modes = ["infer", "train"]
    var minTime = 2.5
    var jsonOut: String?
    var parallel = "auto"
    var sgemmN = 1024
    var measureSgemm = true
    var detectFreeze = 4
    var trainBatches: [Int]?
    var headerOnly = false
    var it = args.makeIterator()
    func list(_ s: String?) -> [String] { (s ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    while let a = it.next() {
        switch a {
        case "--nets": nets = list(it.next())
        case "--batch": batches = list(it.next()).compactMap { Int($0) }
        case "--train-batch": trainBatches = list(it.next()).compactMap { Int($0) }
        case "--threads": threadList = list(it.next()).compactMap { Int($0) }
        case "--modes": modes = list(it.next())
        case "--min-time": minTime = Double(it.next() ?? "") ?? minTime
        case "--json": jsonOut = it.next()
        case "--parallel": parallel = it.next() ?? parallel
        case "--sgemm-n": sgemmN = Int(it.next() ?? "") ?? sgemmN
        case "--no-sgemm": measureSgemm = false
        case "--detect-freeze": detectFreeze = Int(it.next() ?? "") ?? detectFreeze
        case "--header-only": headerOnly = true
        default: throw WalkFailure(message: "models: unknown argument \(a)")
        }
    }
    for n in nets where Zoo.entry(n) == nil { throw WalkFailure(message: "models: unknown network \(n); known: \(Zoo.names.joined(separator: ", "))") }
    for m in modes where !["infer", "train"].contains(m) { throw WalkFailure(message: "models: --modes takes infer,train") }
    guard ["auto", "intra", "split", "replicas"].contains(parallel) else { throw WalkFailure(message: "models: --parallel takes auto, intra, split or replicas") }
    guard !batches.isEmpty, !threadList.isEmpty, threadList.allSatisfy({ $0 >= 1 }), batches.allSatisfy({ $0 >= 1 }) else {
        throw WalkFailure(message: "models: --batch and --threads need positive integers")
    }
    // Training is measured at batch 32 unless asked otherwise (--train-batch), whatever --batch says.
    let trainBatchList = trainBatches ?? (batches.contains(32) ? [32] : batches)

    let env = ProcessInfo.processInfo.environment
    print("vigil-bench models — \(cpuModelName()), \(ProcessInfo.processInfo.activeProcessorCount) cores")
    print("  SIMD flags: \(simdFlags().joined(separator: " "))")
    print("  OpenBLAS core \(BLASCore.name) (OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "unset")\(env["VIGIL_BLAS_RESTARTED"].map { $0 == "1" ? ", set by a restart as vigil does" : ", set by a restart as vigil does, " + $0 } ?? "")); config: \(BLASCore.config)")
    print("  NHWC, random weights (seed 1) and inputs (seed 7); infer = fuseForInference + forward(training: false), parallel \(parallel)")
    print("  train = forward(training: true) + loss + backward + SGD(momentum 0.9) step; GFLOP/s counts a training step as 3× forward FLOPs")
    print("  detector train: focal + GIoU/L1 losses on synthetic targets, first \(detectFreeze) backbone layers frozen (3× FLOPs is nominal there)")
    print(String(format: "  timing: warm-up, then ≥ 3 iterations and ≥ %.1f s per row; img/s median (min–max over iterations)", minTime))
    print("  peak RSS is the process's high-water mark so far (monotonic): run one --nets per process for per-net figures")
    if headerOnly { return }

    var sgemm: [Int: Double] = [:]
    if measureSgemm {
        for t in threadList {
            sgemm[t] = sgemmGFLOPs(n: sgemmN, threads: t)
            print(String(format: "  sgemm %d³, %d thread%@: %.1f GFLOP/s", sgemmN, t, t == 1 ? "" : "s", sgemm[t]!))
        }
    }
    print("")
    print(pad("net", 20) + " " + pad("mode", 6) + " batch thr  " + pad("img/s (min–max)", 26) + "  ms/iter  GFLOP/img  eff GFLOP/s  %sgemm  peak RSS")

    var rows: [ModelRow] = []
    var rng = SeededRNG(seed: 7)
    for net in nets {
        let (h, w) = benchInputSize(net)
        let entry = Zoo.entry(net)!
        let flops = try forwardFLOPs(net, h: h, w: w)
        let classes = entry.defaultConfig.numClasses
        for mode in modes {
            for batch in (mode == "train" ? trainBatchList : batches) {
                for threads in threadList {
                    let x = Tensor.normal([batch, h, w, 3], std: 1, rng: &rng)
                    var times: [Double]
                    var parallelLabel = mode == "infer" ? parallel : "intra"
                    if mode == "infer" {
                        let warm = batch == 1 ? 3 : 1
                        let split = parallel == "split" || (parallel == "auto" && threads > 1 && batch >= threads)
                        if split {
                            // One model's weights, the batch split over one-thread replicas
                            // (BatchParallelInference, as pipelines run their workers).
                            let model = try Model(zoo: net, seed: 1)
                            model.network.fuseForInference()
                            let runner = try BatchParallelInference(model: model, threads: threads)
                            var sink: Float = 0
                            times = timeIterations(warmup: warm, minTime: minTime) { sink += runner.forward(x).data[0] }
                            if sink.isNaN { print("  (note: NaN outputs)") }
                            parallelLabel = "split"
                        } else if parallel == "intra" || parallel == "auto" {
                            let network = entry.build(seed: 1)
                            network.fuseForInference()
                            let ctx = Context(threads: threads, seed: 1)
                            var sink: Float = 0
                            times = timeIterations(warmup: warm, minTime: minTime) {
                                sink += network.forward(x, context: ctx, training: false).data[0]
                            }
                            if sink.isNaN { print("  (note: NaN outputs)") }
                        } else {
                            // vigil classify: one fused copy and one 1-thread context per worker.
                            let copies = (0..<threads).map { _ -> Sequential in
                                let n = entry.build(seed: 1)
                                n.fuseForInference()
                                return n
                            }
                            let contexts = (0..<threads).map { _ in Context(threads: 1, seed: 1) }
                            let perIter = timeIterations(warmup: warm, minTime: minTime) {
                                DispatchQueue.concurrentPerform(iterations: threads) { k in
                                    _ = copies[k].forward(x, context: contexts[k], training: false)
                                }
                            }
                            // Each iteration finished `threads` batches.
                            times = perIter.map { $0 / Double(threads) }
                            parallelLabel = "replicas"
                        }
                    } else {
                        let network = entry.build(seed: 1)
                        let ctx = Context(threads: threads, seed: 1)
                        let optimizer = SGD(learningRate: 0.01, momentum: 0.9)
                        var lastLoss: Float = 0
                        if let det = network.layers.first as? CenterNetDetector {
                            det.frozenLayers = detectFreeze
                            let frozen = (0..<detectFreeze).map { "features.\($0)." }
                            for (name, p) in network.namedParameters() where !p.isBuffer {
                                p.trainable = !frozen.contains { name.hasPrefix($0) }
                            }
                            let targets = syntheticDetectionTargets(batch: batch, gridH: h / det.stride, gridW: w / det.stride,
                                                                    classes: det.numClasses, objects: 3, rng: &rng)
                            let focal = CenterNetFocalLoss()
                            let boxLoss = BoxRegressionLoss(giouWeight: 2, l1Weight: 0.5)
                            times = timeIterations(warmup: 1, minTime: minTime) {
                                network.zeroGradients()
                                let out = network.forward(x, context: ctx, training: true)
                                let heat = focal(out, targets: targets.heat, channels: 0..<det.numClasses)
                                let box = boxLoss(out, targets: targets.boxes, channel: det.numClasses)
                                var grad = heat.gradient
                                for i in 0..<grad.count { grad.data[i] += box.gradient.data[i] }
                                _ = network.backward(grad, context: ctx)
                                optimizer.update(network)
                                lastLoss = heat.value + box.value
                            }
                        } else {
                            let labels = (0..<batch).map { _ in Int(rng.next() % UInt64(classes)) }
                            let criterion = SoftmaxCrossEntropy()
                            times = timeIterations(warmup: 1, minTime: minTime) {
                                network.zeroGradients()
                                let logits = network.forward(x, context: ctx, training: true)
                                let loss = criterion(logits, labels: labels)
                                _ = network.backward(loss.gradient, context: ctx)
                                optimizer.update(network)
                                lastLoss = loss.value
                            }
                        }
                        if !lastLoss.isFinite { print("  (note: \(net) training loss became \(lastLoss))") }
                    }
                    let rates = times.map { Double(batch) / $0 }
                    let med = median(rates)
                    let perImage = flops * (mode == "train" ? 3 : 1)
                    let eff = perImage * med / 1e9
                    let ref = sgemm[threads]
                    let row = ModelRow(net: net, mode: mode, parallel: parallelLabel, batch: batch, threads: threads, height: h, width: w,
                                       iterations: times.count, imagesPerSecond: med, imagesPerSecondMin: rates.min()!,
                                       imagesPerSecondMax: rates.max()!, msPerIteration: median(times) * 1e3 * (parallelLabel == "replicas" ? Double(threads) : 1),
                                       gflopPerImage: flops / 1e9, effectiveGFLOPs: eff, sgemmGFLOPs: ref,
                                       percentOfSgemm: ref.map { 100 * eff / $0 }, peakRSSMB: peakRSSMegabytes())
                    rows.append(row)
                    let range = String(format: "%.1f (%.1f–%.1f)", med, row.imagesPerSecondMin, row.imagesPerSecondMax)
                    let pct = row.percentOfSgemm.map { String(format: "%.0f%%", $0) } ?? "–"
                    print(pad(net, 20) + " " + pad(mode, 6) + String(format: " %5d %3d  ", batch, threads) + pad(range, 26)
                          + String(format: " %8.1f  %9.2f  %11.1f  ", row.msPerIteration, row.gflopPerImage, eff)
                          + pad(pct, 6, right: true) + String(format: "  %5.0f MB", row.peakRSSMB))
                    fflush(stdout)
                }
            }
        }
    }
    if let jsonOut {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(rows).write(to: URL(fileURLWithPath: jsonOut))
    }
}
