"""diffusers' own context parallelism (Ulysses over gloo) with radial processors gives the
single-process radial output and, summed over the ranks, its gradients: Wan with diffusers' plan,
HunyuanVideo and Mochi with radial's; ring attention is refused."""

import os

import pytest
import torch
from rank_processes import run_ranks

pytest.importorskip("diffusers.models", reason="diffusers is not installed")


def outputs_of_ranks(world: int, out_dir, worker: str = "ulysses_wan_worker.py", *worker_args: str) -> list:
    """Runs the worker on ``world`` ranks; each saves its model output to ``out_dir/rank{r}.pt``."""
    worker = os.path.join(os.path.dirname(__file__), worker)
    run_ranks(world, lambda rank, port: [worker, *worker_args, str(rank), str(world), str(port), str(out_dir)])
    return [torch.load(out_dir / f"rank{r}.pt") for r in range(world)]


def test_wan_context_parallel_ulysses_equals_single_process(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    [single] = outputs_of_ranks(1, tmp_path / "one")
    gathered = outputs_of_ranks(2, tmp_path / "two")
    for out in gathered:  # the plan gathers the output on every rank
        torch.testing.assert_close(out, single, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("family", ["hunyuanvideo", "mochi"])
def test_joint_context_parallel_ulysses_equals_single_process(tmp_path, family):
    """Radial's plan: padded text of different valid lengths, a dense step, then a radial step with a
    dense first layer (HunyuanVideo: dual- and single-stream blocks), all through the Ulysses path."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    [single] = outputs_of_ranks(1, tmp_path / "one", "ulysses_joint_worker.py", family)
    gathered = outputs_of_ranks(2, tmp_path / "two", "ulysses_joint_worker.py", family)
    # The radial step must differ from the dense one by far more than the tolerance, or the
    # comparison below could not tell a dense path taken by mistake.
    assert (single[0] - single[1]).abs().max() > 1e-3
    for outputs in gathered:  # the plan gathers the output on every rank
        for step in (0, 1):
            torch.testing.assert_close(outputs[step], single[step], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("family", ["wan", "hunyuanvideo", "mochi"])
def test_context_parallel_gradients_equal_single_process(tmp_path, family):
    """Every parameter's gradient and the latent's and text's, through a dense first layer and radial
    layers, summed over 2 ranks (each rank's backward covers its own tokens' share of the loss)."""
    from ulysses_grad_worker import gradients, make_problem

    worker = os.path.join(os.path.dirname(__file__), "ulysses_grad_worker.py")
    run_ranks(2, lambda rank, port: [worker, family, str(rank), "2", str(port), str(tmp_path)])
    summed = torch.load(tmp_path / "grads.pt")
    expected = gradients(*make_problem(family))
    assert summed.keys() == expected.keys()
    # The two runs sum in different orders: about 3e-6 of each gradient's largest entry at worst here
    # (fp32). A gradient that is zero up to rounding (a key bias under softmax) is judged against a
    # millionth of the largest gradient instead of its own noise.
    largest = max(g.abs().max() for g in expected.values())
    for name, grad in expected.items():
        magnitude = max(grad.abs().max(), 1e-6 * largest)
        torch.testing.assert_close(summed[name], grad, rtol=0, atol=2e-5 * magnitude, msg=lambda m: f"{name}: {m}")


def test_context_parallel_plan_shape_and_refusals():
    from diffusers.models._modeling_parallel import ContextParallelInput, ContextParallelOutput
    from tiny_models import tiny_hunyuan_video, tiny_mochi, tiny_wan

    from radial.diffusers import context_parallel_plan

    plan = context_parallel_plan(tiny_hunyuan_video())
    assert plan["transformer_blocks.0"] == {"hidden_states": ContextParallelInput(1, 3, False)}
    assert plan["rope"] == {0: ContextParallelInput(0, 2, True), 1: ContextParallelInput(0, 2, True)}
    assert plan["proj_out"] == ContextParallelOutput(1, 3)
    assert "single_transformer_blocks.0" in context_parallel_plan(tiny_hunyuan_video(dual=0))
    mochi = context_parallel_plan(tiny_mochi())
    assert mochi["rope"] == {0: ContextParallelInput(0, 3, True), 1: ContextParallelInput(0, 3, True)}
    with pytest.raises(NotImplementedError, match="token_replace"):
        context_parallel_plan(tiny_hunyuan_video(image_condition_type="token_replace"))
    with pytest.raises(TypeError, match="WanTransformer3DModel"):
        context_parallel_plan(tiny_wan())


def test_ring_attention_is_refused():
    from types import SimpleNamespace

    from radial.diffusers.processors.base import RadialProcessor

    processor = RadialProcessor.__new__(RadialProcessor)
    processor.original = SimpleNamespace(_parallel_config=SimpleNamespace(
        context_parallel_config=SimpleNamespace(ulysses_degree=1, ring_degree=2, ulysses_anything=False)))
    with pytest.raises(ValueError, match="ring_degree"):
        processor.ulysses_group()
