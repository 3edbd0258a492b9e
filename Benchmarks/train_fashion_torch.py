"""PyTorch reference for `vigil train` on Fashion-MNIST: the same crop_vgg architecture
(three stages of two 3x3 conv-BN-ReLU + 2x2 max pool, global average pool, dropout 0.3,
linear), the same data (Debian's dataset-fashion-mnist IDX files, normalised (x/255-0.5)/0.5),
optimizer, schedule, batch size, epochs and thread count. Prints one JSON line per epoch and
a final summary line, so the two runs can be compared side by side.

    python Benchmarks/train_fashion_torch.py --epochs 12 --threads 2 --width 0.5
"""
import argparse, gzip, json, math, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def crop_vgg(width, classes=10, in_ch=1):
    layers, cin = [], in_ch
    for base in (32, 64, 128):
        c = max(8, int(base * width))
        for _ in range(2):
            layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            cin = c
        layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.002)
    ap.add_argument("--wd", type=float, default=0.01)
    ap.add_argument("--width", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = a.data
    xtr = torch.from_numpy(read_idx(f"{d}/train-images-idx3-ubyte.gz").astype(np.float32) / 255).sub(0.5).div(0.5).unsqueeze(1)
    ytr = torch.from_numpy(read_idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = torch.from_numpy(read_idx(f"{d}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255).sub(0.5).div(0.5).unsqueeze(1)
    yte = torch.from_numpy(read_idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = crop_vgg(a.width)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.wd)
    steps_per_epoch = math.ceil(len(xtr) / a.batch)
    total = a.epochs * steps_per_epoch
    # Cosine from lr to 0 over all steps, per step: the same curve as vigil's --schedule cosine.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s / total, 1))))
    g = torch.Generator().manual_seed(a.seed)
    train_seconds = 0.0
    acc = 0.0
    for epoch in range(a.epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(len(xtr), generator=g)
        loss_sum, right = 0.0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * a.batch:(s + 1) * a.batch]
            x, y = xtr[idx], ytr[idx]
            out = model(x)
            loss = F.cross_entropy(out, y, label_smoothing=a.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(y)
            right += (out.argmax(1) == y).sum().item()
        dt = time.perf_counter() - t0
        train_seconds += dt
        model.eval()
        with torch.no_grad():
            pred = torch.cat([model(xte[i:i + 1000]).argmax(1) for i in range(0, len(xte), 1000)])
        acc = (pred == yte).float().mean().item()
        print(json.dumps({"epoch": epoch + 1, "train_loss": loss_sum / len(xtr), "train_accuracy": right / len(xtr),
                          "test_accuracy": acc, "seconds": round(dt, 2), "images_per_second": round(len(xtr) / dt, 1)}), flush=True)
    print(json.dumps({"summary": "pytorch", "torch": torch.__version__, "threads": a.threads, "epochs": a.epochs,
                      "width": a.width, "test_accuracy": acc, "train_seconds": round(train_seconds, 1),
                      "images_per_second": round(a.epochs * len(xtr) / train_seconds, 1)}), flush=True)


if __name__ == "__main__":
    main()
