"""End to end on one GPU: one denoising step of full-size video transformers (real diffusers classes,
random weights, bf16, batch 1), self-attention dense (cuDNN SDPA; FlashAttention-2 SDPA, the class of
baseline the paper used) vs radial, then the 50-step total with the paper's dense layers and steps.

Cases (docs/anchors.md):
  wan-720p-81f       Wan2.1-T2V-14B transformer, 720x1280, 81 frames: 21 x 3600 tokens, 40 blocks
  hunyuan-720p-117f  HunyuanVideo transformer, 720x1280, 117 frames: 30 x 3600 video + 256 text
                     tokens, 20 dual-stream + 40 single-stream blocks
  hunyuan-720p-509f  HunyuanVideo at 4x length (128 x 3600 + 256 tokens): only --blocks of each kind
                     (default 2 dual + 2 single) are built and timed, the step is extrapolated per block

Method: CUDA events around every transformer block and every self-attention module (forward hooks),
in two timed runs: every self-attention dense, then every one radial. A step under a schedule is the
time outside the blocks plus, for each of the real model's blocks, its kind's dense or radial time
(dense for the first ``dense_layers``); the whole forward is timed as well, which checks the
composition on the full-size cases. 50-step total = dense_steps x dense step + the rest x radial step
(the dense parts of radial steps use the same SDPA backend as the dense baseline they are compared to).
Classifier-free guidance doubles every transformer call alike, so it leaves the ratios unchanged.
HunyuanVideo's text mask is all true here (batch 1, no padding) and is dropped before attention so
that FlashAttention-2, which takes no mask, can run; this changes no value.

Run on the GPU machine (it reaches no registry, so diffusers travels in the git-ignored .ext/site):
  1. here:  bench/gpu/pack_diffusers_ext.sh 3.X     # X: the GPU machine's Python
            scripts/device/collect_deps.sh          # the Debian libraries radial._C builds against
  2. there, carrying .ext/site and .ext/deps, one case per command (each well under 10 minutes):
            scripts/device/run_package_checks.sh OUT wan-720p-81f
     which builds radial._C with CUDA (scripts/device/build_package.sh), runs the Python suite, then
            python3 bench/gpu/end_to_end.py --case wan-720p-81f --out OUT/end-to-end.md
     (likewise hunyuan-720p-117f and hunyuan-720p-509f).
"""

from __future__ import annotations

import argparse
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

DEVICE = "cuda"
DENSE_BACKENDS = {"cudnn": SDPBackend.CUDNN_ATTENTION, "fa2": SDPBackend.FLASH_ATTENTION}


@dataclass(frozen=True)
class Case:
    preset: str
    height: int
    width: int
    num_frames: int
    kinds: tuple[tuple[str, int], ...]  # (block list attribute, blocks in the real model), in layer order
    text_tokens: int


CASES = {
    "wan-720p-81f": Case("wan2.1-t2v-14b", 720, 1280, 81, (("blocks", 40),), 512),
    "hunyuan-720p-117f": Case("hunyuanvideo", 720, 1280, 117,
                              (("transformer_blocks", 20), ("single_transformer_blocks", 40)), 256),
    "hunyuan-720p-509f": Case("hunyuanvideo", 720, 1280, 509,
                              (("transformer_blocks", 20), ("single_transformer_blocks", 40)), 256),
}


def build_model(case: Case, blocks: dict[str, int]) -> torch.nn.Module:
    """The full-size transformer with ``blocks[kind]`` blocks of each kind, random weights, bf16 (the
    modules diffusers keeps in float32 in float32), built directly on the GPU."""
    from diffusers import HunyuanVideoTransformer3DModel, WanTransformer3DModel

    torch.set_default_dtype(torch.bfloat16)
    with torch.device(DEVICE):
        if case.preset.startswith("wan"):
            model = WanTransformer3DModel(num_layers=blocks["blocks"])
        else:
            model = HunyuanVideoTransformer3DModel(num_layers=blocks["transformer_blocks"],
                                                   num_single_layers=blocks["single_transformer_blocks"])
    torch.set_default_dtype(torch.float32)
    keep = getattr(model, "_keep_in_fp32_modules", None) or []
    for name, param in model.named_parameters():
        if any(k in name for k in keep):
            param.data = param.data.float()
    return model.eval().requires_grad_(False)


def make_inputs(case: Case, model) -> dict:
    config = radial.configure_preset(case.preset, height=case.height, width=case.width, num_frames=case.num_frames)
    g = torch.Generator(DEVICE).manual_seed(0)
    latent = torch.randn(1, model.config.in_channels, config.frames, case.height // 8, case.width // 8,
                         generator=g, device=DEVICE, dtype=torch.bfloat16)
    text = torch.randn(1, case.text_tokens, 4096, generator=g, device=DEVICE, dtype=torch.bfloat16)
    inputs = dict(hidden_states=latent, timestep=torch.tensor([900.0], device=DEVICE), encoder_hidden_states=text)
    if not case.preset.startswith("wan"):
        inputs.update(encoder_attention_mask=torch.ones(1, case.text_tokens, device=DEVICE, dtype=torch.int64),
                      pooled_projections=torch.randn(1, 768, generator=g, device=DEVICE, dtype=torch.bfloat16),
                      guidance=torch.tensor([6000.0], device=DEVICE))
    return inputs


class EventTimer:
    """CUDA events around every call of the given modules; ``times()`` gives ms per module, per call."""

    def __init__(self, modules: dict[str, torch.nn.Module]):
        self.events = {name: [] for name in modules}
        self.handles = []
        for name, module in modules.items():
            self.handles.append(module.register_forward_pre_hook(lambda m, a, n=name: self._start(n)))
            self.handles.append(module.register_forward_hook(lambda m, a, o, n=name: self._end(n)))

    def _start(self, name):
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        self.events[name].append([event, None])

    def _end(self, name):
        event = torch.cuda.Event(enable_timing=True)
        event.record()
        self.events[name][-1][1] = event

    def clear(self):
        for calls in self.events.values():
            calls.clear()

    def times(self) -> dict[str, list[float]]:
        torch.cuda.synchronize()
        return {name: [s.elapsed_time(e) for s, e in calls] for name, calls in self.events.items()}

    def remove(self):
        for handle in self.handles:
            handle.remove()


def drop_text_mask(model) -> list:
    """The inputs have no text padding (batch 1, an all-ones text mask), so HunyuanVideo's key mask is
    all true: None means the same and lets FA2, which takes no mask, run."""
    def hook(module, args, kwargs):
        if "attention_mask" in kwargs:  # HunyuanVideo passes it by keyword; Wan's self-attention has none
            kwargs["attention_mask"] = None
        return args, kwargs

    return [m.register_forward_pre_hook(hook, with_kwargs=True) for m in self_attention_modules(model).values()]


def block_modules(model, case: Case) -> dict[str, torch.nn.Module]:
    return {f"{kind}.{i}": block for kind, _ in case.kinds for i, block in enumerate(getattr(model, kind))}


def self_attention_modules(model) -> dict[str, torch.nn.Module]:
    return {name: m for name, m in model.named_modules()
            if name.endswith((".attn1", ".attn")) and "context_embedder" not in name}


@dataclass
class RunTimes:
    """One variant's medians: per block kind, a block and its self-attention module (projections
    included); the whole forward; the time outside the blocks."""

    block_ms: dict[str, float]
    attention_ms: dict[str, float]
    step_ms: float
    outside_ms: float


def median_per_kind(times: dict[str, list[float]], case: Case) -> dict[str, float]:
    return {kind: statistics.median(t for name, ts in times.items() if name.startswith(kind + ".") for t in ts)
            for kind, _ in case.kinds}


def self_attention_backend(model, backend) -> list:
    """Self-attention modules run their SDPA under ``backend``; everything else (cross-attention,
    HunyuanVideo's masked text refiner) keeps PyTorch's own choice."""
    handles = []
    for module in self_attention_modules(model).values():
        contexts = []

        def enter(m, args, contexts=contexts):
            contexts.append(sdpa_kernel(backend))
            contexts[-1].__enter__()

        def leave(m, args, out, contexts=contexts):
            contexts.pop().__exit__(None, None, None)

        handles += [module.register_forward_pre_hook(enter), module.register_forward_hook(leave)]
    return handles


def timed_run(model, case: Case, inputs: dict, reps: int, backend) -> RunTimes:
    """Times ``reps`` forwards after a warm-up; ``backend``: the dense self-attention's SDPA backend,
    or None for radial."""
    blocks, attention = EventTimer(block_modules(model, case)), EventTimer(self_attention_modules(model))
    backend_hooks = self_attention_backend(model, backend) if backend is not None else []
    steps, block_times, attention_times = [], {}, {}
    with torch.inference_mode():
        for rep in range(reps + 1):  # the first is a warm-up
            blocks.clear()
            attention.clear()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            model(**inputs, return_dict=False)
            end.record()
            end.synchronize()
            if rep == 0:
                continue
            steps.append(start.elapsed_time(end))
            for name, ts in blocks.times().items():
                block_times.setdefault(name, []).extend(ts)
            for name, ts in attention.times().items():
                attention_times.setdefault(name, []).extend(ts)
    for handle in backend_hooks:
        handle.remove()
    blocks.remove()
    attention.remove()
    step = statistics.median(steps)
    outside = step - sum(block_times[name][0] for name in block_times)  # one forward's blocks
    return RunTimes(median_per_kind(block_times, case), median_per_kind(attention_times, case), step, outside)


def composed(case: Case, dense: RunTimes, sparse: RunTimes, dense_layers: int, field: str = "block_ms") -> float:
    """Over the real model's blocks in layer order: the first ``dense_layers`` at their kind's dense
    time, the rest at the radial time (``field``: whole blocks, or their self-attention only)."""
    total, layer = 0.0, 0
    for kind, count in case.kinds:
        for _ in range(count):
            total += getattr(dense if layer < dense_layers else sparse, field)[kind]
            layer += 1
    return total


def step_ms(case: Case, dense: RunTimes, sparse: RunTimes, dense_layers: int) -> float:
    return dense.outside_ms + composed(case, dense, sparse, dense_layers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=sorted(CASES), required=True)
    parser.add_argument("--blocks", type=int, default=None,
                        help="build this many blocks of each kind and extrapolate (default: all, but 2 at 4x)")
    parser.add_argument("--reps", type=int, default=2, help="timed forwards per variant, after one warm-up")
    parser.add_argument("--steps", type=int, default=50, help="denoising steps of the total")
    parser.add_argument("--out", default=None, help="append the markdown tables here")
    args = parser.parse_args()
    case = CASES[args.case]
    subset = args.blocks or (2 if case.num_frames > 117 else None)
    blocks = {kind: min(subset or count, count) for kind, count in case.kinds}
    extrapolated = any(blocks[kind] < count for kind, count in case.kinds)

    config = radial.configure_preset(case.preset, height=case.height, width=case.width, num_frames=case.num_frames)
    schedule = config.schedule
    model = build_model(case, blocks)
    inputs = make_inputs(case, model)
    mask_hooks = drop_text_mask(model)
    video = dict(height=case.height, width=case.width, num_frames=case.num_frames)

    all_layers = sum(count for _, count in case.kinds)
    dense = {name: timed_run(model, case, inputs, args.reps, backend) for name, backend in DENSE_BACKENDS.items()}
    enable_radial_attention(model, **video, dense_layers=0, dense_timesteps=0)
    sparse = timed_run(model, case, inputs, args.reps, None)
    disable_radial_attention(model)
    for handle in mask_hooks:
        handle.remove()

    mask = radial.mask(frames=config.frames, tokens_per_frame=config.tokens_per_frame,
                       text_tokens=case.text_tokens if case.preset == "hunyuanvideo" else 0,
                       decay=schedule.decay, sink=config.sink)
    scale = "" if not extrapolated else f" (extrapolated from {blocks} blocks per kind)"
    lines = [
        f"### {args.case}: {torch.cuda.get_device_name()}, torch {torch.__version__}, commit {commit()}",
        f"`python3 bench/gpu/end_to_end.py --case {args.case} --reps {args.reps}`; radial mask density"
        f" {mask.density:.3f} (decay {schedule.decay}); schedule: {schedule.dense_layers} dense layers,"
        f" {schedule.dense_steps} dense steps of {args.steps}{scale}. Self-attention: the modules, with"
        f" their projections.",
        "",
        "| one step, self-attention through | step (s) | self-attention (s) | everything else (s) | speedup vs cuDNN |",
        "|---|---|---|---|---|",
    ]
    cudnn_step = step_ms(case, dense["cudnn"], dense["cudnn"], all_layers)
    for name, base, attention_run in (("cuDNN SDPA, dense", dense["cudnn"], dense["cudnn"]),
                                      ("FA2 SDPA, dense", dense["fa2"], dense["fa2"]),
                                      ("radial, every layer", dense["cudnn"], sparse)):
        step = step_ms(case, base, attention_run, 0)
        attention = composed(case, base, attention_run, 0, "attention_ms")
        lines.append(f"| {name} | {step / 1e3:.2f} | {attention / 1e3:.2f} | {(step - attention) / 1e3:.2f} |"
                     f" {cudnn_step / step:.2f}x |")
    if not extrapolated:
        lines.append(f"\nWhole forwards as measured (s): cuDNN {dense['cudnn'].step_ms / 1e3:.2f}, FA2"
                     f" {dense['fa2'].step_ms / 1e3:.2f}, radial {sparse.step_ms / 1e3:.2f}.")
    lines += ["", f"| {args.steps} steps, paper's schedule | dense (s) | radial (s) | speedup |", "|---|---|---|---|"]
    for name in DENSE_BACKENDS:
        dense_step = step_ms(case, dense[name], dense[name], all_layers)
        radial_step = step_ms(case, dense[name], sparse, schedule.dense_layers)
        radial_total = schedule.dense_steps * dense_step + (args.steps - schedule.dense_steps) * radial_step
        lines.append(f"| against {name} dense | {args.steps * dense_step / 1e3:.1f} | {radial_total / 1e3:.1f} |"
                     f" {args.steps * dense_step / radial_total:.2f}x |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        with open(args.out, "a") as f:
            f.write(report + "\n")


if __name__ == "__main__":
    main()
