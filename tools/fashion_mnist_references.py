#!/usr/bin/env python3
"""Writes the first N Fashion-MNIST test images (28x28 grey, what the bundled generator draws) as
PNG reference images into DIR, with nothing but the standard library.

    /usr/bin/python3 tools/fashion_mnist_references.py DIR [N]
"""
import gzip
import struct
import sys
import zlib


def png(width, height, rows):
    chunk = lambda tag, data: (struct.pack(">I", len(data)) + tag + data
                               + struct.pack(">I", zlib.crc32(tag + data)))
    raw = b"".join(b"\0" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
        magic, total, h, w = struct.unpack(">IIII", f.read(16))
        for k in range(count):
            pixels = f.read(h * w)
            with open(f"{out}/fmnist{k}.png", "wb") as image:
                image.write(png(w, h, [pixels[r * w:(r + 1) * w] for r in range(h)]))


if __name__ == "__main__":
    main()
