"""Radial block masks: built once per arguments on the CPU, uploaded once per device.

A mask over a sequence of ``S`` tokens in blocks of ``block_size`` has ``nb = ceil(S / block_size)``
block rows and columns; block ``(r, c)`` kept means query block ``r`` attends to key block ``c``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple, Optional, Union

import torch

from radial._ext import _C
from radial.presets import configure_preset

DEFAULT_BLOCK_SIZE: int = _C.DEFAULT_BLOCK_SIZE

DeviceLike = Union[torch.device, str, int]


@dataclass(frozen=True)
class MaskSpec:
    """Everything a radial mask is a function of (the cache key)."""

    frames: int
    tokens_per_frame: int
    text_tokens: int = 0
    decay: float = 1.0
    sink: bool = False
    block_size: int = DEFAULT_BLOCK_SIZE

    @property
    def seq_len(self) -> int:
        return self.frames * self.tokens_per_frame + self.text_tokens


class BlockIndex(NamedTuple):
    """The block-sparse layout as int32 tensors on one device: what the operators take.

    row_offsets ``[nb + 1]`` and col_indices ``[nnz]``: CSR (forward, dQ), ascending key blocks per row;
    col_offsets ``[nb + 1]`` and row_indices ``[nnz]``: CSC (dK, dV), ascending query blocks per column.
    """

    row_offsets: torch.Tensor
    col_indices: torch.Tensor
    col_offsets: torch.Tensor
    row_indices: torch.Tensor


def _int32_tensor(data: bytearray) -> torch.Tensor:
    return torch.frombuffer(data, dtype=torch.int32) if len(data) else torch.empty(0, dtype=torch.int32)


class _HostMask:
    """The CPU-side state one mask's device copies share: the bit mask, its layout, the uploads."""

    def __init__(self, block_mask: "_C.BlockMask", seq_len: int, block_size: int, spec: Optional[MaskSpec] = None):
        self.block_mask = block_mask
        self.layout = _C.BlockSparseLayout(block_mask, seq_len, block_size)
        # A radial mask also carries its two-pass plans (the Hopper forward and backward use them at long
        # lengths): (forward, backward), or (None, None).
        schedules: tuple[Optional[torch.Tensor], Optional[torch.Tensor]] = (None, None)
        if spec is not None:
            sequence, params = _core_spec(spec)
            schedules = (_int32_tensor(_C.build_forward_schedule(self.layout, sequence, params)),
                         _int32_tensor(_C.build_backward_schedule(self.layout, sequence, params)))
        self.schedules: dict[torch.device, tuple[Optional[torch.Tensor], Optional[torch.Tensor]]] = {
            torch.device("cpu"): schedules}
        cpu = BlockIndex(
            _int32_tensor(self.layout.row_offsets()),
            _int32_tensor(self.layout.col_indices()),
            _int32_tensor(self.layout.col_offsets()),
            _int32_tensor(self.layout.row_indices()),
        )
        self.uploads: dict[torch.device, BlockIndex] = {torch.device("cpu"): cpu}

    def index_on(self, device: torch.device) -> BlockIndex:
        # No lock: two threads racing on a first upload both copy, and setdefault keeps one.
        index = self.uploads.get(device)
        if index is None:
            cpu = self.uploads[torch.device("cpu")]
            index = self.uploads.setdefault(device, BlockIndex(*(t.to(device) for t in cpu)))
        return index

    def schedules_on(self, device: torch.device) -> tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        if device not in self.schedules:
            cpu = self.schedules[torch.device("cpu")]
            self.schedules.setdefault(device, tuple(t.to(device) if t is not None else None for t in cpu))
        return self.schedules[device]


def _normalize_device(device: DeviceLike) -> torch.device:
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    return device


class RadialMask:
    """A block mask with its block-sparse layout (CSR and CSC), on one device.

    Built by :func:`mask`, :func:`mask_for`, :func:`read_mask` or :meth:`from_dense`. ``.to(device)``
    returns the same mask with its index tensors on ``device``, uploaded once per device and shared.

    Attributes:
      spec: the radial parameters it was built from, or ``None`` for a mask given as a dense tensor.
      seq_len: tokens ``S`` the mask covers (the last block may be partial).
      block_size: tokens per block, both ways.
      num_blocks: ``nb = ceil(S / block_size)``.
      device: where :attr:`index` lives.
      forward_schedule: for a radial mask, its two-pass forward plan, int32 on :attr:`device` (near blocks
        in row order, then far blocks position first; radial/two_pass_plans.hpp); ``None`` otherwise.
      backward_schedule: the same over the mask's columns, for the backward's dK/dV kernel; ``None`` for
        a mask that is not radial.
    """

    def __init__(self, host: _HostMask, spec: Optional[MaskSpec], device: torch.device):
        self._host = host
        self.spec = spec
        self.device = device
        self.index: BlockIndex = host.index_on(device)
        self.forward_schedule, self.backward_schedule = host.schedules_on(device)

    @classmethod
    def from_dense(cls, block_mask: torch.Tensor, seq_len: int, block_size: int = DEFAULT_BLOCK_SIZE) -> "RadialMask":
        """Any block mask, bool ``[nb, nb]`` with ``nb = ceil(seq_len / block_size)`` (not cached)."""
        if not isinstance(block_mask, torch.Tensor):
            raise TypeError(f"mask: expected a bool tensor [nb, nb] or a RadialMask, got {type(block_mask).__name__}")
        if block_mask.dtype != torch.bool:
            raise TypeError(f"mask: expected dtype torch.bool, got {block_mask.dtype}")
        nb = -(-seq_len // block_size)
        if block_mask.shape != (nb, nb):
            raise ValueError(
                f"mask: expected shape [{nb}, {nb}] (ceil({seq_len} / {block_size}) blocks of the sequence),"
                f" got {list(block_mask.shape)}"
            )
        dense = block_mask.detach().to("cpu", torch.uint8).contiguous()
        bits = _C.BlockMask.from_dense(dense.data_ptr(), nb)
        return cls(_HostMask(bits, seq_len, block_size), None, _normalize_device(block_mask.device))

    def to(self, device: DeviceLike) -> "RadialMask":
        """This mask with its index tensors on ``device`` (uploaded on first use, then reused)."""
        device = _normalize_device(device)
        if device == self.device:
            return self
        return RadialMask(self._host, self.spec, device)

    @property
    def seq_len(self) -> int:
        return self._host.layout.seq_len

    @property
    def block_size(self) -> int:
        return self._host.layout.block_size

    @property
    def num_blocks(self) -> int:
        return self._host.layout.num_blocks

    @property
    def nnz(self) -> int:
        """Kept blocks."""
        return self._host.layout.nnz

    @property
    def density(self) -> float:
        """Kept blocks over ``nb * nb``."""
        return self._host.layout.density()

    @property
    def empty_rows(self) -> int:
        """Query blocks that keep no key block: their queries get zeros. The reference's reduction
        produces such rows when frames hold fewer than 43 tokens (a third of a block), e.g. latent
        frames of 4 x 8 tokens: nothing of the video survives."""
        return int((self._host_row_counts() == 0).sum())

    def _host_row_counts(self) -> torch.Tensor:
        offsets = self._host.uploads[torch.device("cpu")].row_offsets
        return offsets[1:] - offsets[:-1]

    @property
    def row_offsets(self) -> torch.Tensor:
        """int32 ``[nb + 1]``: CSR row offsets into :attr:`col_indices`."""
        return self.index.row_offsets

    @property
    def col_indices(self) -> torch.Tensor:
        """int32 ``[nnz]``: the key blocks of each query block, ascending."""
        return self.index.col_indices

    @property
    def col_offsets(self) -> torch.Tensor:
        """int32 ``[nb + 1]``: CSC column offsets into :attr:`row_indices`."""
        return self.index.col_offsets

    @property
    def row_indices(self) -> torch.Tensor:
        """int32 ``[nnz]``: the query blocks of each key block, ascending."""
        return self.index.row_indices

    def dense(self) -> torch.Tensor:
        """bool ``[nb, nb]`` on :attr:`device`: True where query block r attends to key block c."""
        nb = self.num_blocks
        data = self._host.block_mask.dense_bytes()
        return torch.frombuffer(data, dtype=torch.bool).reshape(nb, nb).to(self.device)

    def kept_forward_flops(self, head_dim: int, heads: int = 1, batch: int = 1) -> float:
        """Forward FLOPs over kept blocks only (partial tail blocks counted by their real size)."""
        return self._host.layout.kept_forward_flops(head_dim, heads, batch)

    def write(self, path: str) -> None:
        """Write the ``.mask`` text format (the reference vectors' and ``radial mask --out``'s)."""
        if self.spec is None:
            raise ValueError("mask: expected a radial mask (built from its parameters), got one from a dense tensor")
        layout, params = _core_spec(self.spec)
        _C.write_mask_file(str(path), layout, params, self._host.block_mask)

    def write_png(self, path: str, max_pixels: int = 2048) -> None:
        """A picture of the mask: kept blocks dark on white."""
        _C.write_mask_png(str(path), self._host.block_mask, max_pixels)

    def __repr__(self) -> str:
        what = "from a dense tensor" if self.spec is None else str(self.spec)
        return (
            f"RadialMask({what}, seq_len={self.seq_len}, num_blocks={self.num_blocks},"
            f" density={self.density:.4f}, device={self.device})"
        )


def _core_spec(spec: MaskSpec) -> tuple["_C.SequenceLayout", "_C.RadialParams"]:
    return (
        _C.SequenceLayout(spec.frames, spec.tokens_per_frame, spec.text_tokens, spec.block_size),
        _C.RadialParams(spec.decay, spec.sink),
    )


# A few masks per pipeline; the largest (HunyuanVideo at 4x length) hold about 12 MB each.
@functools.lru_cache(maxsize=16)
def _build(spec: MaskSpec) -> RadialMask:
    layout, params = _core_spec(spec)
    layout.validate()
    params.validate()
    bits = _C.build_radial_mask(layout, params)
    return RadialMask(_HostMask(bits, layout.seq_len, layout.block_size, spec), spec, torch.device("cpu"))


def _spec(frames, tokens_per_frame, text_tokens, decay, sink, block_size) -> MaskSpec:
    # Normalized types, so 1 and 1.0 (or 0 and False) share one cache entry and nothing else does.
    for name, value in (("frames", frames), ("tokens_per_frame", tokens_per_frame),
                        ("text_tokens", text_tokens), ("block_size", block_size)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if isinstance(decay, bool) or not isinstance(decay, (int, float)):
        raise TypeError(f"decay: expected a float, got {type(decay).__name__}")
    return MaskSpec(int(frames), int(tokens_per_frame), int(text_tokens), float(decay), bool(sink), int(block_size))


def mask(
    *,
    frames: int,
    tokens_per_frame: int,
    text_tokens: int = 0,
    decay: float = 1.0,
    sink: bool = False,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> RadialMask:
    """The radial block mask of a video sequence (bit for bit the reference's).

    The sequence is ``frames * tokens_per_frame`` video tokens, frame-major, then ``text_tokens`` text
    tokens: ``S = frames * tokens_per_frame + text_tokens``; the mask is bool ``[nb, nb]`` with
    ``nb = ceil(S / block_size)``. ``decay`` scales the band width at frame distance >= 2; ``sink``
    makes frame 0 visible to every frame (Wan). Built once per distinct arguments and cached, on the CPU.
    """
    return _build(_spec(frames, tokens_per_frame, text_tokens, decay, sink, block_size))


def mask_for(
    preset: str,
    *,
    height: int,
    width: int,
    num_frames: int,
    text_tokens: Optional[int] = None,
) -> RadialMask:
    """The mask a model preset uses for a video of ``height x width`` pixels and ``num_frames`` frames.

    ``text_tokens`` defaults to the preset's (256 for HunyuanVideo and Mochi, 0 for Wan); the decay is
    the preset's schedule's at this length (see :func:`radial.configure_preset`); for another decay,
    call :func:`mask` with the config's layout.
    """
    config = configure_preset(preset, height=height, width=width, num_frames=num_frames, text_tokens=text_tokens)
    return mask(
        frames=config.frames,
        tokens_per_frame=config.tokens_per_frame,
        text_tokens=config.text_tokens,
        decay=config.decay,
        sink=config.sink,
    )


def read_mask(path: str) -> RadialMask:
    """A mask from a ``.mask`` text file (its header gives the parameters; its rows, the blocks)."""
    file = _C.read_mask_file(str(path))
    layout = file.layout
    spec = MaskSpec(layout.frames, layout.tokens_per_frame, layout.text_tokens, file.params.decay,
                    file.params.sink, layout.block_size)
    return RadialMask(_HostMask(file.mask, layout.seq_len, layout.block_size, spec), spec, torch.device("cpu"))
