#!/usr/bin/env python3
"""Test images and golden crops for Vigil's "file -> network input" preprocessing.

Reference pipeline (torchvision ImageNet eval transform on a PIL image, as ImageFolder loads it):

    img = PIL.Image.open(path).convert("RGB")
    img = transforms.Resize(256)(img)        # PIL Image.resize(..., BILINEAR), shorter side -> 256
    img = transforms.CenterCrop(224)(img)
    x = transforms.Normalize(MEAN, STD)(transforms.ToTensor()(img))

torchvision is not needed: Resize/CenterCrop on a PIL image are re-stated below from
torchvision's source (see README.md), and only Pillow does the pixel work. For every input
image the script writes `<image file name>.golden.png`: the 224x224 RGB uint8 image after
convert("RGB") + Resize(256) + CenterCrop(224), i.e. exactly the bytes that ToTensor() divides
by 255. The test applies ToTensor/Normalize itself:  x = (v / 255 - MEAN[c]) / STD[c].

The script also checks Pillow's BILINEAR resize against an independent numpy re-implementation
of Pillow's fixed-point two-pass resampler (src/libImaging/Resample.c), so the semantics written
in README.md are verified against the Pillow that made the goldens.

Only Pillow and numpy are needed:
    python3 -m venv /tmp/pilvenv && /tmp/pilvenv/bin/pip install pillow numpy
    /tmp/pilvenv/bin/python Fixtures/preprocess/make_golden.py
"""
import json
import os
import sys
import warnings

import numpy as np
from PIL import Image, JpegImagePlugin, features

HERE = os.path.dirname(os.path.abspath(__file__))
RESIZE = 256
CROP = 224
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


# ----------------------------------------------------------------------------------------
# torchvision semantics, restated
# ----------------------------------------------------------------------------------------

def resized_size(w, h, size=RESIZE):
    """torchvision _compute_resized_output_size for an int size: the shorter side becomes
    `size`, the longer int(size * long / short) (truncation; equals integer floor division)."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    assert new_long == (size * long) // short
    return (new_short, new_long) if w <= h else (new_long, new_short)  # (w, h)


def tv_resize(img, size=RESIZE):
    w, h = img.size
    ow, oh = resized_size(w, h, size)
    if (ow, oh) == (w, h):  # torchvision returns the image untouched
        return img
    return img.resize((ow, oh), Image.BILINEAR)  # reducing_gap=None, box=None


def crop_anchor(w, h, crop=CROP):
    """torchvision _center_crop_compute_crop_anchor: int(round((size - crop) / 2.0)), with
    Python 3's round(): ties go to the even integer (58.5 -> 58, 59.5 -> 60)."""
    return int(round((w - crop) / 2.0)), int(round((h - crop) / 2.0))  # (left, top)


def tv_center_crop(img, crop=CROP):
    w, h = img.size
    if crop > w or crop > h:  # zero padding first (never happens after Resize(256))
        pl, pt = ((crop - w) // 2 if crop > w else 0), ((crop - h) // 2 if crop > h else 0)
        pr, pb = ((crop - w + 1) // 2 if crop > w else 0), ((crop - h + 1) // 2 if crop > h else 0)
        padded = Image.new(img.mode, (w + pl + pr, h + pt + pb), 0)
        padded.paste(img, (pl, pt))
        img = padded
        w, h = img.size
        if (w, h) == (crop, crop):
            return img
    left, top = crop_anchor(w, h, crop)
    return img.crop((left, top, left + crop, top + crop))


# ----------------------------------------------------------------------------------------
# Independent re-implementation of Pillow's 8-bit BILINEAR resample, used as a cross-check
# ----------------------------------------------------------------------------------------

PRECISION_BITS = 32 - 8 - 2


def _coeffs(in_size, out_size):
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 1.0 * filterscale            # bilinear (triangle) support 1.0, widened when shrinking
    ss = 1.0 / filterscale
    rows = []
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size)
        w = []
        for x in range(xmin, xmax):
            t = abs((x - center + 0.5) * ss)
            w.append(1.0 - t if t < 1.0 else 0.0)
        tot = sum(w)
        w = [v / tot for v in w] if tot != 0.0 else w
        fixed = [int(0.5 + v * (1 << PRECISION_BITS)) for v in w]  # all weights >= 0 here
        rows.append((xmin, np.array(fixed, dtype=np.int64)))
    return rows


def _pass(a, out_size, axis):
    """One 1-D pass along `axis` of a uint8 HxWxC array, rounded and clipped back to uint8."""
    a = np.moveaxis(a, axis, 0).astype(np.int64)
    out = np.empty((out_size,) + a.shape[1:], dtype=np.int64)
    for i, (xmin, k) in enumerate(_coeffs(a.shape[0], out_size)):
        acc = (1 << (PRECISION_BITS - 1)) + np.tensordot(k, a[xmin:xmin + len(k)], axes=(0, 0))
        out[i] = np.clip(acc >> PRECISION_BITS, 0, 255)
    return np.moveaxis(out.astype(np.uint8), 0, axis)


def reference_bilinear(a, ow, oh):
    h, w = a.shape[:2]
    if ow != w:
        a = _pass(a, ow, 1)   # horizontal first, stored as uint8
    if oh != h:
        a = _pass(a, oh, 0)   # then vertical
    return a


# ----------------------------------------------------------------------------------------
# Synthetic "photo-like" content
# ----------------------------------------------------------------------------------------

def scene(w, h, seed):
    """Smooth gradients + sinusoids, hard-edged shapes, and a few high-frequency patches
    (1-3 px stripes, a checkerboard, a noise patch) that exercise the antialiasing filter."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    u, v = x / max(w - 1, 1), y / max(h - 1, 1)
    ph = rng.uniform(0, 2 * np.pi, 6)
    img = np.stack([
        40 + 150 * u + 30 * np.sin(2 * np.pi * 1.5 * v + ph[0]),
        60 + 120 * v + 35 * np.sin(2 * np.pi * (1.2 * u + 0.7 * v) + ph[1]),
        200 - 140 * (u * v) + 25 * np.cos(2 * np.pi * 2.3 * u + ph[2]),
    ], axis=-1)
    s = min(w, h)
    # shapes with hard edges
    for _ in range(4):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.06, 0.2) * s
        img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = rng.integers(0, 256, 3)
    for _ in range(3):
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        x1, y1 = x0 + rng.integers(2, max(3, w // 4)), y0 + rng.integers(2, max(3, h // 4))
        img[y0:y1, x0:x1] = rng.integers(0, 256, 3)
    band = np.abs((y - 0.3 * h) - 0.45 * (x - 0.2 * w)) < max(1.0, s / 150)   # thin diagonal line
    img[band] = (250, 250, 245)
    # high-frequency patches
    p = max(2, s // 6)
    def patch(px, py):
        return (slice(int(py * (h - p)), int(py * (h - p)) + p), slice(int(px * (w - p)), int(px * (w - p)) + p))
    sy, sx = patch(0.1, 0.8)
    img[sy, sx] = ((x[sy, sx] % 2) * 255)[..., None]                        # 1-px vertical stripes
    sy, sx = patch(0.35, 0.85)
    img[sy, sx] = (((y[sy, sx] // 2) % 2) * 200 + 30)[..., None] * [1, 0.6, 0.2]  # 2-px horizontal stripes
    sy, sx = patch(0.6, 0.8)
    img[sy, sx] = ((((x[sy, sx] // 3) + (y[sy, sx] // 3)) % 2) * 255)[..., None]  # 3-px checkerboard
    p = max(2, s // 10)
    sy, sx = patch(0.88, 0.15)
    img[sy, sx] = rng.integers(0, 256, img[sy, sx].shape)                   # uniform noise
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def save_png(img, name):
    img.save(os.path.join(HERE, name), "PNG", optimize=True)


def make_inputs():
    made = []
    save_png(Image.fromarray(scene(451, 300, 1)), "landscape_451x300.png"); made.append("landscape_451x300.png")
    save_png(Image.fromarray(scene(300, 451, 2)), "portrait_300x451.png"); made.append("portrait_300x451.png")
    save_png(Image.fromarray(scene(97, 64, 3)), "small_97x64.png"); made.append("small_97x64.png")
    save_png(Image.fromarray(scene(256, 256, 4)), "square_256x256.png"); made.append("square_256x256.png")

    # 10x10 palette image, 16 colours (written as a 4-bit PNG), two entries transparent via tRNS
    rng = np.random.default_rng(5)
    pal = rng.integers(0, 256, (16, 3)).astype(np.uint8)
    idx = rng.integers(0, 16, (10, 10)).astype(np.uint8)
    idx[0, :] = np.arange(10)                                  # make sure many entries are used
    p = Image.fromarray(idx, "P")
    p.putpalette(pal.flatten().tolist())
    trns = bytes(255 if i not in (3, 7) else (0 if i == 3 else 128) for i in range(16))
    p.save(os.path.join(HERE, "palette_10x10.png"), "PNG", transparency=trns, bits=4, optimize=False)
    made.append("palette_10x10.png")

    gray = scene(31, 23, 6).astype(np.float64) @ [0.299, 0.587, 0.114]
    save_png(Image.fromarray(np.clip(np.rint(gray), 0, 255).astype(np.uint8), "L"), "gray_31x23.png")
    made.append("gray_31x23.png")

    rgb = scene(40, 30, 7)
    yy, xx = np.mgrid[0:30, 0:40]
    alpha = ((xx * 255) // 39 + 64 * ((yy // 5) % 2)) % 256    # ramps + bands, incl. 0 and 255
    alpha[:3, :3] = 0                                          # fully transparent, colour kept
    rgba = np.dstack([rgb, alpha.astype(np.uint8)])
    save_png(Image.fromarray(rgba, "RGBA"), "rgba_40x30.png"); made.append("rgba_40x30.png")

    Image.fromarray(scene(320, 240, 8)).save(
        os.path.join(HERE, "photo_320x240.jpg"), "JPEG", quality=90, subsampling=2,
        optimize=False, progressive=False)
    made.append("photo_320x240.jpg")
    return made


def main():
    made = make_inputs()
    manifest = {
        "pillow": None,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "resize": RESIZE, "crop": CROP, "mean": MEAN, "std": STD,
        "images": [],
    }
    import PIL
    manifest["pillow"] = PIL.__version__
    for name in made:
        path = os.path.join(HERE, name)
        with open(path, "rb") as f:
            src = Image.open(f)
            src.load()
            mode = src.mode
            if name.endswith(".jpg"):
                assert JpegImagePlugin.get_sampling(src) == 2, "expected 4:2:0"
            with warnings.catch_warnings():
                # P + tRNS -> RGB warns "should be converted to RGBA"; RGB just drops tRNS
                warnings.simplefilter("ignore", UserWarning)
                rgb = src.convert("RGB")
        w, h = rgb.size
        resized = tv_resize(rgb)
        ow, oh = resized.size
        assert (ow, oh) == resized_size(w, h)
        if (ow, oh) != (w, h):
            ref = reference_bilinear(np.asarray(rgb), ow, oh)
            diff = np.abs(ref.astype(int) - np.asarray(resized).astype(int)).max()
            assert diff == 0, f"{name}: numpy reference differs from Pillow by {diff}"
        out = tv_center_crop(resized)
        assert out.size == (CROP, CROP) and out.mode == "RGB"
        left, top = crop_anchor(ow, oh)
        golden = name + ".golden.png"
        out.save(os.path.join(HERE, golden), "PNG", optimize=True)
        # the golden PNG must round-trip exactly
        assert np.array_equal(np.asarray(Image.open(os.path.join(HERE, golden)).convert("RGB")), np.asarray(out))
        manifest["images"].append({
            "file": name, "mode": mode, "size": [w, h], "resized": [ow, oh],
            "crop_left": left, "crop_top": top, "golden": golden,
        })
        print(f"{name:24s} {mode:5s} {w}x{h} -> {ow}x{oh}, crop left={left} top={top}")
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = 0
    for fn in sorted(os.listdir(HERE)):
        sz = os.path.getsize(os.path.join(HERE, fn))
        total += sz
        print(f"  {sz:7d}  {fn}")
    print(f"  {total:7d}  total")


if __name__ == "__main__":
    sys.exit(main())
