"""Shards of a joint sequence put back together give the sequence; padding never survives."""

import pytest
import torch

from radial.parallel import ShardLayout, shard_sequence, unshard_sequence


@pytest.mark.parametrize("video,text,world", [(350, 37, 2), (350, 37, 4), (1024, 0, 4), (7, 3, 4), (5, 0, 8)])
def test_shards_round_trip(video, text, world):
    layout = ShardLayout(video, text, world)
    x = torch.randn(2, video + text, 3, 8) * 3 + 1
    shards = [shard_sequence(x, layout, rank) for rank in range(world)]
    assert all(s.shape[1] == layout.tokens_per_rank for s in shards)
    torch.testing.assert_close(unshard_sequence(shards, layout), x, rtol=0, atol=0)


def test_gather_index_is_a_permutation_into_the_padded_buffer():
    layout = ShardLayout(350, 37, 4)
    index = layout.gather_index
    assert index.numel() == layout.seq_len
    assert index.unique().numel() == layout.seq_len
    assert int(index.max()) < layout.world_size * layout.tokens_per_rank


@pytest.mark.parametrize("kwargs,argument", [
    (dict(video_tokens=0, text_tokens=0, world_size=2), "video_tokens"),
    (dict(video_tokens=10, text_tokens=-1, world_size=2), "text_tokens"),
    (dict(video_tokens=10, text_tokens=0, world_size=0), "world_size"),
])
def test_bad_layouts_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        ShardLayout(**kwargs)
