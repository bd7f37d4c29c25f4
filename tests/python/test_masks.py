"""The mask API: radial.mask / mask_for / read_mask / RadialMask, against the reference's vectors and
the command-line tool's .mask output (both compared exactly)."""

from __future__ import annotations

import subprocess

import pytest
import torch

import radial


def csr_from_dense(dense: torch.Tensor) -> tuple[list[int], list[int]]:
    offsets, indices = [0], []
    for row in dense:
        cols = torch.nonzero(row).flatten().tolist()
        indices += cols
        offsets.append(len(indices))
    return offsets, indices


def test_mask_fields_agree_with_dense():
    m = radial.mask(frames=7, tokens_per_frame=300, text_tokens=50, decay=0.5, sink=True)
    dense = m.dense()
    assert dense.dtype == torch.bool and dense.shape == (m.num_blocks, m.num_blocks)
    assert m.seq_len == 7 * 300 + 50
    assert m.num_blocks == -(-m.seq_len // 128)
    assert m.nnz == int(dense.sum())
    assert m.density == pytest.approx(m.nnz / m.num_blocks**2)
    offsets, indices = csr_from_dense(dense)
    assert m.row_offsets.tolist() == offsets and m.col_indices.tolist() == indices
    col_offsets, row_indices = csr_from_dense(dense.t())
    assert m.col_offsets.tolist() == col_offsets and m.row_indices.tolist() == row_indices
    for t in m.index:
        assert t.dtype == torch.int32 and t.device.type == "cpu" and t.is_contiguous()


def test_mask_is_cached_per_full_argument_list():
    a = radial.mask(frames=4, tokens_per_frame=200)
    assert radial.mask(frames=4, tokens_per_frame=200, text_tokens=0, decay=1, sink=False) is a
    others = [
        radial.mask(frames=5, tokens_per_frame=200),
        radial.mask(frames=4, tokens_per_frame=201),
        radial.mask(frames=4, tokens_per_frame=200, text_tokens=1),
        radial.mask(frames=4, tokens_per_frame=200, decay=0.5),
        radial.mask(frames=4, tokens_per_frame=200, sink=True),
        radial.mask(frames=4, tokens_per_frame=200, block_size=64),
    ]
    assert all(o is not a for o in others)
    assert len({id(o) for o in others}) == len(others)


def test_mask_for_matches_explicit_layout():
    m = radial.mask_for("wan2.1-t2v-14b", height=720, width=1280, num_frames=81)
    assert m.spec == radial.MaskSpec(frames=21, tokens_per_frame=3600, text_tokens=0, decay=0.2, sink=True)
    assert m is radial.mask(frames=21, tokens_per_frame=3600, decay=0.2, sink=True)
    assert m.seq_len == 75600
    assert m.density == pytest.approx(0.2647, abs=1e-3)  # the reference's mask (docs/anchors.md)
    longer = radial.mask_for("wan2.1-t2v-14b", height=720, width=1280, num_frames=85)
    assert longer is not m and longer.spec.frames == 22
    h = radial.mask_for("hunyuanvideo", height=720, width=1280, num_frames=117)
    assert (h.spec.frames, h.spec.text_tokens, h.spec.sink) == (30, 256, False)
    assert radial.mask_for("hunyuanvideo", height=720, width=1280, num_frames=117, text_tokens=0).seq_len == 108000


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(frames=0, tokens_per_frame=10), "frames"),
        (dict(frames=2, tokens_per_frame=0), "tokens_per_frame"),
        (dict(frames=2, tokens_per_frame=10, text_tokens=-1), "text_tokens"),
        (dict(frames=2, tokens_per_frame=10, decay=0.0), "decay"),
        (dict(frames=2, tokens_per_frame=10, decay=float("nan")), "decay"),
        (dict(frames=2, tokens_per_frame=10, block_size=100), "block_size"),
    ],
)
def test_mask_rejects_bad_values(kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument}: expected"):
        radial.mask(**kwargs)


@pytest.mark.parametrize("kwargs, argument", [(dict(frames=2.0, tokens_per_frame=10), "frames"),
                                               (dict(frames=2, tokens_per_frame="10"), "tokens_per_frame"),
                                               (dict(frames=2, tokens_per_frame=10, decay="1"), "decay")])
def test_mask_rejects_bad_types(kwargs, argument):
    with pytest.raises(TypeError, match=rf"^{argument}: expected"):
        radial.mask(**kwargs)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        (dict(height=721, width=1280, num_frames=81), "height"),
        (dict(height=720, width=1000, num_frames=81), "width"),
        (dict(height=720, width=1280, num_frames=80), "num_frames"),
        (dict(height=720, width=1280, num_frames=81, text_tokens=5), "text_tokens"),
    ],
)
def test_mask_for_rejects_bad_sizes(kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument}: expected"):
        radial.mask_for("wan2.1-t2v-14b", **kwargs)


def test_mask_for_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"^preset: expected one of .*hunyuanvideo.*, got 'sora'"):
        radial.mask_for("sora", height=720, width=1280, num_frames=81)


def test_presets_and_schedules():
    names = [p.name for p in radial.presets()]
    assert {"wan2.1-t2v-14b", "wan2.2-t2v-a14b", "hunyuanvideo", "mochi-1"} <= set(names)
    base = radial.configure_preset("hunyuanvideo", height=720, width=1280, num_frames=117)
    assert (base.decay, base.schedule.dense_steps, base.extended_length) == (0.95, 12, False)
    assert base.seq_len == 30 * 3600 + 256
    extended = radial.configure_preset("hunyuanvideo", height=720, width=1280, num_frames=509)
    assert extended.extended_length and extended.frames == 128 and extended.decay == 1.0


def test_from_dense_round_trips(generator):
    dense = torch.rand(5, 5, generator=generator) < 0.4
    m = radial.RadialMask.from_dense(dense, seq_len=600)
    assert m.spec is None and m.num_blocks == 5 and m.seq_len == 600
    assert torch.equal(m.dense(), dense)
    assert m.nnz == int(dense.sum())


def test_from_dense_rejects_wrong_shape_and_dtype():
    with pytest.raises(ValueError, match=r"^mask: expected shape \[3, 3\]"):
        radial.RadialMask.from_dense(torch.ones(4, 4, dtype=torch.bool), seq_len=300)
    with pytest.raises(TypeError, match=r"^mask: expected dtype torch.bool"):
        radial.RadialMask.from_dense(torch.ones(3, 3), seq_len=300)


def test_to_device_uploads_once(device):
    m = radial.mask(frames=3, tokens_per_frame=150)
    on_device = m.to(device)
    assert m.to(device).index is on_device.index  # one upload per device, shared
    assert on_device.to("cpu").index is m.index
    assert all(t.device.type == device.type for t in on_device.index)
    assert torch.equal(on_device.dense().cpu(), m.dense())


def read_vector(path):
    """A .mask file, parsed here independently of the C++ reader: (header fields, bool [nb, nb])."""
    header_line, *rows = path.read_text().splitlines()
    header = dict(field.split("=", 1) for field in header_line.split())
    dense = torch.tensor([[c == "1" for c in row] for row in rows if row], dtype=torch.bool)
    return header, dense


def test_mask_matches_reference_vectors(mask_vectors):
    paths = sorted(mask_vectors.glob("*.mask"))
    assert paths, f"no .mask files in {mask_vectors}"
    for path in paths:
        header, dense = read_vector(path)
        m = radial.mask(
            frames=int(header["frames"]),
            tokens_per_frame=int(header["tokens_per_frame"]),
            text_tokens=int(header["text_tokens"]),
            decay=float(header["decay"]),
            sink=header["model"] == "wan",
            block_size=int(header["block"]),
        )
        assert m.num_blocks == int(header["blocks"]), path.name
        assert torch.equal(m.dense(), dense), path.name
        assert torch.equal(radial.read_mask(path).dense(), dense), path.name


@pytest.mark.parametrize(
    "cli_args, kwargs",
    [
        (["--frames", "9", "--tokens-per-frame", "300", "--text-tokens", "77", "--decay", "0.4", "--sink"],
         dict(frames=9, tokens_per_frame=300, text_tokens=77, decay=0.4, sink=True)),
        (["--frames", "16", "--tokens-per-frame", "64"], dict(frames=16, tokens_per_frame=64)),
        (["--preset", "hunyuanvideo", "--height", "320", "--width", "512", "--num-frames", "33"],
         dict(preset="hunyuanvideo", height=320, width=512, num_frames=33)),
    ],
)
def test_mask_matches_cli(radial_cli, tmp_path, cli_args, kwargs):
    out = tmp_path / "cli.mask"
    subprocess.run([radial_cli, "mask", *cli_args, "--out", str(out)], check=True, capture_output=True)
    m = radial.mask_for(**kwargs) if "preset" in kwargs else radial.mask(**kwargs)
    _, dense = read_vector(out)
    assert torch.equal(m.dense(), dense)
    mine = tmp_path / "python.mask"
    m.write(mine)
    assert mine.read_text() == out.read_text()


def test_write_png(tmp_path):
    path = tmp_path / "mask.png"
    radial.mask(frames=8, tokens_per_frame=256, sink=True).write_png(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_read_mask_errors_name_the_path(tmp_path):
    missing = tmp_path / "missing.mask"
    with pytest.raises(ValueError, match=r"^path: expected a readable .mask file"):
        radial.read_mask(missing)
    bad = tmp_path / "bad.mask"
    bad.write_text("frames=1 tokens_per_frame=10 text_tokens=0 block=128 decay=1.0 model=wan blocks=1 density=1\n2\n")
    with pytest.raises(ValueError, match=rf"^{bad}: expected only '0' and '1' in mask rows"):
        radial.read_mask(bad)


def test_write_requires_radial_parameters(tmp_path):
    with pytest.raises(ValueError, match=r"^mask: expected a radial mask"):
        radial.RadialMask.from_dense(torch.ones(1, 1, dtype=torch.bool), seq_len=5).write(tmp_path / "x.mask")


def test_empty_rows_are_counted():
    # 4 x 8 tokens a frame: no frame pair fills a third of a block, so nothing of the video survives.
    tiny = radial.mask_for("wan2.1-t2v-14b", height=64, width=128, num_frames=45)
    assert tiny.empty_rows == tiny.num_blocks == 3 and tiny.density == 0.0
    assert radial.mask_for("wan2.1-t2v-14b", height=720, width=1280, num_frames=81).empty_rows == 0
    dense = torch.tensor([[True, False], [False, False]])
    assert radial.RadialMask.from_dense(dense, seq_len=200).empty_rows == 1
