/// Why bytes could not become an image. Every decoder failure maps onto one of these.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data ends before the image is complete.
    case truncated
    /// The data is damaged; the reason is the codec's own words.
    case corrupt(String)
    /// A valid file using something Vigil does not decode (e.g. 12-bit JPEG).
    case unsupported(String)
    /// Width × height exceeds the configured pixel limit; refused before allocation.
    case tooLarge(width: Int, height: Int)
    /// The bytes are not a PNG or JPEG at all.
    case notAnImage

    /// A short, stable name for manifests and scripts.
    public var kind: String {
        switch self {
        case .truncated: return "truncated"
        case .corrupt: return "corrupt"
        case .unsupported: return "unsupported"
        case .tooLarge: return "too_large"
        case .notAnImage: return "not_an_image"
        }
    }

    public var description: String {
        switch self {
        case .truncated: return "truncated: the file ends before the image is complete"
        case .corrupt(let why): return "corrupt: \(why)"
        case .unsupported(let why): return "unsupported: \(why)"
        case .tooLarge(let w, let h): return "too large: \(w)×\(h) pixels exceeds the pixel limit"
        case .notAnImage: return "not an image: no PNG or JPEG signature"
        }
    }
}

/// An error tied to the file it came from, so messages always name the file.
public struct ImageFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let error: Error

    public init(path: String, error: Error) {
        self.path = path
        self.error = error
    }

    /// The decoder's error, when the failure was in decoding (not reading the file).
    public var imageError: ImageError? { error as? ImageError }

    public var description: String { "\(path): \(error)" }
}
