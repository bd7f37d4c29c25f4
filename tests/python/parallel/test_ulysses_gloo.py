"""Ulysses attention over 2 and 4 CPU processes (gloo) equals single-process radial attention,
outputs and gradients, on a joint video + padded-text sequence whose shards need padding."""

import os
import sys

import pytest
import torch

import radial
from radial.parallel import shard_sequence, unshard_sequence

sys.path.insert(0, os.path.dirname(__file__))
from rank_processes import run_ranks  # noqa: E402
from ulysses_worker import make_problem  # noqa: E402


@pytest.mark.parametrize("world", [2, 4])
def test_ulysses_equals_single_process(world, tmp_path):
    seed = int(torch.randint(0, 2**31 - 1, ()).item())
    print(f"seed {seed}")
    worker = os.path.join(os.path.dirname(__file__), "ulysses_worker.py")
    run_ranks(world, lambda rank, port: [worker, str(rank), str(world), str(port), str(seed), str(tmp_path)])

    q, k, v, grad_out, mask, kv_valid_len, layout = make_problem(seed, world)
    q, k, v = (t.clone().requires_grad_(True) for t in (q, k, v))
    expected = radial.attention(q, k, v, mask, kv_valid_len=kv_valid_len, scale=0.11)
    expected.backward(grad_out)

    results = [torch.load(tmp_path / f"rank{r}.pt") for r in range(world)]
    for name, full in (("out", expected.detach()), ("dq", q.grad), ("dk", k.grad), ("dv", v.grad)):
        shards = [r[name] for r in results]
        torch.testing.assert_close(unshard_sequence(shards, layout), full, rtol=1e-5, atol=1e-5, msg=name)
        # padding rows of every shard stay zero (outputs) and get no gradient
        for rank, shard in enumerate(shards):
            torch.testing.assert_close(shard_sequence(unshard_sequence(shards, layout), layout, rank), shard,
                                       rtol=0, atol=0, msg=f"{name} padding on rank {rank}")


def test_layout_must_match_the_process_group():
    q, k, v, _, mask, _, _ = make_problem(0, 1)
    from radial.parallel import ShardLayout, ulysses_attention
    with pytest.raises(ValueError, match="world_size"):
        ulysses_attention(q, k, v, mask, layout=ShardLayout(350, 37, 2))


def test_ring_attention_is_refused():
    from radial.parallel import validate_context_parallel
    with pytest.raises(ValueError, match="ring_degree"):
        validate_context_parallel(ulysses_degree=2, ring_degree=2)
    validate_context_parallel(ulysses_degree=4)
