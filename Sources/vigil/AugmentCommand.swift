import ArgumentParser
import Augment
import Checkpoint
import Foundation
import ImageIO
import Jobs
import Reports

struct AugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Write augmented copies of every image in a folder, and a contact sheet to look at.",
        discussion: """
        Presets: driving (rain, fog, night, glare, shadows, motion blur, mild geometry; no flips, \
        since a mirrored sign can change meaning), inspection (90° rotations and flips, uneven \
        lighting, sensor noise, defocus), none.

        --chain reads a YAML chain instead: an optional `preset:` and a list of `ops:`, each \
        one step name with its parameters, e.g. `- rotate: {maxDegrees: 10, fill: edge, p: 0.5}`.

        Copy k of image i is fixed by (--seed, i, k): the same command always writes the same \
        pixels. Copies go to OUT/<relative path>_augK.png; OUT/contact-sheet.png shows the first \
        --sheet-rows images (original first, then the copies).

        Example:
          vigil augment dashcam/ --preset driving --n 6 --out /tmp/aug && open /tmp/aug/contact-sheet.png
        """
    )

    @Argument(help: "Folder (or file) of images.")
    var folder: String

    @Option(help: "Preset: \(AugmentChain.presetNames.joined(separator: ", ")).")
    var preset: String?

    @Option(help: "A YAML augmentation chain (preset: …, ops: […]) instead of --preset.")
    var chain: String?

    @Option(name: .customLong("n"), help: "Augmented copies per image.")
    var copies = 4

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Seed for the augmentation draws.")
    var seed: UInt64 = 0

    @Option(help: "Images shown in the contact sheet.")
    var sheetRows = 8

    func validate() throws {
        if (preset == nil) == (chain == nil) { throw ValidationError("give exactly one of --preset and --chain") }
        if let p = preset, AugmentChain.preset(p) == nil {
            throw ValidationError("unknown preset \(p); known: \(AugmentChain.presetNames.joined(separator: ", "))")
        }
        if copies < 1 { throw ValidationError("--n must be at least 1") }
    }

    func run() throws {
        let chain: AugmentChain
        do { chain = try self.chain.map(ChainFile.load) ?? AugmentChain.preset(preset!)! } catch {
            printError("vigil augment: \(error)")
            throw ExitCode.jobFailed
        }
        let files: [FileWalker.Entry]
        do { files = try FileWalker().files(under: folder) } catch {
            printError("vigil augment: \(error)")
            throw ExitCode.jobFailed
        }
        var sheet: [[FloatImage]] = []
        var failed = 0, written = 0
        let progress = ProgressBar(total: files.count, label: "augment")
        for (i, f) in files.enumerated() {
            defer { progress.advance() }
            let image: Image
            do { image = try ImageCodec.decode(fileAt: f.path).image } catch {
                printError("skipping \(error)")
                failed += 1
                continue
            }
            var row = [FloatImage(image)]
            for k in 0..<copies {
                let aug = chain.apply(image, seed: seed, sample: i, epoch: k)
                let stem = (f.relativePath as NSString).deletingPathExtension
                do {
                    try writeAtomically(Data(ImageCodec.encodePNG(aug.toImage())), to: "\(out)/\(stem)_aug\(k).png")
                    written += 1
                } catch {
                    printError("vigil augment: \(error)")
                    throw ExitCode.jobFailed
                }
                row.append(aug)
            }
            if sheet.count < sheetRows { sheet.append(row) }
        }
        progress.finish()
        if !sheet.isEmpty {
            do {
                try writeAtomically(Data(ImageCodec.encodePNG(ContactSheet.render(rows: sheet))), to: out + "/contact-sheet.png")
            } catch {
                printError("vigil augment: \(error)")
                throw ExitCode.jobFailed
            }
        }
        printError("wrote \(written) augmented images and \(out)/contact-sheet.png (\(preset ?? self.chain ?? ""), seed \(seed)); \(failed) files could not be read")
        if failed > 0 { throw ExitCode.failure }
    }
}
