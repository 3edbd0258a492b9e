#!/usr/bin/env python3
"""The Python reference for `vigil classify`: PIL + ONNX Runtime doing the same work on the
same files and threads — decode (PIL draft(), i.e. libjpeg DCT scaling, like Vigil), resize
the shorter side to 256, centre-crop 224, normalise, batched MobileNetV2 inference with the
same ImageNet weights exported to ONNX, softmax, top-5 — with the decoding spread over a
thread pool and ONNX Runtime's intra-op threads set to the same count.

Usage: classify_ort.py FOLDER PTH_FILE THREADS BATCH   (prints images/s as JSON)
"""
import glob
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnxruntime as ort
import torch
import torchvision
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def export(pth, path):
    if os.path.exists(path):
        return
    model = torchvision.models.mobilenet_v2()
    model.load_state_dict(torch.load(pth, map_location="cpu", weights_only=True))
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), path, opset_version=17, dynamo=False,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})


def prepare(path):
    im = Image.open(path)
    im.draft("RGB", (256, 256))
    im = im.convert("RGB")
    w, h = im.size
    s = 256 / min(w, h)
    im = im.resize((max(256, round(w * s)), max(256, round(h * s))), Image.BILINEAR)
    w, h = im.size
    left, top = (w - 224) // 2, (h - 224) // 2
    a = np.asarray(im.crop((left, top, left + 224, top + 224)), np.float32) / 255
    return ((a - MEAN) / STD).transpose(2, 0, 1)


def main():
    folder, pth, threads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    files = sorted(glob.glob(os.path.join(folder, "*.jpg")))
    onnx_path = "/tmp/vigil-bench/mobilenet_v2.onnx"
    os.makedirs("/tmp/vigil-bench", exist_ok=True)
    export(pth, onnx_path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    sess.run(None, {"x": np.zeros((batch, 3, 224, 224), np.float32)})  # warm-up
    t0 = time.perf_counter()
    top = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        tensors = pool.map(prepare, files)
        buf = []
        for t in tensors:
            buf.append(t)
            if len(buf) == batch:
                y = sess.run(None, {"x": np.stack(buf)})[0]
                top += list(np.argsort(-y, axis=1)[:, :5])
                buf = []
        if buf:
            y = sess.run(None, {"x": np.stack(buf)})[0]
            top += list(np.argsort(-y, axis=1)[:, :5])
    dt = time.perf_counter() - t0
    print(json.dumps({"images": len(files), "seconds": round(dt, 3), "images_per_s": round(len(files) / dt, 1),
                      "threads": threads, "batch": batch, "onnxruntime": ort.__version__}))


if __name__ == "__main__":
    main()
