import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

// The three readers behind `BoxDataset.open`. Each turns its format's coordinates into pixels of
// the image as stored with exclusive x1/y1, and hands every box to `BoxRules.fit`.

extension BoxDataset {
    // MARK: COCO

    /// Reads a COCO detection file: `images[{id, file_name, width, height}]`,
    /// `annotations[{image_id, category_id, bbox: [x, y, w, h]}]`, `categories[{id, name}]`.
    ///
    /// - `bbox` is in continuous pixel coordinates already: the box is x…x+w, y…y+h.
    /// - Class indices are the categories sorted by id (COCO ids are sparse: 1…90 for COCO
    ///   itself); `classes` holds their names in that order.
    /// - `file_name` is resolved against `images` when given (or, when not there, the JSON's
    ///   folder, as tools that write `images/x.jpg` into the name expect), else the JSON's folder. An image
    ///   whose file is missing is a problem and is left out with its boxes.
    /// - `width`/`height` come from the JSON; when absent or not positive, from the image header.
    /// - `iscrowd: 1` boxes are kept with `isDifficult` set.
    /// A file that is not JSON, or not an object with `images`, `annotations` and `categories`
    /// arrays, throws even when not strict: there is nothing to keep.
    public static func coco(json path: String, images imagesFolder: String? = nil, strict: Bool = false) throws -> BoxDataset {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AnnotationProblem(file: path, entry: "file", reason: "cannot read the file")
        }
        let top: Any
        do {
            top = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw AnnotationProblem(file: path, entry: "JSON", reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let root = top as? [String: Any] else {
            throw AnnotationProblem(file: path, entry: "JSON", reason: "the top level is not an object")
        }
        var arrays: [String: [Any]] = [:]
        for key in ["images", "annotations", "categories"] {
            guard let a = root[key] as? [Any] else {
                throw AnnotationProblem(file: path, entry: key, reason: root[key] == nil ? "missing" : "not an array")
            }
            arrays[key] = a
        }
        let base = imagesFolder ?? (path as NSString).deletingLastPathComponent
        var log = ProblemLog(strict: strict)

        // Categories → class indices in id order.
        var categories: [(id: String, order: Double, name: String)] = []
        var seenCategory = Set<String>()
        for (j, item) in arrays["categories"]!.enumerated() {
            let entry = "categories[\(j)]"
            guard let c = item as? [String: Any] else { try log.note(path, entry, "not an object"); continue }
            guard let id = jsonID(c["id"]) else { try log.note(path, entry, "no id"); continue }
            guard let name = c["name"] as? String, !name.isEmpty else { try log.note(path, entry, "no name"); continue }
            guard seenCategory.insert(id).inserted else { try log.note(path, entry, "duplicate category id \(id)"); continue }
            categories.append((id, jsonNumber(c["id"]) ?? .infinity, name))
        }
        categories.sort { ($0.order, $0.id) < ($1.order, $1.id) }
        let classes = categories.map(\.name)
        var classOf: [String: Int] = [:]
        for (k, c) in categories.enumerated() { classOf[c.id] = k }

        // Images.
        var images: [AnnotatedImage] = []
        var indexOf: [String: Int] = [:]
        var leftOut = Set<String>()  // ids of listed images that were left out: their boxes go quietly
        for (i, item) in arrays["images"]!.enumerated() {
            let entry = "images[\(i)]"
            guard let m = item as? [String: Any] else { try log.note(path, entry, "not an object"); continue }
            guard let id = jsonID(m["id"]) else { try log.note(path, entry, "no id"); continue }
            guard indexOf[id] == nil, !leftOut.contains(id) else { try log.note(path, entry, "duplicate image id \(id)"); continue }
            guard let name = m["file_name"] as? String, !name.isEmpty else {
                leftOut.insert(id)
                try log.note(path, entry, "no file_name"); continue
            }
            var file = name.hasPrefix("/") ? name : base + "/" + name
            // Tools write file_name both ways: relative to images/ and including it.
            let besideJSON = (path as NSString).deletingLastPathComponent + "/" + name
            if !boxPathIsFile(file) && !name.hasPrefix("/") && boxPathIsFile(besideJSON) { file = besideJSON }
            guard boxPathIsFile(file) else {
                leftOut.insert(id)
                try log.note(path, entry, "image file \(file) does not exist"); continue
            }
            var w = jsonNumber(m["width"]).map { Int($0) } ?? 0
            var h = jsonNumber(m["height"]).map { Int($0) } ?? 0
            if w <= 0 || h <= 0 {
                do { (w, h) = try storedImageSize(file) } catch let e as BoxReason {
                    leftOut.insert(id)
                    try log.note(path, entry, "no width/height and \(e.text)"); continue
                }
            }
            indexOf[id] = images.count
            images.append(AnnotatedImage(path: file, width: w, height: h, boxes: []))
        }

        // Annotations.
        for (k, item) in arrays["annotations"]!.enumerated() {
            let entry = "annotations[\(k)]"
            guard let a = item as? [String: Any] else { try log.note(path, entry, "not an object"); continue }
            guard let imageID = jsonID(a["image_id"]) else { try log.note(path, entry, "no image_id"); continue }
            if leftOut.contains(imageID) { continue }
            guard let n = indexOf[imageID] else { try log.note(path, entry, "image_id \(imageID) is not in images"); continue }
            guard let catID = jsonID(a["category_id"]) else {
                images[n].droppedBoxes += 1
                try log.note(path, entry, "no category_id"); continue
            }
            guard let cls = classOf[catID] else {
                images[n].droppedBoxes += 1
                try log.note(path, entry, "unknown category_id \(catID)"); continue
            }
            guard let raw = a["bbox"] as? [Any], raw.count == 4, case let v = raw.compactMap(jsonNumber), v.count == 4 else {
                images[n].droppedBoxes += 1
                try log.note(path, entry, "bbox is not [x, y, width, height] numbers"); continue
            }
            switch BoxRules.fit(x0: v[0], y0: v[1], x1: v[0] + v[2], y1: v[1] + v[3], width: images[n].width, height: images[n].height) {
            case .failure(let r):
                images[n].droppedBoxes += 1
                try log.note(path, entry, r.text)
            case .success(let b):
                let crowd = (jsonNumber(a["iscrowd"]) ?? 0) != 0
                images[n].boxes.append(LabelledBox(classIndex: cls, className: classes[cls], x0: b.0, y0: b.1, x1: b.2, y1: b.3, isDifficult: crowd))
            }
        }
        return BoxDataset(root: path, format: .coco, classes: classes, images: images, problems: log.problems)
    }

    // MARK: YOLO

    /// Reads a YOLO (Darknet / Ultralytics) folder: `images/…/NAME.{png,jpg,jpeg}` beside
    /// `labels/…/NAME.txt` (same relative path), one `class cx cy w h` line per box with the
    /// centre and size normalised to 0…1 by the image's width and height.
    ///
    /// - Pixels: x0 = (cx − w/2)·W, x1 = (cx + w/2)·W, likewise y with H; W×H from the image
    ///   header (as stored, no EXIF rotation).
    /// - An image without a label file is a negative example; a label file without an image
    ///   is a problem.
    /// - Class names: `classes.txt` (one per line) in the root or in `labels/`, else the
    ///   `names:` of `data.yaml` (or `dataset.yaml`, or the only `.yaml`/`.yml` in the root) in
    ///   the forms `names: [a, b]`, `names: {0: a, 1: b}`, or a `names:` block of `- a` or
    ///   `0: a` lines. No class names at all throws: indices alone cannot be checked.
    /// - Lines with other than 5 fields (segment polygons, prediction files with a confidence)
    ///   are problems.
    public static func yolo(root: String, strict: Bool = false) throws -> BoxDataset {
        var log = ProblemLog(strict: strict)
        let classes = try yoloClasses(root: root, log: &log)
        let imagesDir = root + "/images", labelsDir = root + "/labels"
        let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
        let imageFiles = walk(imagesDir).filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
        var labelFor: [String: String] = [:]  // "a/b" stem path → label file
        for rel in walk(labelsDir) where (rel as NSString).pathExtension.lowercased() == "txt" && rel != "classes.txt" {
            labelFor[(rel as NSString).deletingPathExtension] = labelsDir + "/" + rel
        }

        var images: [AnnotatedImage] = []
        var used = Set<String>()
        for rel in imageFiles {
            let file = imagesDir + "/" + rel
            let stem = (rel as NSString).deletingPathExtension
            let size: (width: Int, height: Int)
            do { size = try storedImageSize(file) } catch let e as BoxReason {
                used.insert(stem)
                try log.note(file, "header", e.text); continue
            }
            var image = AnnotatedImage(path: file, width: size.width, height: size.height, boxes: [])
            if let label = labelFor[stem] {
                used.insert(stem)
                try readYOLOLabel(label, into: &image, classes: classes, log: &log)
            }
            images.append(image)
        }
        for (stem, label) in labelFor.sorted(by: { $0.key < $1.key }) where !used.contains(stem) {
            try log.note(label, "file", "no image images/\(stem).{png,jpg,jpeg} for this label file")
        }
        return BoxDataset(root: root, format: .yolo, classes: classes, images: images, problems: log.problems)
    }

    static func readYOLOLabel(_ label: String, into image: inout AnnotatedImage, classes: [String], log: inout ProblemLog) throws {
        guard let lines = boxTextLines(label) else { try log.note(label, "file", "cannot read it as UTF-8 text"); return }
        let W = Double(image.width), H = Double(image.height)
        for (i, line) in lines.enumerated() {
            let entry = "line \(i + 1)"
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
            if f.isEmpty { continue }
            guard f.count == 5 else {
                image.droppedBoxes += 1
                try log.note(label, entry, "expected 5 fields (class cx cy w h), found \(f.count)"); continue
            }
            guard let c = Double(f[0]), c == c.rounded(), abs(c) < 1e9 else {
                image.droppedBoxes += 1
                try log.note(label, entry, "class '\(f[0])' is not a whole number"); continue
            }
            var v: [Double] = []
            for s in f[1...] {
                guard let x = Double(s), x.isFinite else { break }
                v.append(x)
            }
            guard v.count == 4 else {
                image.droppedBoxes += 1
                try log.note(label, entry, "'\(f[v.count + 1])' is not a number"); continue
            }
            let cls = Int(c)
            guard cls >= 0, cls < classes.count else {
                image.droppedBoxes += 1
                try log.note(label, entry, "unknown class \(cls) (\(classes.count) classes)"); continue
            }
            let (cx, cy, w, h) = (v[0] * W, v[1] * H, v[2] * W, v[3] * H)
            switch BoxRules.fit(x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2, width: image.width, height: image.height) {
            case .failure(let r):
                image.droppedBoxes += 1
                try log.note(label, entry, r.text)
            case .success(let b):
                image.boxes.append(LabelledBox(classIndex: cls, className: classes[cls], x0: b.0, y0: b.1, x1: b.2, y1: b.3))
            }
        }
    }

    static func yoloClasses(root: String, log: inout ProblemLog) throws -> [String] {
        for file in [root + "/classes.txt", root + "/labels/classes.txt"] where boxPathIsFile(file) {
            guard let lines = boxTextLines(file) else { throw AnnotationProblem(file: file, entry: "file", reason: "cannot read it as UTF-8 text") }
            let names = lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw AnnotationProblem(file: file, entry: "file", reason: "no class names") }
            return names
        }
        let listed = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
        let yamls = listed.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        let pick = ["data.yaml", "data.yml", "dataset.yaml", "dataset.yml"].first(where: yamls.contains) ?? (yamls.count == 1 ? yamls[0] : nil)
        guard let name = pick else {
            throw AnnotationProblem(file: root, entry: "classes", reason: "no classes.txt or data.yaml with names:")
        }
        let file = root + "/" + name
        guard let lines = boxTextLines(file) else { throw AnnotationProblem(file: file, entry: "file", reason: "cannot read it as UTF-8 text") }
        switch yamlNames(lines) {
        case .success(let names): return names
        case .failure(let p): throw AnnotationProblem(file: file, entry: p.entry, reason: p.reason)
        }
    }

    /// The `names:` of a data.yaml, in the few shapes Ultralytics and Roboflow write. Not a
    /// YAML parser: flow lists/maps on one line, or a block of `- a` / `0: a` lines.
    static func yamlNames(_ lines: [String]) -> Result<[String], AnnotationProblem> {
        func fail(_ line: Int, _ reason: String) -> Result<[String], AnnotationProblem> {
            .failure(AnnotationProblem(file: "", entry: "line \(line)", reason: reason))
        }
        func uncomment(_ s: Substring) -> Substring {
            var quote: Character? = nil
            for i in s.indices {
                let ch = s[i]
                if let q = quote { if ch == q { quote = nil } } else if ch == "\"" || ch == "'" { quote = ch } else if ch == "#", i == s.startIndex || s[s.index(before: i)] == " " { return s[..<i] }
            }
            return s
        }
        func unquote<S: StringProtocol>(_ s: S) -> String {
            let t = s.trimmingCharacters(in: .whitespaces)
            if t.count >= 2, let f = t.first, f == "\"" || f == "'", t.last == f { return String(t.dropFirst().dropLast()) }
            return t
        }
        // Indexed names: "0: a" → must cover 0..<n exactly.
        func fromIndexed(_ pairs: [(Int, String, Int)]) -> Result<[String], AnnotationProblem> {
            var byIndex: [Int: String] = [:]
            for (k, v, line) in pairs {
                guard byIndex[k] == nil else { return fail(line, "class \(k) named twice") }
                byIndex[k] = v
            }
            for k in 0..<byIndex.count where byIndex[k] == nil { return fail(pairs[0].2, "names skip class \(k)") }
            return .success((0..<byIndex.count).map { byIndex[$0]! })
        }
        guard let start = lines.firstIndex(where: { $0.hasPrefix("names:") }) else { return fail(1, "no top-level names:") }
        let rest = uncomment(lines[start].dropFirst("names:".count)).trimmingCharacters(in: .whitespaces)
        if !rest.isEmpty {
            guard let open = rest.first, let close = rest.last, (open == "[" && close == "]") || (open == "{" && close == "}") else {
                return fail(start + 1, "names: is neither [a, b] nor {0: a} nor a block")
            }
            let items = rest.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if open == "[" { return items.isEmpty ? fail(start + 1, "names is empty") : .success(items.map(unquote)) }
            var pairs: [(Int, String, Int)] = []
            for item in items {
                let kv = item.split(separator: ":", maxSplits: 1)
                guard kv.count == 2, let k = Int(kv[0].trimmingCharacters(in: .whitespaces)) else { return fail(start + 1, "'\(item)' is not 'index: name'") }
                pairs.append((k, unquote(kv[1]), start + 1))
            }
            return pairs.isEmpty ? fail(start + 1, "names is empty") : fromIndexed(pairs)
        }
        var list: [String] = [], pairs: [(Int, String, Int)] = []
        for i in (start + 1)..<lines.count {
            let raw = uncomment(Substring(lines[i]))
            if raw.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard raw.first == " " || raw.first == "\t" || raw.first == "-" else { break }  // next top-level key
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("-") {
                list.append(unquote(t.dropFirst()))
            } else {
                let kv = t.split(separator: ":", maxSplits: 1)
                guard kv.count == 2, let k = Int(kv[0].trimmingCharacters(in: .whitespaces)) else { return fail(i + 1, "'\(t)' is not '- name' or 'index: name'") }
                pairs.append((k, unquote(kv[1]), i + 1))
            }
        }
        if !list.isEmpty && !pairs.isEmpty { return fail(start + 1, "names mixes '- name' and 'index: name' lines") }
        if !pairs.isEmpty { return fromIndexed(pairs) }
        return list.isEmpty ? fail(start + 1, "names is empty") : .success(list)
    }

    // MARK: Pascal VOC

    /// Reads a Pascal VOC folder: `Annotations/*.xml` and the images in `JPEGImages/`.
    ///
    /// - Each XML gives `<filename>` (else the XML's stem with .jpg/.jpeg/.png is tried),
    ///   `<size><width><height>` (when absent or 0, the image header is read) and `<object>`s
    ///   with `<name>`, optional `<difficult>` and `<bndbox><xmin><ymin><xmax><ymax>`.
    /// - VOC coordinates are 1-based and inclusive: pixel columns xmin…xmax. Converted:
    ///   x0 = xmin − 1, x1 = xmax (exclusive), likewise y; so xmin = xmax is a 1-px box.
    /// - Class names: `classes` when given; else `classes.txt` or `labels.txt` (one per line) or
    ///   CVAT's `labelmap.txt` (`name:colour::`) in the root; with any of these an unknown
    ///   `<name>` is a problem. Otherwise every name found, sorted, so none is unknown.
    /// - Entries are "object[i]" counting `<object>`s from 0, "filename", "size", or "line N"
    ///   for XML that does not parse (that file is left out).
    public static func voc(root: String, classes given: [String]? = nil, strict: Bool = false) throws -> BoxDataset {
        var log = ProblemLog(strict: strict)
        var classes = given ?? []
        var fixedClasses = given != nil
        if !fixedClasses {
            for name in ["classes.txt", "labels.txt", "labelmap.txt"] where boxPathIsFile(root + "/" + name) {
                guard let lines = boxTextLines(root + "/" + name) else { continue }
                classes = lines.map { String($0.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") }
                if name == "labelmap.txt" { classes.removeAll { $0 == "background" } }
                fixedClasses = !classes.isEmpty
                break
            }
        }

        // First pass: parse every file; object problems are held back (`problem`) so that the
        // second pass, once the class list is known, notes each file's problems in object order.
        struct Object { var entry: String; var name = ""; var box = (0.0, 0.0, 0.0, 0.0); var difficult = false; var problem: String? }
        struct Parsed { var file: String; var image: AnnotatedImage; var objects: [Object] }
        var parsed: [Parsed] = []
        let annotations = root + "/Annotations", jpegs = root + "/JPEGImages"
        let xmls = ((try? FileManager.default.contentsOfDirectory(atPath: annotations)) ?? []).filter { $0.lowercased().hasSuffix(".xml") }.sorted()
        for name in xmls {
            let file = annotations + "/" + name
            let tree: XMLTree
            switch XMLTree.parse(file) {
            case .failure(let p): try log.note(file, p.entry, p.reason); continue
            case .success(let t): tree = t
            }
            // Image file.
            let stem = (name as NSString).deletingPathExtension
            var candidates: [String] = []
            if let f = tree.text("filename"), !f.isEmpty { candidates.append(f) }
            candidates += ["jpg", "jpeg", "png", "JPG", "PNG"].map { stem + "." + $0 }
            guard let imageName = candidates.first(where: { boxPathIsFile(jpegs + "/" + $0) }) else {
                try log.note(file, "filename", "image JPEGImages/\(candidates[0]) does not exist"); continue
            }
            let imagePath = jpegs + "/" + imageName
            var w = tree.child("size")?.text("width").flatMap { Double($0) }.map { Int($0) } ?? 0
            var h = tree.child("size")?.text("height").flatMap { Double($0) }.map { Int($0) } ?? 0
            if w <= 0 || h <= 0 {
                do { (w, h) = try storedImageSize(imagePath) } catch let e as BoxReason {
                    try log.note(file, "size", "no <size> and \(e.text)"); continue
                }
            }
            var item = Parsed(file: file, image: AnnotatedImage(path: imagePath, width: w, height: h, boxes: []), objects: [])
            for (i, object) in tree.children("object").enumerated() {
                let entry = "object[\(i)]"
                guard let cls = object.text("name"), !cls.isEmpty else {
                    item.objects.append(Object(entry: entry, problem: "no <name>")); continue
                }
                guard let bb = object.child("bndbox") else {
                    item.objects.append(Object(entry: entry, problem: "no <bndbox>")); continue
                }
                var v: [Double] = [], bad: String? = nil
                for key in ["xmin", "ymin", "xmax", "ymax"] {
                    guard let s = bb.text(key) else { bad = "no <bndbox><\(key)>"; break }
                    guard let x = Double(s), x.isFinite else { bad = "<\(key)> '\(s)' is not a number"; break }
                    v.append(x)
                }
                if let bad { item.objects.append(Object(entry: entry, problem: bad)); continue }
                let difficult = object.text("difficult").flatMap { Double($0) }.map { $0 != 0 } ?? false
                item.objects.append(Object(entry: entry, name: cls, box: (v[0] - 1, v[1] - 1, v[2], v[3]), difficult: difficult))
            }
            parsed.append(item)
        }
        if !fixedClasses {
            classes = Array(Set(parsed.flatMap { $0.objects.filter { $0.problem == nil }.map(\.name) })).sorted()
        }
        var classOf: [String: Int] = [:]
        for (k, c) in classes.enumerated() where classOf[c] == nil { classOf[c] = k }

        var images: [AnnotatedImage] = []
        for var item in parsed {
            for o in item.objects {
                if let bad = o.problem {
                    item.image.droppedBoxes += 1
                    try log.note(item.file, o.entry, bad); continue
                }
                guard let cls = classOf[o.name] else {
                    item.image.droppedBoxes += 1
                    try log.note(item.file, o.entry, "unknown class '\(o.name)'"); continue
                }
                switch BoxRules.fit(x0: o.box.0, y0: o.box.1, x1: o.box.2, y1: o.box.3, width: item.image.width, height: item.image.height) {
                case .failure(let r):
                    item.image.droppedBoxes += 1
                    try log.note(item.file, o.entry, r.text)
                case .success(let b):
                    item.image.boxes.append(LabelledBox(classIndex: cls, className: classes[cls], x0: b.0, y0: b.1, x1: b.2, y1: b.3, isDifficult: o.difficult))
                }
            }
            images.append(item.image)
        }
        // Whole-file problems were noted in the first pass, object problems in the second:
        // sort (stably) so the list reads in file order.
        let order = Dictionary(uniqueKeysWithValues: xmls.enumerated().map { (annotations + "/" + $1, $0) })
        log.problems = log.problems.enumerated().sorted {
            let a = order[$0.element.file] ?? 0, b = order[$1.element.file] ?? 0
            return a != b ? a < b : $0.offset < $1.offset
        }.map(\.element)
        return BoxDataset(root: root, format: .voc, classes: classes, images: images, problems: log.problems)
    }
}

// MARK: - Helpers

/// An id as a string key: integral numbers print without ".0"; strings stay as they are.
private func jsonID(_ v: Any?) -> String? {
    if let s = v as? String { return s.isEmpty ? nil : s }
    guard let d = jsonNumber(v) else { return nil }
    return BoxRules.fmt(d)
}

private func jsonNumber(_ v: Any?) -> Double? {
    if let n = v as? NSNumber { let d = n.doubleValue; return d.isFinite ? d : nil }
    if let d = v as? Double { return d.isFinite ? d : nil }
    if let i = v as? Int { return Double(i) }
    return nil
}

/// Files under `dir` (relative paths, recursive, hidden entries skipped), sorted.
private func walk(_ dir: String) -> [String] {
    let fm = FileManager.default
    return (fm.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? [])
        .filter { !$0.split(separator: "/").contains { $0.hasPrefix(".") } && boxPathIsFile(dir + "/" + $0) }
        .sorted()
}

/// A small element tree from Foundation's XMLParser, enough for VOC files.
final class XMLTree {
    let name: String
    var text = ""
    var elements: [XMLTree] = []

    init(name: String) { self.name = name }

    func child(_ n: String) -> XMLTree? { elements.first { $0.name == n } }
    func children(_ n: String) -> [XMLTree] { elements.filter { $0.name == n } }
    /// Trimmed text of the first child called `n`.
    func text(_ n: String) -> String? { child(n).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) } }

    static func parse(_ path: String) -> Result<XMLTree, AnnotationProblem> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(AnnotationProblem(file: path, entry: "file", reason: "cannot read the file"))
        }
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        if !parser.parse() || builder.root == nil {
            let why = parser.parserError.map { "\($0.localizedDescription)" } ?? "no root element"
            return .failure(AnnotationProblem(file: path, entry: "line \(parser.lineNumber)", reason: "malformed XML (\(why))"))
        }
        return .success(builder.root!)
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            let node = XMLTree(name: elementName)
            stack.last?.elements.append(node)
            stack.append(node)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            let node = stack.removeLast()
            if stack.isEmpty { root = node }
        }
    }
}
