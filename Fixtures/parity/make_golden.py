#!/usr/bin/env python3
"""Golden logits for the pretrained-model parity test, computed once with PyTorch.

For each sample photo, Vigil's own preprocessing is exported with
`vigil preprocess PHOTO --model mobilenet_v2 --out x.npy` (float32 NHWC), and torchvision's
MobileNetV2, loaded from the same .pth that `vigil import` converted, is run on exactly
that tensor (transposed to NCHW). The test then runs Vigil's network on the same tensor and
compares logits, so only the networks are compared, not two preprocessing pipelines.

Usage (needs torch + torchvision, e.g. the anchors venv):
  python make_golden.py VIGIL_BINARY PTH_FILE SAMPLES_DIR > mobilenet_v2.json
"""
import json
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision

PHOTOS = ["chelsea.png", "coffee.png", "rocket.jpg"]


def main():
    vigil, pth, samples = sys.argv[1:4]
    model = torchvision.models.mobilenet_v2()
    model.load_state_dict(torch.load(pth, map_location="cpu", weights_only=True))
    model.eval()
    out = {"model": "mobilenet_v2", "weights": pth.split("/")[-1], "torch": torch.__version__,
           "torchvision": torchvision.__version__, "images": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for photo in PHOTOS:
            npy = f"{tmp}/{photo}.npy"
            subprocess.run([vigil, "preprocess", f"{samples}/{photo}", "--model", "mobilenet_v2", "--out", npy], check=True)
            x = np.load(npy)
            with torch.no_grad():
                logits = model(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous())[0].numpy().astype(np.float64)
            out["images"][photo] = {
                "input_sum": float(x.astype(np.float64).sum()),
                "input_abs_sum": float(np.abs(x.astype(np.float64)).sum()),
                "logits": [round(float(v), 6) for v in logits],
                "top5": [int(i) for i in np.argsort(-logits)[:5]],
            }
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
