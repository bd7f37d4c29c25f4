"""On a GPU: Ulysses over NCCL with world size 1 equals plain radial attention."""

import os

import pytest
import torch
import torch.distributed as dist

import radial
from radial.parallel import ShardLayout, shard_sequence, ulysses_attention
from rank_processes import free_port

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU: NCCL test skipped")


def test_nccl_world_size_one_equals_radial():
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()))
    dist.init_process_group("nccl", rank=0, world_size=1)
    try:
        g = torch.Generator(device="cuda").manual_seed(1)
        shape = (1, 4 * 300 + 50, 8, 128)
        q, k, v = (torch.randn(shape, generator=g, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        mask = radial.mask(frames=4, tokens_per_frame=300, text_tokens=50, decay=0.5)
        layout = ShardLayout(1200, 50, 1)
        out = ulysses_attention(*(shard_sequence(t, layout, 0) for t in (q, k, v)), mask, layout=layout)
        torch.testing.assert_close(out, radial.attention(q, k, v, mask), rtol=0, atol=0)
    finally:
        dist.destroy_process_group()
