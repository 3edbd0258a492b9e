import Foundation

/// Decoding and encoding entry points. Stateless: call from any number of threads.
///
/// ```swift
/// let decoded = try ImageCodec.decode(fileAt: "photo.jpg")
/// print(decoded.image.width, decoded.info.colorSpace, decoded.info.orientation ?? 1)
/// ```
public enum ImageCodec {
    /// Decodes PNG or JPEG bytes; the format comes from the magic bytes.
    public static func decode(_ bytes: [UInt8], options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        try bytes.withUnsafeBytes { try decode(buffer: $0, options: options) }
    }

    /// Decodes PNG or JPEG bytes held in `data`.
    public static func decode(_ data: Data, options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        try data.withUnsafeBytes { try decode(buffer: $0, options: options) }
    }

    /// Decodes from raw memory (for example a memory-mapped file).
    public static func decode(buffer: UnsafeRawBufferPointer, options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        if buffer.isEmpty { throw ImageError.truncated }
        switch ImageFormat.sniff(buffer) {
        case .png?:
            if buffer.count < ImageFormat.pngSignature.count { throw ImageError.truncated }
            return try PNGCodec.decode(buffer, options: options)
        case .jpeg?:
            if buffer.count < 3 { throw ImageError.truncated }
            return try JPEGCodec.decode(buffer, options: options)
        case nil:
            throw ImageError.notAnImage
        }
    }

    /// For a JPEG: the size the decoded image will have (orientation applied as `options` say),
    /// read from the headers only. Nil for other formats. Lets a caller plan a crop and then
    /// decode at the DCT scale the crop needs.
    public static func jpegSize(_ bytes: [UInt8], options: DecodeOptions = DecodeOptions()) throws -> (width: Int, height: Int)? {
        guard ImageFormat.sniff(bytes) == .jpeg, bytes.count >= 3 else { return nil }
        return try bytes.withUnsafeBytes { try JPEGCodec.size($0, options: options) }
    }

    /// Reads and decodes a file. Errors are `ImageFileError`s that name the file.
    public static func decode(fileAt path: String, options: DecodeOptions = DecodeOptions()) throws -> DecodedImage {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ImageFileError(path: path, error: FileReadError(reason: error.localizedDescription))
        }
        do {
            return try decode(data, options: options)
        } catch {
            throw ImageFileError(path: path, error: error)
        }
    }

    /// PNG bytes for an 8- or 16-bit image with 1–4 channels. Level 0–9 (zlib), default 6.
    public static func encodePNG(_ image: Image, compressionLevel: Int = 6) throws -> [UInt8] {
        try PNGCodec.encode(image, compressionLevel: compressionLevel)
    }

    /// JPEG bytes (baseline unless `progressive`). Gray stays gray; alpha is dropped;
    /// 16-bit is scaled to 8. `chroma444` keeps full-resolution colour (else 4:2:0).
    /// `exifOrientation` writes an EXIF block carrying that orientation tag.
    public static func encodeJPEG(_ image: Image, quality: Int = 90, progressive: Bool = false,
                                  chroma444: Bool = false, exifOrientation: Int? = nil) throws -> [UInt8] {
        try JPEGCodec.encode(image, quality: quality, progressive: progressive, chroma444: chroma444,
                             exifOrientation: exifOrientation)
    }
}

/// A file that could not be read at all (missing, unreadable, a directory).
public struct FileReadError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "cannot read: \(reason)" }
}
