// libFuzzer entry point, compiled together with Sources/ImageIO by Fuzz/run.sh.
// FUZZ_PNG or FUZZ_JPEG (a -D flag) picks the decoder. Any crash, leak or ASan report
// is a bug: every input must end in an image or a thrown ImageError.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var options = DecodeOptions()
    options.maxPixels = 4_000_000  // keep each run small; bigger headers must fail cleanly
    #if FUZZ_PNG
    _ = try? PNGCodec.decode(bytes, options: options)
    options.force8Bit = true
    _ = try? PNGCodec.decode(bytes, options: options)
    #else
    _ = try? JPEGCodec.decode(bytes, options: options)
    options.lenient = true
    options.targetSize = (16, 16)
    options.fastDCT = true
    _ = try? JPEGCodec.decode(bytes, options: options)
    #endif
    return 0
}
