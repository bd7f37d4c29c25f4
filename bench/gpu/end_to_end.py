"""End to end on one GPU: one denoising step of full-size video transformers (real diffusers classes,
random weights, bf16, batch 1), self-attention dense (cuDNN SDPA; FlashAttention-2 SDPA, the class of
baseline the paper used) vs radial, then the total over the model's denoising steps (50 for Wan and
HunyuanVideo, 64 for Mochi 1) with the preset's dense layers and steps.

Cases (docs/anchors.md):
  wan-720p-81f       Wan2.1-T2V-14B transformer, 720x1280, 81 frames: 21 x 3600 tokens, 40 blocks
  hunyuan-720p-117f  HunyuanVideo transformer, 720x1280, 117 frames: 30 x 3600 video + 256 text
                     tokens, 20 dual-stream + 40 single-stream blocks
  hunyuan-720p-509f  HunyuanVideo at 4x length (128 x 3600 + 256 tokens): only --blocks of each kind
                     (default 2 dual + 2 single) are built and timed, the step is extrapolated per block
  mochi-480p-163f    Mochi 1 transformer, 480x848, 163 frames: 28 x 1590 video + 256 text tokens, 48
                     blocks; the preset's schedule is ours (docs/presets.md)

Method: CUDA events around every transformer block and every self-attention module (forward hooks),
in two timed runs: every self-attention dense, then every one radial. A step under a schedule is the
time outside the blocks plus, for each of the real model's blocks, its kind's dense or radial time
(dense for the first ``dense_layers``); the whole forward is timed as well, which checks the
composition on the full-size cases. N-step total = dense_steps x dense step + the rest x radial step
(the dense parts of radial steps use the same SDPA backend as the dense baseline they are compared to).
Classifier-free guidance doubles every transformer call alike, so it leaves the ratios unchanged.
The text masks are all true here (batch 1, every text token valid). HunyuanVideo's is dropped before
attention so that FlashAttention-2, which takes no mask, can run; this changes no value. Mochi's stock
processor uses its mask only to pick the valid text tokens and gives SDPA no mask, so it keeps it.

``--smoke`` runs a tiny model of the case's class on the CPU in float32, both dense variants through
math SDPA: it checks the script and times nothing real.

Run on the GPU machine (it reaches no registry, so diffusers travels in the git-ignored .ext/site):
  1. here:  bench/gpu/pack_diffusers_ext.sh 3.X     # X: the GPU machine's Python
            scripts/device/collect_deps.sh          # the Debian libraries radial._C builds against
  2. there, carrying .ext/site and .ext/deps, one case per command (each well under 10 minutes):
            scripts/device/run_package_checks.sh OUT wan-720p-81f
     which builds radial._C with CUDA (scripts/device/build_package.sh), runs the Python suite, then
            python3 bench/gpu/end_to_end.py --case wan-720p-81f --out OUT/end-to-end.md
     (likewise hunyuan-720p-117f, hunyuan-720p-509f and mochi-480p-163f).
"""

from __future__ import annotations

import argparse

# full_size first: it puts the checkout's radial and the packed diffusers on sys.path.
from full_size import CASES, blocks_to_build, build_model, drop_text_mask, make_inputs, smoke_case
from provenance import commit
from report import publish
from step_timing import composed, step_ms, timed_run

import torch
from torch.nn.attention import SDPBackend

import radial
from radial.diffusers import disable_radial_attention, enable_radial_attention

DENSE_BACKENDS = {"cudnn": SDPBackend.CUDNN_ATTENTION, "fa2": SDPBackend.FLASH_ATTENTION}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", choices=sorted(CASES), required=True)
    parser.add_argument("--blocks", type=int, default=None,
                        help="build this many blocks of each kind and extrapolate (default: all, but 2 beyond the"
                             " model's default length)")
    parser.add_argument("--reps", type=int, default=2, help="timed forwards per variant, after one warm-up")
    parser.add_argument("--steps", type=int, default=None,
                        help="denoising steps of the total (default: the preset's, 50 or Mochi's 64)")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny model of the case's class on the CPU: checks the script, times nothing real")
    parser.add_argument("--out", default=None, help="append the markdown tables here")
    args = parser.parse_args()
    case = smoke_case(CASES[args.case]) if args.smoke else CASES[args.case]
    blocks, extrapolated = blocks_to_build(case, args.blocks)
    if args.smoke:
        device, dtype, device_name = torch.device("cpu"), torch.float32, "CPU (smoke: tiny model)"
        backends = dict.fromkeys(DENSE_BACKENDS, SDPBackend.MATH)
    else:
        device, dtype, device_name = torch.device("cuda"), torch.bfloat16, torch.cuda.get_device_name()
        backends = DENSE_BACKENDS

    config = radial.configure_preset(case.preset, **case.video())
    schedule = config.schedule
    steps = args.steps or config.preset.default_steps
    model = build_model(case, blocks, device, dtype)
    inputs = make_inputs(case, model, device, dtype)
    mask_hooks = drop_text_mask(model, case)

    all_layers = case.layers
    dense = {name: timed_run(model, case, inputs, args.reps, backend, device) for name, backend in backends.items()}
    enable_radial_attention(model, **case.video(), dense_layers=0, dense_timesteps=0)
    sparse = timed_run(model, case, inputs, args.reps, None, device)
    disable_radial_attention(model)
    for handle in mask_hooks:
        handle.remove()

    mask = radial.mask(frames=config.frames, tokens_per_frame=config.tokens_per_frame,
                       text_tokens=0 if case.family == "wan" else case.text_tokens,
                       decay=schedule.decay, sink=config.sink)
    scale = "" if not extrapolated else f" (extrapolated from {blocks} blocks per kind)"
    lines = [
        f"### {args.case}: {device_name}, torch {torch.__version__}, commit {commit()}",
        f"`python3 bench/gpu/end_to_end.py --case {args.case} --reps {args.reps}{' --smoke' * args.smoke}`;"
        f" radial mask density {mask.density:.3f} (decay {schedule.decay}); schedule: {schedule.dense_layers}"
        f" dense layers, {schedule.dense_steps} dense steps of {steps}{scale}. Self-attention: the modules,"
        f" with their projections.",
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
    lines += ["", f"| {steps} steps, preset's schedule | dense (s) | radial (s) | speedup |", "|---|---|---|---|"]
    for name in DENSE_BACKENDS:
        dense_step = step_ms(case, dense[name], dense[name], all_layers)
        radial_step = step_ms(case, dense[name], sparse, schedule.dense_layers)
        radial_total = schedule.dense_steps * dense_step + (steps - schedule.dense_steps) * radial_step
        lines.append(f"| against {name} dense | {steps * dense_step / 1e3:.1f} | {radial_total / 1e3:.1f} |"
                     f" {steps * dense_step / radial_total:.2f}x |")
    publish(lines, args.out)


if __name__ == "__main__":
    main()
