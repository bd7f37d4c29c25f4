"""The state one radial-enabled transformer shares with its processors: the schedule, and, set before
every forward from the latent it receives and the scheduler's step, the mask and whether this step
is dense."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Optional

import torch

import radial
from radial.diffusers.geometry import LatentGrid, check_grid, expected_grid, grid_from_latent
from radial.diffusers.steps import StepSource
from radial.masks import RadialMask
from radial.presets import PresetConfig


@dataclass(frozen=True)
class RadialSettings:
    """What ``enable_radial_attention`` resolved: the preset at this video size and the schedule."""

    config: PresetConfig
    height: int
    width: int
    num_frames: int
    decay: float
    dense_layers: int
    dense_steps: int


class RadialRun:
    """Per transformer. ``before_forward`` runs as a forward pre-hook outside any compiled region (it
    builds masks through the C++ core and reads the scheduler); the processors then read only
    :attr:`mask` (tensors) and :attr:`dense_step` (a bool), so ``torch.compile`` specializes on two
    values and never recompiles per step."""

    def __init__(self, transformer: torch.nn.Module, family, settings: RadialSettings,
                 steps: Optional[StepSource]):
        self.family = family
        self.settings = settings
        self.steps = steps
        self.expected = expected_grid(settings.config, height=settings.height, width=settings.width)
        self.mask: Optional[RadialMask] = None
        self.dense_step = False
        # The forward's own signature, so positional and keyword calls both find hidden_states.
        self._signature = inspect.signature(type(transformer).forward)

    @torch.compiler.disable
    def before_forward(self, module, args, kwargs) -> None:
        bound = self._signature.bind_partial(module, *args, **kwargs).arguments
        latent = bound["hidden_states"]
        text = self.family.text_tokens(bound)
        grid = grid_from_latent(tuple(latent.shape), self.family.patch(module), text)
        s = self.settings
        check_grid(grid, self.expected, latent_shape=tuple(latent.shape), height=s.height, width=s.width,
                   num_frames=s.num_frames)
        # Uploaded here, outside the compiled region: a first upload inside it would make torch.compile
        # guard on the upload cache and compile the first radial step twice.
        self.mask = mask_for_grid(grid, decay=s.decay, sink=s.config.sink).to(latent.device)
        self.dense_step = self.steps is not None and self.steps() < s.dense_steps

    def require_mask(self, seq_len: int) -> RadialMask:
        """The mask for a self-attention over ``seq_len`` tokens, or a RuntimeError saying why not."""
        if self.mask is None:
            raise RuntimeError("radial: a radial attention processor ran outside its transformer's forward,"
                               " so the latent size (and the mask) is unknown")
        if self.mask.seq_len != seq_len:
            raise RuntimeError(f"radial: self-attention over {seq_len} tokens, but the latent and text give"
                               f" {self.mask.seq_len} ({self.mask!r})")
        return self.mask


def mask_for_grid(grid: LatentGrid, *, decay: float, sink: bool) -> RadialMask:
    """The radial mask of one sequence (built once per grid and cached by :func:`radial.mask`).

    Raises ValueError when the mask leaves query blocks with no key at all (frames too small for
    128-token blocks): those tokens would silently come out as zeros."""
    mask = radial.mask(frames=grid.frames, tokens_per_frame=grid.tokens_per_frame, text_tokens=grid.text_tokens,
                       decay=decay, sink=sink)
    if mask.empty_rows:
        raise ValueError(
            f"radial: the radial mask of {grid.frames} latent frames x {grid.tokens_per_frame} tokens keeps no key"
            f" block for {mask.empty_rows} of {mask.num_blocks} query blocks (frames of fewer than 43 tokens do not"
            " survive the reduction to 128-token blocks); use a larger video or keep this model dense")
    return mask
