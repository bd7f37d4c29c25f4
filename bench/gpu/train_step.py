"""Training step time on one GPU: LoRA length-extension fine-tuning of a Wan2.1-14B-shaped transformer
(real diffusers ``WanTransformer3DModel`` with the 14B's dimensions: 5120 wide, 40 heads of 128, FFN
13824, 4096-wide text; random weights, bf16) at 720p, 1x (81 frames: 21 x 3600 = 75,600 tokens) and
4x length (321 frames: 81 x 3600 = 291,600 tokens), self-attention dense (cuDNN SDPA) vs radial.

One step is what ``radial.train`` does per sample: the flow-matching loss forward (``training_loss``),
backward with gradient checkpointing per block (what makes 4x length fit at all), and the AdamW step
on a rank-``--rank`` LoRA on every self-attention projection (``radial.train.add_lora``); batch 1, 512
text tokens. Dense: every SDPA call under cuDNN (forward, the checkpoint's recomputed forward and the
backward). Radial: every self-attention radial (``dense_layers=0``), forward and backward through
radial's CUDA kernels. ``--compile`` puts every block through ``torch.compile`` in both variants (what
``radial.train --compile`` does): the norms, modulation, rotary embedding and residuals fuse, the GEMMs
and attention stay library kernels.

Only ``--layers`` blocks are built (as many as fit: each costs 0.7 GB of weights and a checkpointed
``S x 5120`` bf16 input, 3 GB at 4x). Steps are timed with all of them and with half of them, which
gives the time per block and the time outside the blocks; the real 40-block model's step is composed
from those: dense everywhere, against radial with the preset's dense layers at that length (1 at 1x,
2 at 4x, docs/diffusers.md). The paper's figure to reach: 4.4x lower tuning cost at 4x length.

Run on the GPU machine (it reaches no registry: diffusers travels in .ext/site; peft, transformers and
PyTorch are expected there):
  1. here:  bench/gpu/pack_diffusers_ext.sh 3.X     # X: the GPU machine's Python
            scripts/device/collect_deps.sh          # the Debian libraries radial._C builds against
  2. there: scripts/device/build_package.sh         # radial._C with CUDA, into python/radial
  3. there, one length per command (each well under 10 minutes), carrying .ext/site and .ext/deps:
            python3 bench/gpu/train_step.py --length 1x --out bench/results/DATE-h100-train-step.md
            python3 bench/gpu/train_step.py --length 4x --out ...   (appends)
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / ".ext" / "site"), str(ROOT / "python")]

import torch  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402

import radial  # noqa: E402
from radial.diffusers import disable_radial_attention, enable_radial_attention  # noqa: E402
from provenance import commit  # noqa: E402
from report import publish  # noqa: E402
from radial.train import DiffusersFamily, add_lora, training_loss  # noqa: E402
from radial.train.lora import lora_parameters  # noqa: E402

DEVICE = "cuda"
PRESET = "wan2.1-t2v-14b"
HEIGHT, WIDTH, TEXT_TOKENS, MODEL_LAYERS = 720, 1280, 512, 40
LENGTHS = {"1x": 81, "4x": 321}
ADAPTER = "radial_length"


def build_model(layers: int, rank: int) -> torch.nn.Module:
    """The 14B's blocks (diffusers' defaults are its dimensions), ``layers`` of them, bf16 with the
    modules diffusers keeps in float32 in float32, a float32 LoRA on self-attention, checkpointing on."""
    from diffusers import WanTransformer3DModel

    torch.set_default_dtype(torch.bfloat16)
    with torch.device(DEVICE):
        model = WanTransformer3DModel(num_layers=layers)
    torch.set_default_dtype(torch.float32)
    keep = getattr(model, "_keep_in_fp32_modules", None) or []
    for name, param in model.named_parameters():
        if any(k in name for k in keep):
            param.data = param.data.float()
    family = DiffusersFamily(model)
    add_lora(model, family.self_attention_projections(model), rank=rank, alpha=rank, adapter_name=ADAPTER)
    model.enable_gradient_checkpointing()
    return model.train()


def make_batch(num_frames: int, model) -> dict[str, torch.Tensor]:
    config = radial.configure_preset(PRESET, height=HEIGHT, width=WIDTH, num_frames=num_frames)
    g = torch.Generator(DEVICE).manual_seed(0)
    latents = torch.randn(1, model.config.in_channels, config.frames, HEIGHT // 8, WIDTH // 8, generator=g,
                          device=DEVICE)  # (1, 16, F, 90, 160)
    text = torch.randn(1, TEXT_TOKENS, model.config.text_dim, generator=g, device=DEVICE)  # (1, 512, 4096)
    return {"latents": latents, "prompt_embeds": text}


def training_step(model, family, batch, optimizer, sigma, noise, dense: bool) -> None:
    # The backward sits inside the backend choice: checkpointing recomputes the forward there.
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION) if dense else contextlib.nullcontext():
        with torch.autocast(DEVICE, dtype=torch.bfloat16):
            loss = training_loss(family, model, batch, sigma, noise, torch.bfloat16)
        loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


def step_inputs(batch) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed noise level and noise every timed step uses."""
    g = torch.Generator(DEVICE).manual_seed(1)
    return torch.tensor([0.7], device=DEVICE), torch.randn(batch["latents"].shape, generator=g, device=DEVICE)


def timed_step_ms(model, family, batch, optimizer, reps: int, dense: bool) -> float:
    """Median of ``reps`` training steps after one warm-up, CUDA events around each whole step."""
    sigma, noise = step_inputs(batch)
    times = []
    for rep in range(reps + 1):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        training_step(model, family, batch, optimizer, sigma, noise, dense)
        end.record()
        end.synchronize()
        if rep:
            times.append(start.elapsed_time(end))
    return statistics.median(times)


@dataclass(frozen=True)
class StackTimes:
    """One variant: ms per block and ms outside the blocks (embeddings, head, loss, optimizer)."""

    block_ms: float
    outside_ms: float
    full_stack_ms: float  # measured, with all built blocks

    @classmethod
    def from_two(cls, layers: int, full_ms: float, half: int, half_ms: float) -> "StackTimes":
        block = (full_ms - half_ms) / (layers - half)
        return cls(block, full_ms - layers * block, full_ms)

    def step_ms(self, layers: int) -> float:
        return self.outside_ms + layers * self.block_ms


def measure(model, family, batch, optimizer, reps: int, dense: bool) -> StackTimes:
    blocks = list(model.blocks)
    half = len(blocks) // 2
    full_ms = timed_step_ms(model, family, batch, optimizer, reps, dense)
    model.blocks = torch.nn.ModuleList(blocks[:half])
    try:
        half_ms = timed_step_ms(model, family, batch, optimizer, reps, dense)
    finally:
        model.blocks = torch.nn.ModuleList(blocks)
    return StackTimes.from_two(len(blocks), full_ms, half, half_ms)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--length", choices=sorted(LENGTHS), required=True)
    parser.add_argument("--layers", type=int, default=8, help="blocks to build (>= 2; as many as fit)")
    parser.add_argument("--rank", type=int, default=64, help="LoRA rank")
    parser.add_argument("--reps", type=int, default=2, help="timed steps per variant and stack, after a warm-up")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile every block (radial.train --compile), in both variants")
    parser.add_argument("--out", default=None, help="append the markdown table here")
    args = parser.parse_args()
    if args.layers < 2:
        parser.error("--layers: expected at least 2 (steps are timed with all and with half of them)")
    num_frames = LENGTHS[args.length]
    config = radial.configure_preset(PRESET, height=HEIGHT, width=WIDTH, num_frames=num_frames)
    schedule = config.schedule

    model = build_model(args.layers, args.rank)
    family = DiffusersFamily(model)
    if args.compile:  # what radial.train --compile does; both variants alike
        family.compile_blocks(model)
    batch = make_batch(num_frames, model)
    optimizer = torch.optim.AdamW(lora_parameters(model, ADAPTER), lr=1e-4)
    dense = measure(model, family, batch, optimizer, args.reps, dense=True)
    enable_radial_attention(model, height=HEIGHT, width=WIDTH, num_frames=num_frames, dense_layers=0,
                            dense_timesteps=0)
    sparse = measure(model, family, batch, optimizer, args.reps, dense=False)
    disable_radial_attention(model)
    peak_gb = torch.cuda.max_memory_allocated() / 2**30

    mask = radial.mask_for(PRESET, height=HEIGHT, width=WIDTH, num_frames=num_frames)
    dense_model = dense.step_ms(MODEL_LAYERS)
    radial_model = (dense.outside_ms + schedule.dense_layers * dense.block_ms
                    + (MODEL_LAYERS - schedule.dense_layers) * sparse.block_ms)
    lines = [
        f"### Wan2.1-14B-shaped training step, 720p {num_frames} frames ({args.length}): {torch.cuda.get_device_name()},"
        f" torch {torch.__version__}, commit {commit()}",
        f"`python3 bench/gpu/train_step.py --length {args.length} --layers {args.layers} --rank {args.rank}"
        f" --reps {args.reps}{' --compile' if args.compile else ''}`; {mask.seq_len} tokens,"
        f" radial mask density {mask.density:.3f} (decay"
        f" {schedule.decay}); LoRA rank {args.rank} on self-attention, gradient checkpointing, batch 1;"
        f" peak memory {peak_gb:.1f} GiB.",
        "",
        "| self-attention | per block fwd+bwd (ms) | outside blocks (ms) |"
        f" {args.layers}-block step, measured (s) | 40-block step (s) | speedup |",
        "|---|---|---|---|---|---|",
        f"| cuDNN SDPA, dense | {dense.block_ms:.0f} | {dense.outside_ms:.0f} | {dense.full_stack_ms / 1e3:.2f} |"
        f" {dense_model / 1e3:.2f} | 1x |",
        f"| radial, every layer | {sparse.block_ms:.0f} | {sparse.outside_ms:.0f} | {sparse.full_stack_ms / 1e3:.2f} |"
        f" {sparse.step_ms(MODEL_LAYERS) / 1e3:.2f} | {dense_model / sparse.step_ms(MODEL_LAYERS):.2f}x |",
        f"| radial, first {schedule.dense_layers} dense (preset) | | | | {radial_model / 1e3:.2f} |"
        f" {dense_model / radial_model:.2f}x |",
        "",
        f"Target at 4x length: >= 4.4x lower step time (the paper's LoRA tuning cost). Measured {args.layers}-block"
        f" stack: {dense.full_stack_ms / sparse.full_stack_ms:.2f}x.",
    ]
    publish(lines, args.out)


if __name__ == "__main__":
    main()
