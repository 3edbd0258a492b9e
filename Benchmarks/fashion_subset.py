"""Writes a small labelled image set from Debian's Fashion-MNIST IDX files, as PNG files in
train/, val/ and test/ class folders (standard library only), for fine-tuning benchmarks:

    python3 Benchmarks/fashion_subset.py OUT --train 40 --val 20 --test 50

takes the first N images of each class (train and val from the training file, disjoint;
test from the t10k file).
"""
import argparse, gzip, os, struct, zlib

CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]


def read_idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return dims, raw[4 + 4 * rank:]


def png_gray(width, height, pixels):
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def export(images, labels, parts, out):
    (n, h, w), pix = images
    _, lab = labels
    taken = {}
    for i in range(n):
        c = lab[i]
        k = taken.get(c, 0)
        taken[c] = k + 1
        start = 0
        for name, count in parts:
            if start <= k < start + count:
                folder = os.path.join(out, name, CLASSES[c])
                os.makedirs(folder, exist_ok=True)
                with open(os.path.join(folder, f"{i:05d}.png"), "wb") as f:
                    f.write(png_gray(w, h, pix[i * h * w:(i + 1) * h * w]))
            start += count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--train", type=int, default=40)
    ap.add_argument("--val", type=int, default=20)
    ap.add_argument("--test", type=int, default=50)
    a = ap.parse_args()
    d = a.data
    export(read_idx(f"{d}/train-images-idx3-ubyte.gz"), read_idx(f"{d}/train-labels-idx1-ubyte.gz"),
           [("train", a.train), ("val", a.val)], a.out)
    export(read_idx(f"{d}/t10k-images-idx3-ubyte.gz"), read_idx(f"{d}/t10k-labels-idx1-ubyte.gz"), [("test", a.test)], a.out)


if __name__ == "__main__":
    main()
