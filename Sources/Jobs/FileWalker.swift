import Foundation
import TensorCore

/// Lists the files under a folder, recursively, in a stable (sorted) order.
///
/// Symbolic links to folders are followed once: each real folder (device, inode) is
/// entered at most once, so link loops end. Entries that cannot be read are returned
/// too, so that a job can report them instead of skipping them silently.
public struct FileWalker {
    public struct Entry: Sendable, Equatable {
        /// Path as given under the root (root + relative path).
        public var path: String
        /// Path relative to the root folder.
        public var relativePath: String

        public init(path: String, relativePath: String) {
            self.path = path
            self.relativePath = relativePath
        }
    }

    public var includeHidden = false

    public init(includeHidden: Bool = false) {
        self.includeHidden = includeHidden
    }

    struct FolderID: Hashable { let dev: UInt64; let ino: UInt64 }

    /// All files under `root` (or `root` itself when it is a file). Throws when root is missing.
    public func files(under root: String) throws -> [Entry] {
        var st = stat()
        guard stat(root, &st) == 0 else {
            throw WalkError(path: root, reason: String(cString: strerror(errno)))
        }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            return [Entry(path: root, relativePath: (root as NSString).lastPathComponent)]
        }
        var seen: Set<FolderID> = []
        var out: [Entry] = []
        walk(root, relative: "", seen: &seen, out: &out)
        return out
    }

    private func walk(_ dir: String, relative: String, seen: inout Set<FolderID>, out: inout [Entry]) {
        var st = stat()
        guard stat(dir, &st) == 0 else { return }
        let id = FolderID(dev: UInt64(st.st_dev), ino: UInt64(st.st_ino))
        guard seen.insert(id).inserted else { return }  // a link loop, or a folder seen through another link
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            out.append(Entry(path: dir, relativePath: relative))  // unreadable folder: report it
            return
        }
        for name in names.sorted() {
            if !includeHidden && name.hasPrefix(".") { continue }
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            var s = stat()
            if stat(path, &s) == 0 && (s.st_mode & S_IFMT) == S_IFDIR {
                walk(path, relative: rel, seen: &seen, out: &out)
            } else {
                out.append(Entry(path: path, relativePath: rel))  // files, broken links, specials
            }
        }
    }
}

/// A folder or output that cannot be used: names the path and the reason.
public typealias WalkError = FileError
