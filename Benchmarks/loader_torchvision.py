#!/usr/bin/env python3
"""The torchvision reference for `vigil-bench loader`: the same 1280×720 JPEGs decoded with
torchvision.io, a 224×224 RandomResizedCrop and the closest transforms v2 has to Vigil's
driving preset (affine, colour jitter, Gaussian blur for rain/motion softening, Gaussian
noise, JPEG re-compression; torchvision has no rain, fog, night, glare or shadow steps), then
float conversion and normalisation, batched by a DataLoader with 0 workers (1 thread) or
2 worker processes (2 threads).

Usage: loader_torchvision.py FOLDER [EPOCHS]   (prints images/s per setting)
"""
import glob
import os
import sys
import time

import torch
import torchvision
from torchvision.io import ImageReadMode, decode_jpeg, read_file
from torchvision.transforms import v2

torch.set_num_threads(1)


class Photos(torch.utils.data.Dataset):
    def __init__(self, files):
        self.files = files
        self.t = v2.Compose([
            v2.RandomResizedCrop(224, scale=(0.08, 1.0), antialias=True),
            v2.RandomApply([v2.RandomAffine(degrees=5, translate=(0.05, 0.05), scale=(0.9, 1.1), shear=3)], p=0.5),
            v2.ColorJitter(0.3, 0.3, 0.3, 0.02),
            v2.RandomApply([v2.GaussianBlur(9, sigma=(0.5, 2.0))], p=0.4),
            v2.RandomApply([v2.JPEG((40, 90))], p=0.2),
            v2.ToDtype(torch.float32, scale=True),
            v2.RandomApply([v2.GaussianNoise(sigma=0.02)], p=0.3),
            v2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ])

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        return self.t(decode_jpeg(read_file(self.files[i]), mode=ImageReadMode.RGB)), 0


def main():
    folder = sys.argv[1]
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    files = sorted(glob.glob(os.path.join(folder, "*.jpg")))
    print(f"torchvision {torchvision.__version__}: {len(files)} JPEGs, {epochs} epochs, batch 32")
    for workers in (0, 2):
        loader = torch.utils.data.DataLoader(Photos(files), batch_size=32, shuffle=True, num_workers=workers,
                                             persistent_workers=workers > 0)
        n = 0
        t0 = time.perf_counter()
        for _ in range(epochs):
            for x, _ in loader:
                n += x.shape[0]
        dt = time.perf_counter() - t0
        print(f"threads {max(workers, 1)}: {n / dt:.1f} images/s ({n} images in {dt:.2f} s)")


if __name__ == "__main__":
    main()
