/// The element types of PyTorch's typed storages.
enum TorchDType: String, CaseIterable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    /// The storage class persistent ids name, e.g. `FloatStorage` for float32.
    var storageClass: String {
        switch self {
        case .float32: return "FloatStorage"
        case .float64: return "DoubleStorage"
        case .float16: return "HalfStorage"
        case .bfloat16: return "BFloat16Storage"
        case .int64: return "LongStorage"
        case .int32: return "IntStorage"
        case .int16: return "ShortStorage"
        case .int8: return "CharStorage"
        case .uint8: return "ByteStorage"
        case .bool: return "BoolStorage"
        }
    }

    init?(storageClass: String) {
        guard let dtype = Self.allCases.first(where: { $0.storageClass == storageClass }) else { return nil }
        self = dtype
    }

    var elementSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Reads element `index` (little-endian) of `raw` as a Float; the caller checks bounds.
    func element(_ raw: UnsafeRawBufferPointer, _ index: Int) -> Float {
        switch self {
        case .float32:
            return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
        case .float64:
            return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))))
        case .float16:
            return Self.float(half: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
        case .bfloat16:
            // bfloat16 is the upper half of a float32.
            return Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))) << 16)
        case .int64:
            return Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: Int64.self)))
        case .int32:
            return Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: Int32.self)))
        case .int16:
            return Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: Int16.self)))
        case .int8:
            return Float(Int8(bitPattern: raw[index]))
        case .uint8:
            return Float(raw[index])
        case .bool:
            return raw[index] == 0 ? 0 : 1
        }
    }

    /// IEEE half precision to single precision (exact; written out because `Float16` is not
    /// available on every platform Vigil builds for).
    static func float(half bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2⁻²⁴.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)  // infinity or NaN
        default:
            // Rebias the exponent from 15 to 127.
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }
}

/// A storage as a persistent id names it: `count` elements starting at element `base` of
/// the root storage `key`. Only legacy storage views have a non-zero base or a count below
/// the root's.
struct TorchStorageRef {
    var dtype: TorchDType
    var key: String
    var base: Int
    var count: Int
}

/// A tensor as a rebuild function describes it: a strided window into a storage, checked on
/// creation to stay inside the storage.
struct TorchTensorRef {
    var storage: TorchStorageRef
    var offset: Int
    var shape: [Int]
    var stride: [Int]
    /// The number of elements, the product of `shape`.
    var elementCount: Int

    init(storage: TorchStorageRef, offset: Int, shape: [Int], stride: [Int]) throws {
        guard shape.count == stride.count else {
            throw PickleError("tensor size \(shape) and stride \(stride) differ in rank")
        }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw PickleError("negative tensor offset, size or stride (offset \(offset), size \(shape), stride \(stride))")
        }
        var elementCount = 1
        var lastIndex = offset
        for (size, step) in zip(shape, stride) {
            let (count, countOverflow) = elementCount.multipliedReportingOverflow(by: size)
            let (span, spanOverflow) = max(size - 1, 0).multipliedReportingOverflow(by: step)
            let (last, lastOverflow) = lastIndex.addingReportingOverflow(span)
            guard !countOverflow, !spanOverflow, !lastOverflow else {
                throw PickleError("tensor size \(shape) with stride \(stride) overflows")
            }
            elementCount = count
            lastIndex = last
        }
        guard elementCount == 0 || lastIndex < storage.count else {
            throw PickleError("tensor (offset \(offset), size \(shape), stride \(stride)) reaches element \(lastIndex) "
                + "of storage \"\(storage.key)\" that has \(storage.count)")
        }
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.stride = stride
        self.elementCount = elementCount
    }

    /// Gathers the elements in row-major order from the root storage's bytes, converting to
    /// Float. `root` must hold all of the root storage's elements, as the formats check.
    func gather(from root: ArraySlice<UInt8>) -> [Float] {
        let dtype = storage.dtype
        let start = storage.base + offset
        let count = elementCount
        guard count > 0 else { return [] }
        return root.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: count) { output, initialized in
                guard let innerSize = shape.last, let innerStride = stride.last else {
                    output[0] = dtype.element(raw, start)  // a scalar
                    initialized = 1
                    return
                }
                // An odometer over the outer dimensions; the last dimension is the inner loop.
                var counters = [Int](repeating: 0, count: shape.count)
                var rowStart = start
                var written = 0
                while written < count {
                    var index = rowStart
                    for _ in 0..<innerSize {
                        output[written] = dtype.element(raw, index)
                        written += 1
                        index += innerStride
                    }
                    var dimension = shape.count - 2
                    while dimension >= 0 {
                        counters[dimension] += 1
                        rowStart += stride[dimension]
                        if counters[dimension] < shape[dimension] { break }
                        rowStart -= stride[dimension] * shape[dimension]
                        counters[dimension] = 0
                        dimension -= 1
                    }
                }
                initialized = count
            }
        }
    }
}
