/// A setting with a fixed set of spellings (an optimizer, a schedule, a resize mode): an enum
/// whose raw values are what files and flags say. Decoding an unknown spelling fails with an
/// error that lists the valid ones, never a silent fallback.
public protocol Choice: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension Choice {
    /// The valid spellings, comma-separated (for messages and help).
    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let v = Self(rawValue: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "\"\(s)\" is not one of \(Self.spellings)")
        }
        self = v
    }

    /// The choice spelled `text`, or an error naming `option` and the valid spellings.
    public static func parse(_ text: String, option: String) throws -> Self {
        guard let v = Self(rawValue: text) else { throw ChoiceError(message: "\(option) \(text): use one of \(spellings)") }
        return v
    }
}

/// A spelling that is not one of a `Choice`'s.
public struct ChoiceError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
