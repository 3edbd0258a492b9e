// swift-tools-version:6.0
import PackageDescription

// Targets follow the layering of the design notes: lower targets never import higher ones.
//   CPNG, CJPEG, COpenBLAS  — system libraries (+ setjmp shims for libpng/libjpeg)
//   ImageIO                 — bytes ⇄ Image, PNG/JPEG decode and encode, typed errors
//   CFFmpeg, Video          — frames from video files (FFmpeg's libraries behind a C shim)
//   Jobs, Reports           — folder jobs and sinks; pictures for people
//   Inference, Training     — file → network input and batched inference; the training run loop
//   Pipelines               — checked YAML stage graphs over images and video
//   vigil                   — the command-line program
let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "ImageIO", targets: ["ImageIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        .target(
            name: "CPNG",
            linkerSettings: [.linkedLibrary("png16")]
        ),
        .target(
            name: "CJPEG",
            linkerSettings: [.linkedLibrary("jpeg")]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "TensorCore"),
        // Vectorised inner loops in C, built per x86-64 level (AVX-512, AVX2, baseline) and picked at load.
        .target(name: "CKernels"),
        .target(name: "Kernels", dependencies: ["TensorCore", "COpenBLAS", "CKernels"]),
        .target(name: "Layers", dependencies: ["TensorCore", "Kernels"]),
        .target(name: "Optim", dependencies: ["TensorCore", "Layers"]),
        .target(name: "TestSupport", dependencies: ["TensorCore", "Layers"]),
        .target(
            name: "Checkpoint",
            dependencies: ["TensorCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .target(name: "Zoo", dependencies: ["TensorCore", "Kernels", "Layers", "Checkpoint"]),
        // ONNX export: a network as an opset-17 graph (NCHW) for other runtimes; its own protobuf writer.
        .target(name: "Export", dependencies: ["Zoo", "Layers", "Kernels", "TensorCore"]),
        .target(name: "Augment", dependencies: ["ImageIO", "TensorCore", .product(name: "Yams", package: "Yams")]),
        .systemLibrary(name: "CGzip", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Datasets", dependencies: ["ImageIO", "Augment", "TensorCore", "CGzip"]),
        .target(
            name: "ImageIO",
            dependencies: ["CPNG", "CJPEG"]
        ),
        .target(
            name: "CFFmpeg",
            linkerSettings: [
                .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("swscale"), .linkedLibrary("avutil"),
            ]
        ),
        // Frames from video files through FFmpeg's libraries, with timestamps; damage reported, never a crash.
        .target(name: "Video", dependencies: ["CFFmpeg", "ImageIO"]),
        // Folder jobs every command uses: walking, ordered parallel work, progress, record and .npy sinks, scan.
        .target(
            name: "Jobs",
            dependencies: ["ImageIO", "TensorCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Pictures a person reads: canvas, bitmap font, charts, heat maps, contact sheets, annotations.
        .target(name: "Reports", dependencies: ["ImageIO", "Augment"]),
        // File → network input, batched inference, classification and feature jobs, metrics, the model cache.
        .target(
            name: "Inference",
            dependencies: ["Jobs", "ImageIO", "Augment", "Datasets", "Zoo", "Checkpoint", "Layers", "Kernels", "TensorCore"]
        ),
        // The engine: one RunLoop over TrainingTasks (classification, detection, the anomaly autoencoder),
    // run records, fine-tuning, frozen prefixes, the feature cache.
        .target(
            name: "Training",
            dependencies: ["Inference", "Detection", "Anomaly", "Reports", "Jobs", "Zoo", "Checkpoint", "Layers", "TensorCore", "Augment", "Optim", "Datasets", "ImageIO",
                           .product(name: "Yams", package: "Yams")]
        ),
        // Boxes, NMS, tile merging, colour/shape region proposals; CenterNet targets and decoding,
        // the object detector (input → network → boxes) and COCO-style AP evaluation.
        .target(name: "Detection", dependencies: ["ImageIO", "TensorCore", "Augment", "Zoo", "Layers"]),
        // Generators for data that cannot be downloaded: industrial surfaces with defects and masks
        // (MVTec AD layout), defects painted on photos, road scenes with signs and boxes (COCO / YOLO).
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev"])]),
        .target(name: "Synth", dependencies: ["ImageIO", "TensorCore", "CFreeType"]),
        // Anomaly detection from good parts only: PatchCore memory banks, coresets, the autoencoder, thresholds, AUROC.
        .target(name: "Anomaly", dependencies: ["Inference", "Datasets", "Detection", "Zoo", "Layers", "Optim", "Kernels", "Checkpoint", "Augment", "TensorCore", "ImageIO"]),
        // Checked YAML stage graphs over images and video: file → plan → stages → records and pictures.
        .target(
            name: "Pipelines",
            dependencies: [
                "Inference", "Reports", "Jobs", "Detection", "Anomaly", "Video", "Augment", "Zoo", "Checkpoint", "Layers", "TensorCore", "ImageIO",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "Pipelines", "Anomaly", "Detection", "Export", "Synth", "Jobs", "Reports", "Inference", "Training", "Kernels", "ImageIO", "Zoo", "Checkpoint", "Augment", "Datasets", "TensorCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "vigil-bench",
            dependencies: ["ImageIO", "Kernels", "TensorCore", "Augment", "Datasets", "Zoo", "Layers", "Optim", "Checkpoint"],
            path: "Benchmarks/vigil-bench"
        ),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TensorCore"]),
        .testTarget(name: "ExportTests", dependencies: ["Export", "Zoo", "Layers", "Checkpoint", "TensorCore"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "TensorCore"]),
        .testTarget(name: "AugmentTests", dependencies: ["Augment", "ImageIO", "TensorCore"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Augment", "ImageIO", "TensorCore"]),
        .testTarget(name: "ZooTests", dependencies: ["Augment", "Zoo", "Checkpoint", "Layers", "TensorCore", "Inference", "ImageIO"]),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "Kernels", "TensorCore", "Optim", "TestSupport"]),
        // Makes its clips with the `ffmpeg` command-line tool; skips itself when ffmpeg is not installed.
        .testTarget(name: "VideoTests", dependencies: ["Video", "ImageIO"]),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "ImageIO", "TensorCore"]),
        .testTarget(name: "AnomalyTests", dependencies: ["Anomaly", "Training", "Datasets", "Zoo", "Inference", "Checkpoint", "ImageIO", "TensorCore"]),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "ImageIO", "TensorCore"]),
        .testTarget(name: "PipelinesTests", dependencies: ["Pipelines", "Inference", "Zoo", "Checkpoint", "ImageIO", "TensorCore"]),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "ImageIO", "TensorCore"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "ImageIO"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "ImageIO", "TensorCore", "Zoo"]),
        .testTarget(name: "TrainingTests", dependencies: ["Augment", "Training", "Inference", "ImageIO", "TensorCore", "Datasets", "Zoo", "Checkpoint", "Layers"]),
        // Runs the built `vigil` executable; the dependency makes `swift test` build it first.
        .testTarget(name: "CLITests", dependencies: ["vigil", "Zoo", "Layers", "ImageIO", "TensorCore", "Checkpoint"]),
    ],
    swiftLanguageModes: [.v5]
)
