#!/usr/bin/env python3
"""Reference side of Benchmarks/compare.sh: one measurement per process, one JSON line out.

  compare_ref.py --engine onnxruntime --onnx FILE --net resnet18 --mode infer --batch 32 --threads 2
  compare_ref.py --engine torch --net resnet18 --mode train --batch 32 --threads 2

Inference: ONNX Runtime, CPU provider, intra_op_num_threads = threads, inter_op 1, sequential
execution, ORT_ENABLE_ALL graph optimisation, on the ONNX file given (normally exported by
`vigil export`, i.e. Vigil's own graph). `--engine torch --mode infer` (eager, inference_mode)
is also accepted.
Training: PyTorch eager, torch.set_num_threads(threads): torchvision resnet18 / resnet50 /
mobilenet_v2 (weights=None), or crop_vgg as Benchmarks/train_fashion_torch.py writes it, matching Vigil's zoo (Sources/Zoo/
SmallNets.swift); SGD lr 0.01 momentum 0.9, no weight decay, cross-entropy, random NCHW input.
Timing: warm-up, then at least 3 iterations and at least --min-time seconds; img/s from each
iteration's time, median/min/max.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore")

# Input (height, width) and classes per zoo network, as Vigil's bench measures them.
NETS = {
    "resnet18": (224, 224, 1000),
    "resnet50": (224, 224, 1000),
    "mobilenet_v2": (224, 224, 1000),
    "efficientnet_lite0": (224, 224, 1000),
    "crop_vgg": (48, 48, 43),
    "mobilenet_v2_detect": (384, 512, 9),
}
TORCH_NETS = ("resnet18", "resnet50", "mobilenet_v2", "crop_vgg")


def crop_vgg(classes=43, in_ch=3, width=1.0):
    """Vigil's crop_vgg, as Benchmarks/train_fashion_torch.py writes it out."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from train_fashion_torch import crop_vgg as build
    return build(width, classes=classes, in_ch=in_ch)


def torch_model(name):
    import torch
    import torchvision
    torch.manual_seed(0)
    if name == "crop_vgg":
        return crop_vgg()
    if name not in TORCH_NETS:
        raise SystemExit(f"compare_ref: no PyTorch version of {name}")
    return getattr(torchvision.models, name)(weights=None)


def time_it(fn, batch, warmup, min_time, min_iters=3, max_iters=100000):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_iters or (time.perf_counter() - start < min_time and len(times) < max_iters):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    rates = [batch / t for t in times]
    return {"iterations": len(times), "img_s_median": statistics.median(rates), "img_s_min": min(rates),
            "img_s_max": max(rates), "ms_per_iter": statistics.median(times) * 1e3}


def run_ort(a, h, w):
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(a.onnx, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = list(inp.shape)
    # Fixed spatial dims in the graph win over the requested ones (reported back).
    c = shape[1] if isinstance(shape[1], int) else 3
    if isinstance(shape[2], int) and shape[2] > 0:
        h = shape[2]
    if isinstance(shape[3], int) and shape[3] > 0:
        w = shape[3]
    x = np.random.default_rng(7).standard_normal((a.batch, c, h, w)).astype(np.float32)
    r = time_it(lambda: sess.run(None, {inp.name: x}), a.batch, 3 if a.batch == 1 else 1, a.min_time)
    r.update(engine="onnxruntime", version=ort.__version__, height=h, width=w, input=inp.name)
    return r


def run_torch(a, h, w, classes):
    import torch
    import torch.nn as nn
    torch.set_num_threads(a.threads)
    model = torch_model(a.net)
    torch.manual_seed(7)
    x = torch.randn(a.batch, 3, h, w)
    if a.mode == "infer":
        model.eval()
        with torch.inference_mode():
            r = time_it(lambda: model(x), a.batch, 3 if a.batch == 1 else 1, a.min_time)
    else:
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        lossf = nn.CrossEntropyLoss()
        y = torch.randint(0, classes, (a.batch,))

        def step():
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(x), y)
            loss.backward()
            opt.step()
        r = time_it(step, a.batch, 1, a.min_time)
    r.update(engine="torch", version=torch.__version__, height=h, width=w)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", choices=["onnxruntime", "torch"])
    ap.add_argument("--net")
    ap.add_argument("--mode", choices=["infer", "train"], default="infer")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--onnx", help="ONNX file for --engine onnxruntime")
    ap.add_argument("--min-time", type=float, default=2.5)
    ap.add_argument("--height", type=int)
    ap.add_argument("--width", type=int)
    a = ap.parse_args()
    if not a.engine or a.net not in NETS:
        raise SystemExit(f"compare_ref: need --engine and --net (one of {', '.join(NETS)})")
    h, w, classes = NETS[a.net]
    h, w = a.height or h, a.width or w
    if a.engine == "onnxruntime":
        if a.mode != "infer" or not a.onnx:
            raise SystemExit("compare_ref: onnxruntime measures inference of an --onnx file")
        r = run_ort(a, h, w)
    else:
        r = run_torch(a, h, w, classes)
    r.update(net=a.net, mode=a.mode, batch=a.batch, threads=a.threads,
             peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
