"""The ``radial::attention_forward`` / ``radial::attention_backward`` operators (see ``schema.py``)."""

from __future__ import annotations

import torch

from radial.ops import registry  # noqa: F401  (registers the operators on import)

attention_forward = torch.ops.radial.attention_forward
attention_backward = torch.ops.radial.attention_backward

__all__ = ["attention_forward", "attention_backward"]
