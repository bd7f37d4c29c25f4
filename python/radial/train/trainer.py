"""The training loop: LoRA on the self-attention projections, radial self-attention, the flow-matching
loss, AdamW, checkpoints with exact resume, a progress bar and a loss curve."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch

from radial.train.checkpoint import TrainerState, latest_checkpoint, load_checkpoint, save_checkpoint
from radial.train.config import TrainConfig
from radial.train.dataset import LatentDataset, batch_at
from radial.train.families import DiffusersFamily, TrainingFamily
from radial.train.flow_matching import SigmaSampler, noisy_latents, velocity_target
from radial.train.lora import add_lora, lora_parameters, save_lora
from radial.train.png import write_loss_curve
from radial.train.progress import ProgressBar

LOSS_CURVE_NAME = "loss.png"
LOSSES_NAME = "losses.json"


@dataclass
class TrainResult:
    losses: list[float]  # one per optimizer step, the whole run's (resumed steps included)
    lora_path: Path  # OUTPUT/pytorch_lora_weights.safetensors
    loss_curve: Path  # OUTPUT/loss.png


def training_loss(family: TrainingFamily, transformer: torch.nn.Module, batch: dict[str, torch.Tensor],
                  sigma: torch.Tensor, noise: torch.Tensor, compute_dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Mean squared error between the model's velocity and ``noise - x0`` (float32 scalar).

    batch: sample tensors stacked on a batch axis (``latents`` ``[B, C, F, H, W]``); sigma ``[B]``;
    noise like the latents. The mixing and the target are float32; the model sees ``compute_dtype``.
    """
    x0 = batch["latents"].float()
    noisy = noisy_latents(x0, noise.float(), sigma)
    inputs = {k: v.to(compute_dtype) if v.is_floating_point() else v for k, v in batch.items()}
    prediction = family.predict_velocity(transformer, noisy.to(compute_dtype), sigma, inputs)
    return torch.nn.functional.mse_loss(prediction.float(), velocity_target(x0, noise.float()))


def prepare(transformer: torch.nn.Module, family: TrainingFamily, config: TrainConfig) -> list[torch.nn.Parameter]:
    """Moves the model to the device, adds the trainable LoRA (seeded by ``config.seed``), makes
    self-attention radial, turns on gradient checkpointing and compiles the blocks if asked. Returns
    the trainable parameters."""
    transformer.to(config.device)
    torch.manual_seed(config.seed)
    add_lora(transformer, family.self_attention_projections(transformer), rank=config.rank, alpha=config.alpha,
             adapter_name=config.adapter_name)
    family.enable_radial(transformer, height=config.height, width=config.width, num_frames=config.num_frames,
                         decay=config.decay, dense_layers=config.dense_layers)
    if config.gradient_checkpointing:
        if not hasattr(transformer, "enable_gradient_checkpointing"):
            raise ValueError(f"gradient_checkpointing: {type(transformer).__name__} has no"
                             " enable_gradient_checkpointing(); pass gradient_checkpointing=False")
        transformer.enable_gradient_checkpointing()
    if config.compile:
        if torch.cuda.is_available():
            # Inductor queries the GPU while it compiles, inside the first checkpointed forward, and
            # torch.utils.checkpoint refuses a device first initialised there (a CPU run on a GPU host).
            torch.cuda.init()
        family.compile_blocks(transformer)
    transformer.train()
    return lora_parameters(transformer, config.adapter_name)


def optimizer_step(transformer: torch.nn.Module, family: TrainingFamily, data: LatentDataset, config: TrainConfig,
                   step: int, sampler: SigmaSampler, generator: torch.Generator, parameters: list[torch.nn.Parameter],
                   optimizer: torch.optim.Optimizer) -> float:
    """Optimizer step ``step`` (0-based) over its ``gradient_accumulation`` micro-batches; returns its
    mean loss. Samples come from the step number, sigmas and noise from ``generator``: nothing else."""
    device = torch.device(config.device)
    total = 0.0
    for micro in range(config.gradient_accumulation):
        micro_step = step * config.gradient_accumulation + micro
        batch = {k: v.to(device) for k, v in batch_at(data, micro_step, config.batch_size, config.seed).items()}
        sigma = sampler.sample(config.batch_size, generator)
        noise = torch.randn(batch["latents"].shape, generator=generator, device=device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.compute_dtype == torch.bfloat16):
            loss = training_loss(family, transformer, batch, sigma, noise, config.compute_dtype)
        (loss / config.gradient_accumulation).backward()
        total += loss.item() / config.gradient_accumulation
    if not math.isfinite(total):
        raise FloatingPointError(f"radial.train: the loss is {total} at step {step + 1}")
    torch.nn.utils.clip_grad_norm_(parameters, config.max_grad_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total


def train(transformer: torch.nn.Module, data: LatentDataset, config: TrainConfig,
          family: Optional[TrainingFamily] = None) -> TrainResult:
    """Fine-tunes a LoRA on ``transformer`` (left with the adapter active and radial attention on).

    ``family`` defaults to the diffusers family of the transformer's class (Wan, HunyuanVideo, Mochi).
    With ``config.resume`` and a checkpoint in ``config.output_dir``, continues from it: the same
    samples, noise and updates as an uninterrupted run.
    """
    family = family or DiffusersFamily(transformer)
    output_dir = Path(config.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    device = torch.device(config.device)
    parameters = prepare(transformer, family, config)
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    sampler = SigmaSampler(config.num_train_timesteps, config.shift, config.weighting, config.logit_mean,
                           config.logit_std)
    generator = torch.Generator(device).manual_seed(config.seed)
    state = TrainerState(0, [])
    found = latest_checkpoint(output_dir)
    if found is not None and not config.resume:
        raise ValueError(f"output_dir: {output_dir} already holds {found.name}; resume from it (resume=True,"
                         " --resume) or choose another directory")
    if found is not None:
        state = load_checkpoint(found, transformer, config.adapter_name, optimizer, generator)
        print(f"radial.train: resumed from {found.name} (step {state.step})", file=sys.stderr)
    elif config.resume:
        print(f"radial.train: no checkpoint in {output_dir} to resume from; starting at step 0", file=sys.stderr)
    print(f"radial.train: {len(data)} samples, batch {config.batch_size} x {config.gradient_accumulation}"
          f" accumulated, {config.steps} steps; sigma shift {config.shift:g}, {config.weighting} weighting;"
          f" {config.dtype} compute, gradient checkpointing {'on' if config.gradient_checkpointing else 'off'},"
          f" blocks {'compiled' if config.compile else 'eager'}",
          file=sys.stderr)

    progress = ProgressBar(config.steps, state.step, enabled=config.progress)
    while state.step < config.steps:
        loss = optimizer_step(transformer, family, data, config, state.step, sampler, generator, parameters, optimizer)
        state.step += 1
        state.losses.append(loss)
        progress.update(state.step, loss)
        if config.save_every and state.step % config.save_every == 0 and state.step < config.steps:
            save_checkpoint(output_dir, transformer, config.adapter_name, optimizer, generator, state,
                            config.to_dict())

    save_checkpoint(output_dir, transformer, config.adapter_name, optimizer, generator, state, config.to_dict())
    lora_path = save_lora(output_dir, transformer, config.adapter_name)
    (output_dir / LOSSES_NAME).write_text(json.dumps(state.losses))
    curve = write_loss_curve(output_dir / LOSS_CURVE_NAME, state.losses)
    return TrainResult(state.losses, lora_path, curve)
