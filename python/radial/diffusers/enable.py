"""Turning a pipeline's self-attention radial, and back."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch

from radial.diffusers.families import Family, family_of
from radial.diffusers.processors.base import RadialProcessor
from radial.diffusers.run import RadialRun, RadialSettings
from radial.diffusers.steps import step_source
from radial.presets import configure_preset

_INSTALLED = "_radial_attention"  # attribute of an enabled transformer


@dataclass
class _Installed:
    run: RadialRun
    hook: torch.utils.hooks.RemovableHandle
    modules: list  # the attention modules whose processors radial replaced


def enable_radial_attention(
    pipe_or_transformer,
    *,
    height: int,
    width: int,
    num_frames: int,
    decay: Optional[float] = None,
    dense_layers: Optional[int] = None,
    dense_timesteps: Optional[int] = None,
    scheduler=None,
) -> None:
    """Makes the self-attention of a Wan2.1, Wan2.2, HunyuanVideo or Mochi 1 pipeline (or transformer)
    radial: the first ``dense_layers`` blocks and the first ``dense_timesteps`` denoising steps stay
    dense (run by the stock processors), every other self-attention call is block-sparse.

    Args:
      pipe_or_transformer: a diffusers pipeline (its ``transformer``, and ``transformer_2`` for Wan2.2's
        second expert) or a ``WanTransformer3DModel``, ``HunyuanVideoTransformer3DModel`` or
        ``MochiTransformer3DModel`` (text- or image-to-video alike).
      height, width, num_frames: the video the pipeline will generate, in pixels and frames, as passed
        to the pipeline. Every transformer call checks its latent against them (ValueError on a
        mismatch) and builds the mask from the latent it receives.
      decay, dense_layers, dense_timesteps: override the preset's schedule at this length (the paper's
        1x schedule up to the model's default frame count, the extended-length one beyond it).
      scheduler: for a bare transformer with ``dense_timesteps > 0``, the scheduler whose
        ``step_index`` counts the denoising steps (a pipeline's own scheduler is used otherwise).

    Enabling again replaces the previous settings. Cross-attention, LoRA adapters, fused projections
    (Wan), ``torch.compile``, CPU offload and any batch size keep working.
    """
    pipeline, transformers = _transformers_of(pipe_or_transformer)
    steps = step_source(pipeline, scheduler)
    for transformer in transformers:
        family = family_of(transformer)
        settings = _settings(family, transformer, len(transformers) == 2, height=height, width=width,
                             num_frames=num_frames, decay=decay, dense_layers=dense_layers,
                             dense_timesteps=dense_timesteps)
        if settings.dense_steps > 0 and steps is None:
            raise ValueError(
                f"radial: dense_timesteps={settings.dense_steps} needs the denoising step: pass the pipeline,"
                f" or scheduler=..., or dense_timesteps=0")
        _install(transformer, family, settings, steps)


def disable_radial_attention(pipe_or_transformer) -> None:
    """Puts back the processors radial replaced (the very same objects) and removes its hook. A
    transformer that is not radial-enabled is left as it is."""
    _, transformers = _transformers_of(pipe_or_transformer)
    for transformer in transformers:
        installed = transformer.__dict__.pop(_INSTALLED, None)
        if installed is None:
            continue
        installed.hook.remove()
        for module in installed.modules:
            if isinstance(module.processor, RadialProcessor):
                module.processor = module.processor.original


def _transformers_of(obj) -> tuple[object, list[torch.nn.Module]]:
    """(pipeline or None, its transformers), each unwrapped from ``torch.compile``'s wrapper."""
    if isinstance(obj, torch.nn.Module):
        return None, [_unwrap(obj)]
    found = [getattr(obj, name, None) for name in ("transformer", "transformer_2")]
    found = [_unwrap(t) for t in found if t is not None]
    if not found:
        raise TypeError(f"radial: expected a diffusers pipeline with a transformer, or a transformer; got"
                        f" {type(obj).__name__}")
    return obj, found


def _unwrap(module: torch.nn.Module) -> torch.nn.Module:
    return getattr(module, "_orig_mod", module)


def _settings(family: Family, transformer, has_second_expert: bool, *, height, width, num_frames, decay,
              dense_layers, dense_timesteps) -> RadialSettings:
    config = configure_preset(family.preset(transformer, has_second_expert), height=height, width=width,
                              num_frames=num_frames)
    schedule = config.schedule
    decay = schedule.decay if decay is None else decay
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not math.isfinite(decay) or decay <= 0:
        raise ValueError(f"decay: expected a finite number > 0, got {decay!r}")
    dense_layers = schedule.dense_layers if dense_layers is None else dense_layers
    dense_steps = schedule.dense_steps if dense_timesteps is None else dense_timesteps
    for name, value in (("dense_layers", dense_layers), ("dense_timesteps", dense_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: expected an integer >= 0, got {value!r}")
    return RadialSettings(config, height, width, num_frames, float(decay), dense_layers, dense_steps)


def _install(transformer: torch.nn.Module, family: Family, settings: RadialSettings, steps) -> None:
    disable_radial_attention(transformer)
    run = RadialRun(transformer, family, settings, steps)
    modules = []
    for layer, module in family.self_attention(transformer):
        module.processor = family.processor_class(module.processor, run, layer)
        modules.append(module)
    hook = transformer.register_forward_pre_hook(run.before_forward, with_kwargs=True)
    transformer.__dict__[_INSTALLED] = _Installed(run, hook, modules)


def radial_run(transformer: torch.nn.Module) -> Optional[RadialRun]:
    """The state of a radial-enabled transformer (its settings, current mask and step), or None."""
    installed = _unwrap(transformer).__dict__.get(_INSTALLED)
    return None if installed is None else installed.run
