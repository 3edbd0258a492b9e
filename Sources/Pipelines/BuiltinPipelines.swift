/// The pipelines `vigil classify`, `vigil features` and `vigil explain` run, the same text as
/// the files shipped under `pipelines/` (a test keeps them equal), so the commands work
/// wherever the binary is.
public enum BuiltinPipelines {
    public static let all: [(name: String, text: String)] = [("classify", classify), ("features", features), ("explain", explain), ("anomaly", anomaly), ("detect", detect)]

    public static func text(_ name: String) -> String? { all.first { $0.name == name }?.text }

    public static let classify = """
# What `vigil classify` runs: every image through a classifier, top-k classes per file.
# vigil pipeline run pipelines/classify.yaml photos/ --set classify.model=runs/parts/best.safetensors
version: 1
name: classify
description: Classify images with a pretrained or fine-tuned network (vigil classify)
stages:
  - decode: {}
  - classify: {model: mobilenet_v2, top_k: 5}
  - write: {format: table}

"""

    public static let features = """
# What `vigil features` runs: a feature vector per image, as an (N, D) float32 .npy and a row map.
# vigil pipeline run pipelines/features.yaml photos/ --set features.layer=features.14 --out feats/
version: 1
name: features
description: Feature vectors from a network layer, for other tools (vigil features)
stages:
  - decode: {}
  - features: {model: mobilenet_v2, pool: avg, l2: false}
  - write: {format: npy, path: features.npy}
outputs: {dir: .}

"""

    public static let explain = """
# What `vigil explain` runs: the top class of each image and a Grad-CAM heat map of where the
# network looked, drawn over the picture.
version: 1
name: explain
description: Grad-CAM heat maps of where a classifier looked (vigil explain)
stages:
  - decode: {}
  - classify: {model: mobilenet_v2, top_k: 3}
  - explain: {}
  - annotate: {dir: ., format: jpg, alpha: 0.55}
  - write: {format: jsonl, path: explain.jsonl}
outputs: {dir: explain}

"""

    public static let anomaly = """
# What `vigil anomaly score` runs: an anomaly model fitted on good parts scores each image,
# draws its anomaly map and defect boxes, and records score and OK/NG verdict.
version: 1
name: anomaly
description: Anomaly score, OK/NG verdict, heat map and defect boxes per part (vigil anomaly score)
stages:
  - decode: {}
  - anomaly: {model: ../models/anomaly/machined_metal.safetensors, min_area: 16}
  - annotate: {dir: ., format: jpg, alpha: 0.5}
  - write: {format: jsonl, path: records.jsonl}
outputs: {dir: anomaly}

"""

    public static let detect = """
# What `vigil detect` runs: a detection model finds objects in every image and video frame,
# draws them, and records their boxes, classes and scores.
# vigil pipeline run pipelines/detect.yaml dashcam.mp4 photos/ --set detect.model=runs/signs/best.safetensors
version: 1
name: detect
description: Boxes, classes and scores from a detection model, annotated images and records (vigil detect)
stages:
  - video: {every: 1s}
  - decode: {}
  - detect: {model: ../models/detect/traffic-signs.safetensors, threshold: 0.3, nms: 0.5}
  - annotate: {dir: ., format: jpg}
  - write: {format: jsonl, path: detections.jsonl}
outputs: {dir: detections}

"""
}
