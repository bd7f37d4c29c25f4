"""Model presets: from a pipeline's (height, width, num_frames) to a mask and a dense schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from radial._ext import _C


@dataclass(frozen=True)
class Schedule:
    """Radial attention applies after the first ``dense_layers`` blocks and ``dense_steps`` steps."""

    decay: float
    dense_layers: int
    dense_steps: int

    @classmethod
    def _from_core(cls, schedule: "_C.RadialSchedule") -> "Schedule":
        return cls(schedule.decay, schedule.dense_layers, schedule.dense_steps)


@dataclass(frozen=True)
class Preset:
    """One model's attention geometry and schedules (``base`` at or below ``default_frames``)."""

    name: str
    family: str
    heads: int
    head_dim: int
    layers: int
    spatial_factor: int
    temporal_factor: int
    text_tokens: int
    sink: bool
    default_height: int
    default_width: int
    default_frames: int
    default_steps: int
    base: Schedule
    extended: Schedule

    @classmethod
    def _from_core(cls, p: "_C.ModelPreset") -> "Preset":
        return cls(
            p.name, p.family, p.heads, p.head_dim, p.layers, p.spatial_factor, p.temporal_factor,
            p.text_tokens, p.sink, p.default_height, p.default_width, p.default_frames, p.default_steps,
            Schedule._from_core(p.base), Schedule._from_core(p.extended),
        )


@dataclass(frozen=True)
class PresetConfig:
    """A preset applied to one video size: the sequence, the mask parameters and the schedule."""

    preset: Preset
    frames: int
    tokens_per_frame: int
    text_tokens: int
    decay: float
    sink: bool
    schedule: Schedule
    extended_length: bool

    @property
    def seq_len(self) -> int:
        return self.frames * self.tokens_per_frame + self.text_tokens


def presets() -> list[Preset]:
    """Every known preset (``wan2.1-t2v-14b``, ``hunyuanvideo``, ``mochi-1``, ...)."""
    return [Preset._from_core(p) for p in _C.model_presets()]


def configure_preset(
    name: str, *, height: int, width: int, num_frames: int, text_tokens: Optional[int] = None
) -> PresetConfig:
    """The preset ``name`` at ``height x width`` pixels and ``num_frames`` frames.

    Raises ValueError naming the argument for sizes the model cannot take (not a multiple of its
    spatial factor, frame counts off its temporal grid, text tokens for a model without joint text).
    """
    c = _C.configure_preset(name, height, width, num_frames, text_tokens)
    return PresetConfig(
        Preset._from_core(c.preset), c.layout.frames, c.layout.tokens_per_frame, c.layout.text_tokens,
        c.params.decay, c.params.sink, Schedule._from_core(c.schedule), c.extended_length,
    )
