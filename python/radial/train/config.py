"""Everything one training run is a function of (besides the model and the data)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import torch

from radial.train.flow_matching import WEIGHTINGS

DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}


@dataclass
class TrainConfig:
    """A LoRA length-extension run.

    height, width, num_frames: the video size of the data, as pipeline arguments (pixels, frames); the
      radial mask and its schedule (decay, dense layers) come from the model's preset at this size.
    steps: optimizer steps; each sees ``batch_size * gradient_accumulation`` samples.
    rank, alpha: the LoRA's rank and scale numerator (the update is ``alpha / rank * B @ A``); alpha
      defaults to the rank.
    dtype: "bf16" runs the transformer under bf16 autocast (LoRA weights and optimizer state stay
      float32); "fp32" runs it in float32.
    shift, num_train_timesteps, weighting, logit_mean, logit_std: the noise levels
      (:class:`radial.train.flow_matching.SigmaSampler`).
    compile: each transformer block through ``torch.compile`` (the family's ``compile_blocks``): norms,
      modulation, rotary embedding and residuals fuse around the GEMMs and attention kernels. The
      first step also compiles (tens of seconds at full size); later steps are faster and need less
      memory.
    save_every: a checkpoint every this many steps (0: only at the end); resume continues from the
      latest checkpoint in ``output_dir``.
    decay, dense_layers: override the preset's radial schedule.
    """

    height: int
    width: int
    num_frames: int
    steps: int
    output_dir: str
    rank: int = 16
    alpha: Optional[float] = None
    learning_rate: float = 1e-4
    weight_decay: float = 1e-4
    max_grad_norm: float = 1.0
    batch_size: int = 1
    gradient_accumulation: int = 1
    dtype: str = "bf16"
    gradient_checkpointing: bool = True
    compile: bool = False
    shift: float = 1.0
    num_train_timesteps: int = 1000
    weighting: str = "uniform"
    logit_mean: float = 0.0
    logit_std: float = 1.0
    seed: int = 0
    save_every: int = 0
    resume: bool = False
    adapter_name: str = "radial_length"
    decay: Optional[float] = None
    dense_layers: Optional[int] = None
    device: str = "cpu"
    progress: bool = True

    def __post_init__(self):
        for name in ("height", "width", "num_frames", "steps", "rank", "batch_size", "gradient_accumulation",
                     "num_train_timesteps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected an integer >= 1, got {value!r}")
        if self.save_every < 0:
            raise ValueError(f"save_every: expected an integer >= 0, got {self.save_every!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype: expected one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting: expected one of {', '.join(WEIGHTINGS)}, got {self.weighting!r}")
        if self.alpha is None:
            self.alpha = float(self.rank)

    @property
    def compute_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]

    def to_dict(self) -> dict:
        return asdict(self)
