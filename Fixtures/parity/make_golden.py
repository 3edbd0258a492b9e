#!/usr/bin/env python3
"""Golden logits for the pretrained-model parity tests, computed once with PyTorch.

For each sample photo, Vigil's own preprocessing is exported with
`vigil preprocess PHOTO --model mobilenet_v2 --out x.npy` (float32 NHWC), and torchvision's
MobileNetV2, loaded from the same .pth that `vigil import` converted, is run on exactly
that tensor (transposed to NCHW). The test then runs Vigil's network on the same tensor and
compares logits, so only the networks are compared, not two preprocessing pipelines.

EfficientNet-Lite0 has no torchvision model, so it is written out below in plain PyTorch
from the architecture's definition (TensorFlow SAME padding, BatchNorm eps 1e-3, ReLU6,
no squeeze-and-excitation), independently of Vigil's builder.

Usage (needs torch + torchvision, e.g. the anchors venv):
  python make_golden.py VIGIL_BINARY ARCH PTH_FILE SAMPLES_DIR > ARCH.json
  (ARCH: mobilenet_v2 or efficientnet_lite0)
"""
import json
import subprocess
import sys
import tempfile

import math

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

PHOTOS = ["chelsea.png", "coffee.png", "rocket.jpg"]


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow SAME padding: output = ceil(input / stride), extra pixel bottom/right."""

    def forward(self, x):
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class Block(nn.Module):
    def __init__(self, cin, cout, k, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv(cin, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=1e-3)
        self._depthwise_conv = SameConv(hidden, hidden, k, stride, groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, eps=1e-3)
        self._project_conv = SameConv(hidden, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return x + h if self.skip else h


class EfficientNetLite0(nn.Module):
    # (repeats, kernel, stride, expansion, in, out): EfficientNet-B0's stages
    STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
              (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]

    def __init__(self):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3)
        blocks = []
        for r, k, s, e, cin, cout in self.STAGES:
            for i in range(r):
                blocks.append(Block(cin if i == 0 else cout, cout, k, s if i == 0 else 1, e))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=1e-3)
        self._fc = nn.Linear(1280, 1000)

    def forward(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for b in self._blocks:
            x = b(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(x.mean((2, 3)))


def main():
    vigil, arch, pth, samples = sys.argv[1:5]
    model = torchvision.models.mobilenet_v2() if arch == "mobilenet_v2" else EfficientNetLite0()
    model.load_state_dict(torch.load(pth, map_location="cpu", weights_only=True))
    model.eval()
    out = {"model": arch, "weights": pth.split("/")[-1], "torch": torch.__version__,
           "torchvision": torchvision.__version__, "images": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for photo in PHOTOS:
            npy = f"{tmp}/{photo}.npy"
            subprocess.run([vigil, "preprocess", f"{samples}/{photo}", "--model", arch, "--out", npy], check=True)
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
