import Datasets

extension DataFingerprint {
    /// FNV-1a (64-bit, hex) over each sample's name and label, in order: a change of files,
    /// order or labels changes it; the pixels are not read.
    public static func digest(names: [String], labels: [Int]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) { for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 } }
        for (n, l) in zip(names, labels) {
            mix(n.utf8)
            mix([0])
            mix(String(l).utf8)
            mix([10])
        }
        return String(h, radix: 16)
    }

    public static func digest(of data: any Dataset) -> String {
        digest(names: (0..<data.count).map { data.name($0) }, labels: (0..<data.count).map { data.label($0) })
    }
}
