import Detection
import Foundation

/// `propose`: region proposals by colour and shape — pixels within HSV ranges, joined into
/// connected components, kept when their size, aspect ratio and fill look like an object.
/// The classical first step of a sign finder; a classifier on the crops then decides.
///
/// ```yaml
/// - propose: {colors: [red], min_area: 100, aspect: [0.6, 1.6], min_fill: 0.4}
/// - propose:
///     hsv: [{h: [340, 20], s: [0.45, 1], v: [0.25, 1]}]   # hue in degrees (may wrap), s and v in [0, 1]
/// ```
public final class ProposeStage: Stage {
    struct Range: Decodable {
        var h: [Double]
        var s: [Double]?
        var v: [Double]?
    }

    struct Parameters: StageParameters {
        var colors: [String]?
        var hsv: [Range]?
        var min_area: Int?
        var max_area_fraction: Double?
        var aspect: [Double]?
        var min_fill: Double?
        var padding: Double?
        var max_proposals: Int?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case colors, hsv, min_area, max_area_fraction, aspect, min_fill, padding, max_proposals
        }
        typealias Keys = CodingKeys
    }

    /// Named colour ranges for road signs (hue in degrees; saturation and value in [0, 1]).
    public static let presets: [String: [HSVRange]] = [
        "red": [.red],
        "blue": [.blue],
        "yellow": [HSVRange(hueMin: 38, hueMax: 65, saturation: 0.45...1, value: 0.35...1)],
        "white": [HSVRange(hueMin: 0, hueMax: 360, saturation: 0...0.15, value: 0.8...1)],
    ]

    public let kind = "propose"
    public let options: ColorProposals.Options

    init(_ r: ParameterReader) throws {
        let p = try r.decode(Parameters.self)
        var ranges: [HSVRange] = []
        for c in p.colors ?? [] {
            guard let preset = Self.presets[c] else {
                throw r.fail("colors", "unknown colour \(c) (known: \(Self.presets.keys.sorted().joined(separator: ", ")); or give hsv ranges)")
            }
            ranges += preset
        }
        for (k, h) in (p.hsv ?? []).enumerated() {
            func pair(_ v: [Double]?, _ name: String, _ lo: Double, _ hi: Double) throws -> ClosedRange<Double> {
                guard let v else { return lo...hi }
                guard v.count == 2, v.allSatisfy({ $0 >= lo && $0 <= hi }) else {
                    throw r.fail("hsv", "hsv[\(k)].\(name): expected [low, high] within [\(lo), \(hi)]")
                }
                return min(v[0], v[1])...max(v[0], v[1])
            }
            let s = try pair(h.s, "s", 0, 1), v = try pair(h.v, "v", 0, 1)
            guard h.h.count == 2, h.h.allSatisfy({ $0 >= 0 && $0 <= 360 }) else { throw r.fail("hsv", "hsv[\(k)].h: expected [low, high] degrees within [0, 360]") }
            ranges.append(HSVRange(hueMin: h.h[0], hueMax: h.h[1], saturation: s, value: v))  // wraps when low > high
        }
        if ranges.isEmpty { ranges = Self.presets["red"]! }
        var o = ColorProposals.Options(ranges: ranges)
        do {
            try Check.atLeast(p.min_area, "min_area", 1)
            try Check.range(p.max_area_fraction, "max_area_fraction", 0.0001...1)
            try Check.range(p.min_fill, "min_fill", 0...1)
            try Check.range(p.padding, "padding", 0...2)
            try Check.atLeast(p.max_proposals, "max_proposals", 1)
            if let a = p.aspect, a.count != 2 || a[0] <= 0 || a[1] < a[0] { throw ParameterError("aspect", "expected [low, high] width/height ratios, 0 < low ≤ high") }
        } catch let e as ParameterError { throw r.fail(e) }
        if let v = p.min_area { o.minArea = v }
        if let v = p.max_area_fraction { o.maxAreaFraction = v }
        if let a = p.aspect { o.aspect = a[0]...a[1] }
        if let v = p.min_fill { o.minFill = v }
        if let v = p.padding { o.padding = v }
        if let v = p.max_proposals { o.maxProposals = v }
        options = o
    }

    public var summary: String {
        "HSV colour components (\(options.ranges.count) ranges), area ≥ \(options.minArea) px, aspect \(options.aspect.lowerBound)–\(options.aspect.upperBound), fill ≥ \(options.minFill)"
    }

    public func check(_ flow: inout Flow) throws {
        guard flow.image else { throw ParameterError(nil, "needs an image: put decode (or video) before it") }
        if flow.regions != nil { throw ParameterError(nil, "the image already has regions") }
        flow.regions = .proposal
        flow.regionsLabelled = false
    }

    public func process(_ items: inout [PipelineItem], worker: Int) throws {
        for i in items.indices where items[i].ok {
            guard let img = items[i].image else { continue }
            items[i].regions = ColorProposals.propose(img, options: options).map { Region(box: $0.box, origin: .proposal, score: Float($0.score)) }
        }
    }
}
