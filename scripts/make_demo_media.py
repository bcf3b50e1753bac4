#!/usr/bin/env python3
"""Writes the demo media for `scripts/dev.sh` into the given folder.

Pure standard library (zlib + struct), so a fresh machine needs nothing else:
  photo.png  640x400 RGB gradient (about 1 MB uncompressed, a few KB as PNG)
  noise.png  256x256 RGB noise (incompressible: about 200 KB, good for Range)
"""
import random
import struct
import sys
import zlib
from pathlib import Path


def png(width, height, pixel):
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "photo.png").write_bytes(png(640, 400, lambda x, y: (x * 255 // 639, y * 255 // 399, 160)))
    rng = random.Random(7)
    (out / "noise.png").write_bytes(png(256, 256, lambda x, y: (rng.randrange(256), rng.randrange(256), rng.randrange(256))))


if __name__ == "__main__":
    main()
