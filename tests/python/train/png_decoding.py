"""A strict reader of the PNGs radial.train writes, for the tests (no Pillow needed)."""

from __future__ import annotations

import struct
import zlib


def decode(png: bytes) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) of an 8-bit truecolour, non-interlaced PNG with filter 0 rows, checking
    the signature, every CRC and the chunk order."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, kinds, idat = 8, [], b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position:position + 4])
        kind, data = png[position + 4:position + 8], png[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length:position + 12 + length])
        assert crc == zlib.crc32(kind + data), f"bad CRC in {kind}"
        kinds.append(kind)
        if kind == b"IHDR":
            width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", data)
            assert (depth, colour, compression, filtering, interlace) == (8, 2, 0, 0, 0)
        idat += data if kind == b"IDAT" else b""
        position += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + 3 * width)
    rows = [raw[y * (1 + 3 * width):(y + 1) * (1 + 3 * width)] for y in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, b"".join(row[1:] for row in rows)
