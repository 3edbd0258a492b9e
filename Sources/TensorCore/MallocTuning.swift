#if canImport(Glibc)
import Glibc
#endif

/// Training allocates the same large activation buffers every step. glibc serves blocks above
/// its mmap threshold with fresh pages that the kernel must fault in and zero each time; with
/// mmap off (M_MMAP_MAX = 0) and a high trim threshold they come from the heap and a freed
/// buffer is reused at once. Call it once, first thing in a program that runs networks.
public func keepFreedBuffersInTheHeap() {
    #if canImport(Glibc)
    // mallopt is not in Swift's Glibc module; look it up (glibc: M_TRIM_THRESHOLD −1,
    // M_MMAP_MAX −4). A refusal leaves glibc's defaults, which also work.
    if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
        let mallopt = unsafeBitCast(sym, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(-4, 0)
        _ = mallopt(-1, Int32.max)
    }
    #endif
}
