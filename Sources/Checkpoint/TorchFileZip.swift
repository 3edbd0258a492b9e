import Foundation
import ZIPFoundation

/// The format `torch.save` writes since torch 1.6: a zip archive whose single top-level
/// folder (named after the file, or "archive") holds
///
///     data.pkl      the object; tensors name their storages through persistent ids
///     data/<key>    the raw little-endian bytes of each storage
///     byteorder     "little" or "big" (absent in files from before torch 1.12: little)
///     version       the format version, and other records this reader does not need
///
/// torch writes every record uncompressed; compressed records are refused, so the sizes in
/// the archive bound every allocation by the size of the file.
enum TorchZipFormat {
    /// A zip file's local header signature, "PK\u{3}\u{4}".
    static let signature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    static func read(url: URL, fileSize: Int) throws -> TorchFileContents {
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw PickleError("unreadable zip archive: \(error)")
        }
        var entries: [String: Entry] = [:]
        for entry in archive {
            guard entries.updateValue(entry, forKey: entry.path) == nil else {
                throw PickleError("zip record \(entry.path) appears twice")
            }
        }
        let pickles = entries.keys.filter { path in
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" && !parts[0].isEmpty
        }
        guard pickles.count == 1, let picklePath = pickles.first else {
            throw PickleError("the zip archive has \(pickles.count) <folder>/data.pkl records, expected 1")
        }
        let folder = String(picklePath.dropLast("data.pkl".count))
        let record = { (name: String) throws -> [UInt8]? in
            try entries[folder + name].map { try extract($0, from: archive, fileSize: fileSize) }
        }

        if let byteOrder = try record("byteorder") {
            guard String(decoding: byteOrder, as: UTF8.self) == "little" else {
                throw PickleError("big-endian checkpoints are not supported")
            }
        }

        let table = TorchStorageTable(legacy: false)
        var machine = PickleMachine(reader: PickleByteReader(try record("data.pkl") ?? []), persistentLoad: table.resolve)
        let root: PickleValue
        do {
            root = try machine.load()
        } catch let error as PickleError {
            throw PickleError("in data.pkl: \(error.reason)")
        }

        var storages: [String: ArraySlice<UInt8>] = [:]
        for key in table.order {
            guard let storage = table.roots[key], let bytes = try record("data/" + key) else {
                throw PickleError("storage \"\(key)\" has no record \(folder)data/\(key)")
            }
            let (byteCount, overflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.elementSize)
            guard !overflow, byteCount <= bytes.count else {
                throw PickleError("record \(folder)data/\(key) holds \(bytes.count) bytes, "
                    + "too few for \(storage.count) \(storage.dtype.rawValue) elements")
            }
            storages[key] = bytes[..<byteCount]
        }
        return TorchFileContents(root: root, heap: machine.heap, storages: storages)
    }

    /// The bytes of an uncompressed record, checked against its declared size and CRC.
    private static func extract(_ entry: Entry, from archive: Archive, fileSize: Int) throws -> [UInt8] {
        guard entry.type == .file, !entry.isCompressed else {
            throw PickleError("zip record \(entry.path) is not a plain uncompressed file")
        }
        guard entry.uncompressedSize <= UInt64(fileSize) else {
            throw PickleError("zip record \(entry.path) claims \(entry.uncompressedSize) bytes, more than the file")
        }
        let size = Int(entry.uncompressedSize)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry) { chunk in
                guard bytes.count + chunk.count <= size else {
                    throw PickleError("zip record \(entry.path) is longer than declared")
                }
                bytes.append(contentsOf: chunk)
            }
        } catch let error as PickleError {
            throw error
        } catch {
            throw PickleError("cannot read zip record \(entry.path): \(error)")
        }
        guard bytes.count == size, checksum == entry.checksum else {
            throw PickleError("zip record \(entry.path) is truncated or fails its CRC check")
        }
        return bytes
    }
}
