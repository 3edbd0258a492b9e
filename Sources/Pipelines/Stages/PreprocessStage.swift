import Augment
import Foundation
import Inference

/// `preprocess`: image → network input, the same definition training, `classify` and
/// `features` use (`ModelInput`). Either copy a model's own preprocessing, or give it:
///
/// ```yaml
/// - preprocess: {model: mobilenet_v2}
/// - preprocess: {size: 224, resize_to: 256, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]}
/// - preprocess: {size: 64, resize: stretch, gray: true}
/// ```
public final class PreprocessStage: Stage {
    struct Parameters: StageParameters {
        var model: String?
        var size: Int?
        var resize: String?
        var resize_to: Int?
        var mean: [Float]?
        var std: [Float]?
        var gray: Bool?
        enum CodingKeys: String, CodingKey, CaseIterable { case model, size, resize, resize_to, mean, std, gray }
        typealias Keys = CodingKeys
    }

    public let kind = "preprocess"
    public let input: ModelInput

    init(_ r: ParameterReader, env: StageEnvironment) throws {
        let p = try r.decode(Parameters.self)
        if let spec = p.model {
            if p.size != nil || p.resize != nil || p.resize_to != nil || p.mean != nil || p.std != nil || p.gray != nil {
                throw r.fail("model", "give either model (its own preprocessing) or size/resize/mean/std, not both")
            }
            let m: ModelInput
            do { m = ModelInput(try env.store.load(env.resolve(spec)).card.preprocessing) } catch { throw r.fail("model", "\(error)") }
            input = m
            return
        }
        guard let size = p.size else { throw r.fail(nil, "give model (to copy its preprocessing) or size") }
        let channels = (p.gray ?? false) ? 1 : 3
        do {
            try Check.range(size, "size", 1...4096)
            try Check.oneOf(p.resize, "resize", ["shorter_side", "stretch"])
            try Check.range(p.resize_to, "resize_to", 1...8192)
            if let m = p.mean, m.count != channels { throw ParameterError("mean", "needs \(channels) values, got \(m.count)") }
            if let s = p.std, s.count != channels || s.contains(where: { $0 <= 0 }) {
                throw ParameterError("std", "needs \(channels) positive values")
            }
        } catch let e as ParameterError { throw r.fail(e) }
        let resize: ModelInput.Resize = (p.resize ?? "shorter_side") == "stretch" ? .stretch : .shorterSide(p.resize_to ?? Int((Double(size) * 256 / 224).rounded()))
        input = ModelInput(size: size, resize: resize, gray: p.gray ?? false, mean: p.mean ?? [], std: p.std ?? [])
    }

    public var summary: String {
        let geometry: String
        switch input.resize {
        case .shorterSide(let r): geometry = "shorter side → \(r), centre crop \(input.size)"
        case .stretch: geometry = "resize to \(input.size)×\(input.size)"
        }
        return geometry + (input.gray ? ", gray" : ", RGB") + (input.mean.isEmpty ? "" : ", normalised")
    }

    public func check(_ flow: inout Flow) throws {
        guard flow.image else { throw ParameterError(nil, "needs an image: put decode (or video) before it") }
        if flow.regions != nil { throw ParameterError(nil, "works on whole images; classify and features prepare region crops themselves") }
        flow.input = (input.size, input.channels)
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        for i in items.indices where items[i].ok {
            guard let image = items[i].image else { continue }
            var x = [Float](repeating: 0, count: input.sliceCount)
            x.withUnsafeMutableBufferPointer { input.prepare(image, into: $0) }
            items[i].input = x
        }
    }
}
