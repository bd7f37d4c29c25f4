"""The loss curve as a PNG, with no plotting dependency: a tiny RGB canvas (lines, a 3x5 digit font)
and a PNG encoder (zlib and CRC-32 from the standard library)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Sequence, Union

Color = tuple[int, int, int]
WHITE, BLACK, GRID = (255, 255, 255), (0, 0, 0), (225, 225, 225)
RAW, SMOOTH = (160, 190, 230), (20, 70, 160)

# 3 columns x 5 rows per glyph: enough to label the axes with numbers such as 0.0123, 1.2e-05, 300.
_FONT = {
    "0": ("###", "#.#", "#.#", "#.#", "###"), "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"), "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"), "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"), "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"), "9": ("###", "#.#", "###", "..#", "###"),
    ".": ("...", "...", "...", "...", ".#."), "-": ("...", "...", "###", "...", "..."),
    "+": ("...", ".#.", "###", ".#.", "..."), "e": ("###", "#..", "##.", "#..", "###"),
}


def encode_png(rgb: bytes, width: int, height: int) -> bytes:
    """An 8-bit RGB PNG of ``height`` rows of ``width`` pixels (``rgb``: 3 bytes a pixel, row-major)."""
    if len(rgb) != 3 * width * height:
        raise ValueError(f"rgb: expected {3 * width * height} bytes for {width}x{height}, got {len(rgb)}")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    stride = 3 * width
    # Filter type 0 (none) before every row; zlib does the compressing.
    raw = b"".join(b"\x00" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit, truecolour, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


class Canvas:
    """``width x height`` RGB pixels, origin top left."""

    def __init__(self, width: int, height: int, background: Color = WHITE):
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def set(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            i = 3 * (y * self.width + x)
            self.pixels[i:i + 3] = bytes(color)

    def line(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Bresenham's line, both ends included."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        error = dx + dy
        while True:
            self.set(x0, y0, color)
            if (x0, y0) == (x1, y1):
                return
            twice = 2 * error
            if twice >= dy:
                error, x0 = error + dy, x0 + sx
            if twice <= dx:
                error, y0 = error + dx, y0 + sy

    def text(self, x: int, y: int, label: str, color: Color = BLACK, scale: int = 2) -> None:
        """Draws ``label`` (digits, '.', '-', '+', 'e') with its top-left corner at (x, y)."""
        for glyph in label:
            for row, bits in enumerate(_FONT[glyph]):
                for column, bit in enumerate(bits):
                    if bit == "#":
                        for u in range(scale):
                            for v in range(scale):
                                self.set(x + column * scale + u, y + row * scale + v, color)
            x += 4 * scale

    def png(self) -> bytes:
        return encode_png(bytes(self.pixels), self.width, self.height)


def text_width(label: str, scale: int = 2) -> int:
    return 4 * scale * len(label) - scale


def moving_average(values: Sequence[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value - (values[i - window] if i >= window else 0.0)
        out.append(total / min(i + 1, window))
    return out


def loss_curve_png(losses: Sequence[float], width: int = 640, height: int = 360) -> bytes:
    """Loss per step (light) and its moving average over a tenth of the run (dark); the y axis is
    labelled with its range, the x axis with the first and last step."""
    canvas = Canvas(width, height)
    left, right, top, bottom = 80, width - 20, 20, height - 30  # room for labels such as 2.32e-05
    canvas.line(left, top, left, bottom, BLACK)
    canvas.line(left, bottom, right, bottom, BLACK)
    if losses:
        low, high = min(losses), max(losses)
        if high - low < 1e-12:
            low, high = low - 0.5, high + 0.5

        def to_pixel(i: int, value: float) -> tuple[int, int]:
            x = left + 1 + round((right - left - 1) * (i / max(len(losses) - 1, 1)))
            y = bottom - 1 - round((bottom - top - 1) * (value - low) / (high - low))
            return x, y

        for quarter in range(1, 4):
            y = bottom - (bottom - top) * quarter // 4
            canvas.line(left + 1, y, right, y, GRID)
        smooth = moving_average(losses, max(1, len(losses) // 10))
        for series, color in ((losses, RAW), (smooth, SMOOTH)):
            points = [to_pixel(i, v) for i, v in enumerate(series)]
            for (x0, y0), (x1, y1) in zip(points, points[1:] or points):
                canvas.line(x0, y0, x1, y1, color)
        for value, y in ((high, top), (low, bottom - 10)):
            label = f"{value:.3g}"
            canvas.text(left - 6 - text_width(label), y, label)
        canvas.text(left, bottom + 8, "1")
        last = str(len(losses))
        canvas.text(right - text_width(last), bottom + 8, last)
    return canvas.png()


def write_loss_curve(path: Union[str, Path], losses: Sequence[float]) -> Path:
    path = Path(path)
    path.write_bytes(loss_curve_png(losses))
    return path
