import Anomaly
import Detection
import Foundation
import TensorCore

/// `anomaly`: an anomaly model fitted on good parts (`vigil anomaly fit`) scores the image:
/// a score, an OK/NG verdict against the model's threshold (or `threshold`), the anomaly map as
/// a heat map, and a box around each connected region of the map above the threshold. Map and
/// region scores are on one scale: value / (2 × threshold), capped at 1, so 0.5 is the threshold.
///
/// ```yaml
/// - anomaly: {model: models/surfaces-patchcore.safetensors, min_area: 30}
/// ```
public final class AnomalyStage: Stage {
    struct Parameters: StageParameters {
        var model: String?
        var threshold: Double?
        var min_area: Int?
        enum CodingKeys: String, CodingKey, CaseIterable { case model, threshold, min_area }
        typealias Keys = CodingKeys
    }

    public let kind = "anomaly"
    let models: [AnomalyModel]
    /// One single-threaded context per worker, kept across batches (its scratch is reused).
    let contexts: [Context]
    let spec: String
    public let threshold: Float
    let minArea: Int

    init(_ r: ParameterReader, env: StageEnvironment) throws {
        let p = try r.decode(Parameters.self)
        guard let spec = p.model else { throw r.fail(nil, "missing model (a file made by vigil anomaly fit)") }
        do {
            try Check.atLeast(p.threshold, "threshold", 0)
            try Check.atLeast(p.min_area, "min_area", 1)
        } catch let e as ParameterError { throw r.fail(e) }
        let path = env.resolve(spec)
        do { models = try (0..<(env.planOnly ? 1 : env.workers)).map { _ in try AnomalyModels.load(path: path, store: env.store) } } catch {
            throw r.fail("model", "\(error)")
        }
        contexts = models.map { _ in Context(threads: 1) }
        self.spec = spec
        threshold = p.threshold.map(Float.init) ?? models[0].threshold
        minArea = p.min_area ?? 16
    }

    public var summary: String {
        "\(models[0].method) (\(spec)): score, OK/NG above \(threshold) (set at \(models[0].targetFPR * 100) % false positives), map, boxes ≥ \(minArea) px"
    }

    public var cost: (flops: Double, bytes: Int) { models[0].cost }

    public func check(_ flow: inout Flow) throws {
        guard flow.image else { throw ParameterError(nil, "needs an image: put decode (or video) before it") }
        if flow.regions != nil { throw ParameterError(nil, "scores whole images; put it before tile or propose") }
        flow.heatmap = true
        flow.regions = .detection
        flow.regionsLabelled = true
        flow.anomaly = true
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        let model = models[worker], ctx = contexts[worker]
        for i in items.indices where items[i].ok {
            guard let image = items[i].image else { continue }
            let r = model.score(image, context: ctx)
            items[i].anomalyScore = r.score
            items[i].anomalyThreshold = threshold
            // Shown as value / (2 × threshold): the threshold sits mid-scale.
            let scale = threshold > 0 && threshold.isFinite ? 1 / (2 * threshold) : 1 / max(r.score, 1e-12)
            let cells = 96
            let gw = r.width >= r.height ? cells : max(1, cells * r.width / r.height), gh = r.width >= r.height ? max(1, cells * r.height / r.width) : cells
            var small = [Float](repeating: 0, count: gw * gh)
            for y in 0..<gh {
                for x in 0..<gw {
                    let sx = min(r.width - 1, (2 * x + 1) * r.width / (2 * gw)), sy = min(r.height - 1, (2 * y + 1) * r.height / (2 * gh))
                    small[y * gw + x] = min(1, r.map[sy * r.width + sx] * scale)
                }
            }
            items[i].heatmap = HeatMap(width: gw, height: gh, values: small, title: String(format: "anomaly %.3g (threshold %.3g): %@", r.score, threshold, r.score > threshold ? "NG" : "OK"))
            let mask = r.map.map { $0 > threshold ? UInt8(255) : 0 }
            items[i].regions = MaskRegions.boxes(mask, width: r.width, height: r.height, minArea: minArea).map { b in
                var peak: Float = 0
                for y in Int(b.box.y0)..<Int(b.box.y1) { for x in Int(b.box.x0)..<Int(b.box.x1) { peak = max(peak, r.map[y * r.width + x]) } }
                // On the heat map's scale: the threshold is 0.5, twice the threshold or more is 1.
                return Region(box: b.box, origin: .detection, label: "defect", classIndex: 0, score: min(1, peak * scale))
            }
        }
    }
}
