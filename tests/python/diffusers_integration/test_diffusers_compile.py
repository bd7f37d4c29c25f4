"""``torch.compile`` of a radial-enabled transformer: the same output as eager, no graph break, and one
graph per (dense, radial) step kind, never a recompilation per step. On the CPU and on CUDA
(on_device.py), where the graph holds the CUDA ops and their fake implementations trace it."""

from __future__ import annotations

import pytest

# diffusers.models, not diffusers: without the real package, this test folder itself would import as
# a namespace package named diffusers.
pytest.importorskip("diffusers.models", reason="radial.diffusers tests need diffusers >= 0.35 and peft"
                    " (pip install 'diffusers>=0.35' peft)")

import torch  # noqa: E402
import torch._dynamo.utils  # noqa: E402
from diffusers import FlowMatchEulerDiscreteScheduler  # noqa: E402
from torch._dynamo.testing import CompileCounter  # noqa: E402

import on_device  # noqa: E402
import tiny_models as tm  # noqa: E402
from radial.diffusers import enable_radial_attention  # noqa: E402

STEPS = 4


@pytest.mark.parametrize("how", ["module.compile", "torch.compile wrapper"])
def test_compiled_wan_matches_eager_with_one_graph_per_step_kind(how, device):
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    height, width, latent_frames = tm.VIDEO_SIZES[0]
    video = dict(height=height, width=width, num_frames=tm.WAN.frames_for(latent_frames))
    scheduler = FlowMatchEulerDiscreteScheduler()
    compiled, eager = on_device.build(tm.tiny_wan, device), on_device.build(tm.tiny_wan, device)
    counter = CompileCounter()
    if how == "module.compile":
        compiled.compile(backend=counter)
    else:  # enabling on the wrapper reaches the module inside it
        compiled = torch.compile(compiled, backend=counter)
    for model in (compiled, eager):
        enable_radial_attention(model, **video, dense_layers=1, dense_timesteps=2, scheduler=scheduler)
    inputs = on_device.inputs_on(tm.WAN.inputs(**video, batch=2), device)
    scheduler.set_timesteps(STEPS)
    for t in scheduler.timesteps:
        step_inputs = dict(inputs, timestep=t.expand(2).to(device))
        out = tm.forward(compiled, step_inputs)
        torch.testing.assert_close(out, tm.forward(eager, step_inputs), rtol=0, atol=0)
        scheduler.step(out, t, inputs["hidden_states"])
    assert not torch._dynamo.utils.counters["graph_break"]
    assert counter.frame_count == 2  # dense steps, then radial steps
