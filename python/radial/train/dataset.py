"""Pre-encoded training samples on disk: one safetensors file per video (docs/training.md).

Keys of one sample file (tensors; any float dtype is read as stored and cast at training time):

  latents                [C, F, H, W]  the clean video latent as the transformer denoises it (the VAE
                                       output already normalised the way the pipeline normalises)
  prompt_embeds          [N, D]        the text encoder's output for the caption
  prompt_attention_mask  [N]           optional, 1 on real text tokens (HunyuanVideo, Mochi)
  pooled_prompt_embeds   [P]           optional, the pooled text embedding (HunyuanVideo)

Every sample of a directory has the same shapes, so samples stack into batches as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

REQUIRED_KEYS = ("latents", "prompt_embeds")
OPTIONAL_KEYS = ("prompt_attention_mask", "pooled_prompt_embeds")
SUFFIX = ".safetensors"

PathLike = Union[str, Path]


def write_sample(path: PathLike, *, latents: torch.Tensor, prompt_embeds: torch.Tensor,
                 prompt_attention_mask: Optional[torch.Tensor] = None,
                 pooled_prompt_embeds: Optional[torch.Tensor] = None) -> None:
    """Writes one sample file (shapes as in the module docstring)."""
    tensors = {"latents": latents, "prompt_embeds": prompt_embeds,
               "prompt_attention_mask": prompt_attention_mask, "pooled_prompt_embeds": pooled_prompt_embeds}
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items() if v is not None}
    _check_ranks({k: tuple(v.shape) for k, v in tensors.items()}, str(path))
    save_file(tensors, str(path))


def _check_ranks(shapes: dict[str, tuple[int, ...]], where: str) -> None:
    ranks = {"latents": 4, "prompt_embeds": 2, "prompt_attention_mask": 1, "pooled_prompt_embeds": 1}
    for key, rank in ranks.items():
        if key in shapes and len(shapes[key]) != rank:
            raise ValueError(f"{where}: {key}: expected rank {rank}, got shape {list(shapes[key])}")


class LatentDataset:
    """Every ``*.safetensors`` file of ``directory``, in name order; ``dataset[i]`` is a dict of tensors.

    Raises ValueError naming the file when one lacks a required key, has an unknown one, or differs in
    shape from the first.
    """

    def __init__(self, directory: PathLike):
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ValueError(f"data: expected a directory of {SUFFIX} sample files, got {str(self.directory)!r}")
        self.files = sorted(self.directory.glob(f"*{SUFFIX}"))
        if not self.files:
            raise ValueError(f"data: no {SUFFIX} sample files in {str(self.directory)!r} (see docs/training.md)")
        self.shapes = self._common_shapes()

    def _common_shapes(self) -> dict[str, tuple[int, ...]]:
        first = None
        for file in self.files:
            with safe_open(str(file), framework="pt") as f:
                shapes = {key: tuple(f.get_slice(key).get_shape()) for key in f.keys()}
            missing = [k for k in REQUIRED_KEYS if k not in shapes]
            unknown = [k for k in shapes if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
            if missing or unknown:
                raise ValueError(f"{file}: expected keys {', '.join(REQUIRED_KEYS)} (and optionally"
                                 f" {', '.join(OPTIONAL_KEYS)}); missing {missing}, unknown {unknown}")
            _check_ranks(shapes, str(file))
            if first is None:
                first = (file, shapes)
            elif shapes != first[1]:
                raise ValueError(f"{file}: shapes {shapes} differ from {first[0].name}'s {first[1]}; every"
                                 " sample of one directory must have the same video size and text length")
        return first[1]

    @property
    def latent_shape(self) -> tuple[int, int, int, int]:
        """``(C, F, H, W)`` of every sample."""
        return self.shapes["latents"]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return load_file(str(self.files[index]))


def batch_order(num_samples: int, epoch: int, seed: int) -> list[int]:
    """The sample order of one epoch: a permutation that depends on (seed, epoch) only, so a resumed run
    reads the same samples at the same steps without saving any data-loader state."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(num_samples, generator=generator).tolist()


def batch_at(dataset: LatentDataset, step: int, batch_size: int, seed: int) -> dict[str, torch.Tensor]:
    """The batch of training micro-step ``step``: ``batch_size`` samples stacked on a new first axis.
    Epochs are whole permutations; a batch that would straddle two epochs takes its samples in turn."""
    samples = []
    for position in range(step * batch_size, (step + 1) * batch_size):
        epoch, offset = divmod(position, len(dataset))
        samples.append(dataset[batch_order(len(dataset), epoch, seed)[offset]])
    return {key: torch.stack([s[key] for s in samples]) for key in samples[0]}
