"""The loss curve is a valid PNG: every chunk's CRC, the header, the decompressed rows, and pixels
where the curve is drawn."""

from __future__ import annotations

import pytest
from png_decoding import decode

from radial.train.png import SMOOTH, Canvas, encode_png, loss_curve_png, write_loss_curve


def test_encoded_pixels_decode_back():
    canvas = Canvas(5, 3)
    canvas.line(0, 0, 4, 2, (10, 20, 30))
    width, height, rgb = decode(canvas.png())
    assert (width, height) == (5, 3) and rgb == bytes(canvas.pixels)
    assert rgb[0:3] == bytes((10, 20, 30)) and rgb[-3:] == bytes((10, 20, 30))
    with pytest.raises(ValueError, match="rgb: expected 45 bytes for 5x3, got 3"):
        encode_png(b"abc", 5, 3)


@pytest.mark.parametrize("losses", [[2.5, 2.1, 1.7, 1.8, 1.2, 0.9], [0.5], [1e-5, 3e-6, 2e-6]])
def test_loss_curve_is_a_valid_png_with_the_curve_drawn(tmp_path, losses):
    path = write_loss_curve(tmp_path / "loss.png", losses)
    width, height, rgb = decode(path.read_bytes())
    assert (width, height) == (640, 360)
    assert bytes(SMOOTH) in {rgb[i:i + 3] for i in range(0, len(rgb), 3)}


def test_pillow_reads_it_when_installed(tmp_path):
    image_module = pytest.importorskip("PIL.Image", reason="Pillow is optional: the PNG's own checks run above")
    with image_module.open(write_loss_curve(tmp_path / "loss.png", [3.0, 2.0, 1.5])) as image:
        image.load()
        assert image.size == (640, 360) and image.mode == "RGB"


def test_empty_history_still_draws_axes():
    width, height, _ = decode(loss_curve_png([]))
    assert (width, height) == (640, 360)
