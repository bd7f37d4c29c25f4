"""Multi-GPU (and multi-process CPU) inference through Ulysses sequence parallelism.

Every rank holds a contiguous shard of the sequence with all heads; an all-to-all gives each rank the
whole sequence for ``heads / world_size`` heads, radial attention runs there with the unchanged full
mask (every head has the same mask, so each rank does exactly ``1 / world_size`` of the work), and a
second all-to-all returns the sequence shards.
"""

from radial.parallel.sharding import ShardLayout, shard_sequence, unshard_sequence
from radial.parallel.ulysses import ulysses_attention, validate_context_parallel

__all__ = ["ShardLayout", "shard_sequence", "unshard_sequence", "ulysses_attention", "validate_context_parallel"]
