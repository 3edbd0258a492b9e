#!/usr/bin/env python3
"""Generates Vigil's codec fixtures. Standard library only, plus a C compiler and
libjpeg (libjpeg-dev) for the JPEGs.

PNGs are written by the small encoder below (zlib + struct, filter 0, optional Adam7),
so the PNG tests compare libpng's decoding against an independent writer. JPEGs are
written by tools/jpegfix.c, straight through libjpeg. Pixel patterns are mirrored in
Tests/ImageIOTests/FixturePatterns.swift; change both together.

Usage: python3 Fixtures/generate.py   (rewrites Fixtures/png, Fixtures/jpeg, Fixtures/bad)
"""
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def v16(x, y, c):
    """The PNG test pattern: a scrambled 16-bit value per sample."""
    return ((x * 4099 + y * 7919 + c * 21011 + 1234) * 40503) & 0xFFFF


def value(x, y, c, depth):
    return v16(x, y, c) >> (16 - depth)


def palette_entry(i):
    return ((i * 37 + 5) % 256, (i * 91 + 17) % 256, (i * 151 + 29) % 256)


def trns_alpha(i):
    return (i * 53 + 7) % 256


CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, depth):
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    out, acc, nbits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_bytes(width, height, color_type, depth, sample, interlace=False, plte=None, trns=None):
    """sample(x, y, c) gives the stored sample (palette index for colour type 3)."""
    ch = CHANNELS[color_type]
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for (x0, y0, dx, dy) in passes:
        xs = list(range(x0, width, dx))
        ys = list(range(y0, height, dy))
        if not xs or not ys:
            continue
        for y in ys:
            raw.append(0)  # filter type None
            raw += pack_row([sample(x, y, c) for x in xs for c in range(ch)], depth)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if plte is not None:
        out += chunk(b"PLTE", plte)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    return out


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_pngs(d):
    W, H = 13, 7
    for depth in (1, 2, 4, 8, 16):
        write(f"{d}/gray{depth}.png", png_bytes(W, H, 0, depth, lambda x, y, c, dp=depth: value(x, y, c, dp)))
    for depth in (8, 16):
        for ct, name in ((4, "gray_alpha"), (2, "rgb"), (6, "rgba")):
            write(f"{d}/{name}{depth}.png", png_bytes(W, H, ct, depth, lambda x, y, c, dp=depth: value(x, y, c, dp)))
    for depth in (1, 2, 4, 8):
        n = 1 << depth
        plte = b"".join(bytes(palette_entry(i)) for i in range(n))
        idx = lambda x, y, c, dp=depth: value(x, y, 0, dp)
        write(f"{d}/palette{depth}.png", png_bytes(W, H, 3, depth, idx, plte=plte))
        # tRNS shorter than the palette: entries past it are opaque.
        k = max(1, n // 2 + 1) if n > 2 else 1
        trns = bytes(trns_alpha(i) for i in range(min(k, n)))
        write(f"{d}/palette{depth}_trns.png", png_bytes(W, H, 3, depth, idx, plte=plte, trns=trns))
    # Gray and RGB with a tRNS colour key: the sample value at (0, 0) becomes transparent.
    key = value(0, 0, 0, 8)
    write(f"{d}/gray8_trns.png", png_bytes(W, H, 0, 8, lambda x, y, c: value(x, y, c, 8), trns=struct.pack(">H", key)))
    keyrgb = [value(0, 0, c, 8) for c in range(3)]
    write(f"{d}/rgb8_trns.png", png_bytes(W, H, 2, 8, lambda x, y, c: value(x, y, c, 8), trns=struct.pack(">HHH", *keyrgb)))
    # Adam7 interlaced.
    IW, IH = 11, 9
    write(f"{d}/rgb8_adam7.png", png_bytes(IW, IH, 2, 8, lambda x, y, c: value(x, y, c, 8), interlace=True))
    write(f"{d}/gray1_adam7.png", png_bytes(IW, IH, 0, 1, lambda x, y, c: value(x, y, c, 1), interlace=True))
    write(f"{d}/rgba16_adam7.png", png_bytes(IW, IH, 6, 16, lambda x, y, c: value(x, y, c, 16), interlace=True))


def make_jpegs(d):
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "jpegfix")
        subprocess.run(["cc", "-O1", "-o", exe, os.path.join(HERE, "tools", "jpegfix.c"), "-ljpeg", "-lm"], check=True)
        subprocess.run([exe, d], check=True)


def make_bad(d, png_dir, jpeg_dir):
    os.makedirs(d, exist_ok=True)
    write(f"{d}/empty.png", b"")
    write(f"{d}/empty.jpg", b"")
    png = open(f"{png_dir}/rgb8.png", "rb").read()
    for cut in (5, 8, 20, 33, len(png) // 2, len(png) - 12, len(png) - 1):
        write(f"{d}/png_truncated_{cut}.png", png[:cut])
    # Flip one byte inside the IDAT payload without fixing its CRC: zlib notices first.
    i = png.index(b"IDAT") + 4 + 10
    write(f"{d}/png_bad_idat.png", png[:i] + bytes([png[i] ^ 0xFF]) + png[i + 1:])
    # Intact IDAT payload, wrong CRC.
    start = png.index(b"IDAT") - 4
    length = struct.unpack(">I", png[start:start + 4])[0]
    crc_at = start + 8 + length
    write(f"{d}/png_bad_crc.png", png[:crc_at] + bytes([png[crc_at] ^ 0x55]) + png[crc_at + 1:])
    # A header that declares 100000 × 100000 RGB (valid CRC), followed by a tiny IDAT.
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    write(f"{d}/png_huge_header.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
          + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    jpg = open(f"{jpeg_dir}/rgb_640x480.jpg", "rb").read()
    for cut in (2, 40, 400, len(jpg) // 2, len(jpg) - 2):
        write(f"{d}/jpeg_truncated_{cut}.jpg", jpg[:cut])
    # SOF0 claiming 12-bit precision: valid syntax, not decodable by an 8-bit libjpeg.
    small = open(f"{jpeg_dir}/rgb_baseline_444.jpg", "rb").read()
    sof = small.index(b"\xff\xc0")
    write(f"{d}/jpeg_12bit.jpg", small[:sof + 4] + b"\x0c" + small[sof + 5:])
    # SOF0 with zero components.
    write(f"{d}/jpeg_bad_sof.jpg", small[:sof + 9] + b"\x00" + small[sof + 10:])
    rng = random.Random(20261130)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    assert noise[:2] != b"\xff\xd8" and noise[:4] != b"\x89PNG"
    write(f"{d}/random_bytes.jpg", noise)
    write(f"{d}/notes.txt", b"This is a text file, not an image.\n")
    write(f"{d}/text_named.png", b"PNG files start with a signature; this one does not.\n")


def main():
    png_dir, jpeg_dir, bad_dir = (os.path.join(HERE, n) for n in ("png", "jpeg", "bad"))
    for p in (png_dir, jpeg_dir, bad_dir):
        shutil.rmtree(p, ignore_errors=True)
    make_pngs(png_dir)
    make_jpegs(jpeg_dir)
    make_bad(bad_dir, png_dir, jpeg_dir)
    for p in (png_dir, jpeg_dir, bad_dir):
        print(f"{os.path.relpath(p, HERE)}: {len(os.listdir(p))} files", file=sys.stderr)


if __name__ == "__main__":
    main()
