"""Checks the CUDA forward against a float64 oracle computed by PyTorch on the GPU, on fresh random
inputs (the seed is printed): random and radial masks, sequence tails (S % 128 != 0, S < 128, S = 1),
empty block rows, per-batch kv_valid_len (including 0), bf16 and f16, head dims 64 and 128, and the
[B, H, S, D] memory layout through strides. Outputs are poisoned with NaN before every call.

Run on the GPU machine with RADIAL_SHIM set (scripts/device/run_forward.sh does both). Exits 1 on any
failure; prints one line per case.
"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "gpu"))
import radial_cuda  # noqa: E402

TOLERANCE = {torch.bfloat16: 1e-2, torch.float16: 2e-3}  # relative 2-norm of out
LSE_TOLERANCE = 1e-3  # absolute, natural log, on rows that have keys


def oracle(q, k, v, layout, scale, kv_valid_len):
    """float64 attention over the kept blocks: out (B, S, H, D) f64, lse (B, H, S) f64."""
    b, s, h, d = q.shape
    blocks = layout.dense_bool()  # (nb, nb)
    token = torch.arange(s, device=q.device) // 128
    allowed = blocks[token][:, token]  # (S, S)
    allowed = allowed[None].expand(b, s, s).clone()
    if kv_valid_len is not None:
        keys = torch.arange(s, device=q.device)
        allowed &= (keys[None, None, :] < kv_valid_len[:, None, None].long())
    scores = torch.einsum("bqhd,bkhd->bhqk", q.double(), k.double()) * scale
    scores = scores.masked_fill(~allowed[:, None], -math.inf)
    lse = torch.logsumexp(scores, dim=-1)  # (B, H, S); -inf for rows without keys
    probs = torch.exp(scores - torch.where(torch.isinf(lse), 0.0, lse)[..., None])
    out = torch.einsum("bhqk,bkhd->bqhd", probs, v.double())
    return out, lse


def random_layout(s, density, gen, empty_rows=0):
    nb = (s + 127) // 128
    mask = torch.rand(nb, nb, generator=gen) < density
    if empty_rows:
        mask[torch.randperm(nb, generator=gen)[:empty_rows]] = False
    return radial_cuda.Layout.from_dense(mask, s)


def run_case(name, layout, b, s, h, d, dtype, gen, kv_valid_len=None, bhsd=False, schedule=None):
    scale_in = 1.7
    shape = (b, h, s, d) if bhsd else (b, s, h, d)
    q, k, v = (torch.randn(*shape, generator=gen, device="cpu").mul_(scale_in).to(dtype).cuda() for _ in range(3))
    if bhsd:
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, S, H, D) views of (B, H, S, D) memory
    kv = torch.tensor(kv_valid_len, dtype=torch.int32, device="cuda") if kv_valid_len is not None else None
    scale = 1.0 / math.sqrt(d)
    out = torch.full((b, s, h, d), float("nan"), dtype=dtype, device="cuda")
    lse = torch.full((b, h, s), float("nan"), dtype=torch.float32, device="cuda")
    radial_cuda.forward(q, k, v, layout, scale, kv, out=out, lse=lse, schedule=schedule)
    torch.cuda.synchronize()
    ref_out, ref_lse = oracle(q, k, v, layout, scale, kv)
    problems = []
    if torch.isnan(out).any():
        problems.append(f"{int(torch.isnan(out).sum())} NaN in out")
    if torch.isnan(lse).any():
        problems.append(f"{int(torch.isnan(lse).sum())} NaN in lse")
    err = (out.double() - ref_out).norm() / ref_out.norm().clamp_min(1e-300)
    max_abs = (out.double() - ref_out).abs().max().item()
    if not err <= TOLERANCE[dtype]:
        problems.append(f"relative error {err:.3e} > {TOLERANCE[dtype]:.0e}")
    empty = torch.isinf(ref_lse)
    if not torch.equal(torch.isinf(lse) & (lse < 0), empty):
        problems.append("lse is -inf on other rows than the oracle's")
    lse_err = (lse.double() - ref_lse)[~empty].abs().max().item() if (~empty).any() else 0.0
    if not lse_err <= LSE_TOLERANCE:
        problems.append(f"lse error {lse_err:.3e} > {LSE_TOLERANCE:.0e}")
    empty_rows = empty.permute(0, 2, 1)  # (B, S, H)
    if empty_rows.any() and out[empty_rows].abs().max().item() != 0.0:
        problems.append("rows without keys are not zero")
    status = "ok  " if not problems else "FAIL"
    print(f"{status} {name:<44} {str(dtype)[6:]:>8} d={d:<3} B={b} S={s:<5} H={h} density={layout.density:.3f} "
          f"rel={err:.2e} max_abs={max_abs:.2e} lse={lse_err:.1e} empty_rows={int(empty.sum())} {'; '.join(problems)}")
    return not problems


def check_all(gen, dtype, d):
    ok = run_case("random mask, tail", random_layout(1000, 0.4, gen), 2, 1000, 3, d, dtype, gen)
    ok &= run_case("random mask, empty rows", random_layout(777, 0.5, gen, empty_rows=2), 1, 777, 2, d, dtype, gen)
    ok &= run_case("S < 128", random_layout(100, 1.0, gen), 2, 100, 3, d, dtype, gen)
    ok &= run_case("S = 1", random_layout(1, 1.0, gen), 1, 1, 2, d, dtype, gen)
    ok &= run_case("one-token tail", random_layout(257, 0.7, gen), 1, 257, 2, d, dtype, gen)
    ok &= run_case("kv_valid_len incl. 0", random_layout(600, 0.6, gen), 3, 600, 2, d, dtype, gen,
                   kv_valid_len=[600 - 77, 0, 130])
    ok &= run_case("radial wan (sink)", radial_cuda.Layout.radial(6, 300, 0, 0.2, True), 1, 1800, 2, d, dtype, gen)
    ok &= run_case("radial hunyuan + text, kv_valid_len", radial_cuda.Layout.radial(5, 256, 77, 0.95, False), 2,
                   5 * 256 + 77, 2, d, dtype, gen, kv_valid_len=[5 * 256 + 77, 5 * 256 + 20])
    # The two-pass forward schedule (near blocks, then far blocks merged through the lse): sink, text
    # tokens, a partial last block, kv_valid_len cutting into the far blocks, empty far rows; the near pass
    # reaching 1 frame and the library's default.
    schedule_cases = ((12, 300, 0, 1.0, True, None, 1), (9, 256, 77, 0.95, False, [9 * 256 + 77, 700], 1),
                      (20, 200, 45, 0.5, True, [20 * 200 + 45, 1000], 1), (12, 300, 0, 1.0, True, None, -1),
                      (20, 200, 45, 0.5, False, [20 * 200 + 45, 1000], -1))
    os.environ["RADIAL_CUDA_FORWARD_SCHEDULE"] = "always"  # two passes even at these small sizes
    for frames, tpf, text, decay, sink, kv, near in schedule_cases:
        s_len = frames * tpf + text
        ok &= run_case(f"schedule (near {near}): {frames} f x {tpf} + {text}{', sink' if sink else ''}",
                       radial_cuda.Layout.radial(frames, tpf, text, decay, sink), 2, s_len, 2, d, dtype, gen,
                       kv_valid_len=kv,
                       schedule=radial_cuda.radial_schedule(frames, tpf, text, decay, sink, near_frames=near))
    del os.environ["RADIAL_CUDA_FORWARD_SCHEDULE"]
    ok &= run_case("[B, H, S, D] strides", random_layout(640, 0.5, gen), 2, 640, 3, d, dtype, gen, bhsd=True)
    ok &= run_case("many blocks, long rows", random_layout(4000, 0.8, gen), 1, 4000, 2, d, dtype, gen)
    # 24 blocks x 6 heads x 2 batches = 288 CTAs: more than one wave on any GPU.
    ok &= run_case("more CTAs than SMs", random_layout(3000, 0.5, gen, empty_rows=3), 2, 3000, 6, d, dtype, gen,
                   kv_valid_len=[3000, 2900])
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    print(f"seed {seed}")
    gen = torch.Generator().manual_seed(seed)
    ok = True
    # "auto" runs the sm_90a kernel on an H100/H200; "portable" forces the sm_80+ one.
    for family, dims in (("auto", (128, 64)), ("portable", (128,))):
        os.environ["RADIAL_CUDA_FORWARD"] = family
        print(f"kernel family: {family}")
        for dtype in (torch.bfloat16, torch.float16):
            for d in dims:
                ok &= check_all(gen, dtype, d)
    del os.environ["RADIAL_CUDA_FORWARD"]
    print("ALL PASSED" if ok else "FAILURES")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
