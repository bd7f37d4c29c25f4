"""The self-attention sequence a transformer actually sees: read off its input latent, checked against
the video size radial was enabled for, so a mismatch is an error and never a silently wrong mask."""

from __future__ import annotations

from dataclasses import dataclass

from radial.presets import PresetConfig


@dataclass(frozen=True)
class LatentGrid:
    """Tokens of one self-attention sequence: ``frames`` latent frames of ``height x width`` tokens
    (after patching), frame-major, then ``text_tokens`` text tokens (joint attention; 0 for Wan)."""

    frames: int
    height: int
    width: int
    text_tokens: int = 0

    @property
    def tokens_per_frame(self) -> int:
        return self.height * self.width

    @property
    def seq_len(self) -> int:
        return self.frames * self.tokens_per_frame + self.text_tokens

    def describe(self) -> str:
        return f"{self.frames} latent frames of {self.height}x{self.width} tokens"


def grid_from_latent(shape: tuple[int, ...], patch: tuple[int, int, int], text_tokens: int) -> LatentGrid:
    """The grid of a latent ``(B, C, F, H, W)`` cut into ``patch = (p_t, p_h, p_w)`` patches."""
    if len(shape) != 5:
        raise ValueError(f"hidden_states: expected a video latent (B, C, F, H, W), got shape {list(shape)}")
    _, _, frames, height, width = shape
    p_t, p_h, p_w = patch
    return LatentGrid(frames // p_t, height // p_h, width // p_w, text_tokens)


def expected_grid(config: PresetConfig, *, height: int, width: int) -> LatentGrid:
    """The grid the pipeline arguments imply under the preset (text tokens are read from the input)."""
    factor = config.preset.spatial_factor
    return LatentGrid(config.frames, height // factor, width // factor)


def check_grid(seen: LatentGrid, expected: LatentGrid, *, latent_shape, height: int, width: int,
               num_frames: int) -> None:
    """Raises ValueError when the latent does not have the video part ``expected`` describes."""
    if (seen.frames, seen.height, seen.width) == (expected.frames, expected.height, expected.width):
        return
    raise ValueError(
        f"radial: the transformer received a latent of {seen.describe()} (hidden_states shape"
        f" {list(latent_shape)}), but radial attention was enabled for height={height}, width={width},"
        f" num_frames={num_frames}, which is {expected.describe()}. The mask would be wrong: call"
        f" radial.diffusers.enable_radial_attention again with the arguments the pipeline runs with."
    )
