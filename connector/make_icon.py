"""Draws the connector's icon, ``connector/icon.png``: a white speech bubble with three dots on
the brand colour of ``apiProperties.json`` (230 x 230, opaque, as certification asks).

Standard library only (zlib + struct), so it needs nothing beyond Python:

    .venv/bin/python connector/make_icon.py
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICON = ROOT / "connector" / "icon.png"
SIZE = 230
SAMPLES = 4  # supersampling per axis, for smooth edges


def brand_colour() -> tuple[int, int, int]:
    value = json.loads((ROOT / "apiProperties.json").read_text())["properties"]["iconBrandColor"].lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def inside_rounded_rect(x: float, y: float, left: float, top: float, right: float, bottom: float,
                        radius: float) -> bool:
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2


def inside_triangle(x: float, y: float, a: tuple[float, float], b: tuple[float, float],
                    c: tuple[float, float]) -> bool:
    def side(p: tuple[float, float], q: tuple[float, float]) -> float:
        return (x - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (y - q[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def coverage(x: float, y: float) -> tuple[float, float]:
    """(bubble, dot) membership of one sample point: 1 inside, 0 outside."""
    bubble = inside_rounded_rect(x, y, 40, 52, 190, 152, 30) or inside_triangle(x, y, (70, 140), (112, 140),
                                                                                (58, 184))
    dot = any((x - cx) ** 2 + (y - 102) ** 2 <= 11 ** 2 for cx in (80, 115, 150))
    return float(bubble), float(dot)


def pixels() -> bytes:
    bg = brand_colour()
    white = (255, 255, 255)
    rows = bytearray()
    step = 1 / SAMPLES
    for py in range(SIZE):
        rows.append(0)  # filter: none
        for px in range(SIZE):
            b = d = 0.0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    cb, cd = coverage(px + (sx + 0.5) * step, py + (sy + 0.5) * step)
                    b += cb
                    d += cd * cb
            b /= SAMPLES * SAMPLES
            d /= SAMPLES * SAMPLES
            white_share = b - d  # the dots are brand colour again
            rows.extend(round(bg[i] * (1 - white_share) + white[i] * white_share) for i in range(3))
    return bytes(rows)


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no alpha
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> int:
    ICON.write_bytes(png(SIZE, SIZE, pixels()))
    print(f"wrote {ICON} ({ICON.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
