"""The objective's pieces: the sigma table (diffusers' scheduler's), the sampler, the mixing and target."""

from __future__ import annotations

import pytest
import torch

from radial.train import SigmaSampler, noisy_latents, shifted_sigmas, velocity_target


@pytest.mark.parametrize("shift", [1.0, 3.0, 5.0])
def test_sigma_table_is_the_flow_match_schedulers(shift):
    schedulers = pytest.importorskip("diffusers.schedulers", reason="comparing with diffusers' scheduler needs diffusers")
    scheduler = schedulers.FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=shift)
    torch.testing.assert_close(shifted_sigmas(1000, shift), scheduler.sigmas[:1000].float(), rtol=0, atol=1e-6)


def test_shift_moves_levels_up_and_keeps_the_ends():
    plain, shifted = shifted_sigmas(100, 1.0), shifted_sigmas(100, 3.0)
    torch.testing.assert_close(plain, torch.linspace(1, 0.01, 100))
    assert shifted[0] == 1.0 and bool((shifted[1:] > plain[1:]).all())


def test_mixing_and_target():
    g = torch.Generator().manual_seed(1)
    x0, noise = 1.5 * torch.randn(3, 4, 2, 5, 6, generator=g), torch.randn(3, 4, 2, 5, 6, generator=g)
    sigma = torch.tensor([0.0, 0.3, 1.0])
    mixed = noisy_latents(x0, noise, sigma)
    torch.testing.assert_close(mixed[0], x0[0])
    torch.testing.assert_close(mixed[1], 0.7 * x0[1] + 0.3 * noise[1])
    torch.testing.assert_close(mixed[2], noise[2])
    # The target is the derivative of the mixture along sigma.
    step = 1e-3
    derivative = (noisy_latents(x0, noise, sigma.double() + step).float() - mixed) / step
    torch.testing.assert_close(derivative, velocity_target(x0, noise), rtol=0, atol=1e-3)


@pytest.mark.parametrize("weighting", ["uniform", "logit-normal"])
def test_sampler_draws_table_levels_reproducibly(weighting):
    sampler = SigmaSampler(1000, 3.0, weighting)
    first = sampler.sample(4096, torch.Generator().manual_seed(5))
    again = sampler.sample(4096, torch.Generator().manual_seed(5))
    assert torch.equal(first, again)
    table = shifted_sigmas(1000, 3.0)
    assert bool(torch.isin(first, table).all())


def test_logit_normal_concentrates_on_middle_levels():
    g = torch.Generator().manual_seed(2)
    uniform = SigmaSampler(1000, 1.0, "uniform").sample(8192, g)
    logit = SigmaSampler(1000, 1.0, "logit-normal").sample(8192, g)
    assert (logit - 0.5).abs().mean() < 0.8 * (uniform - 0.5).abs().mean()


def test_sampler_rejects_unknown_weighting():
    with pytest.raises(ValueError, match="weighting: expected one of uniform, logit-normal"):
        SigmaSampler(weighting="cosine")
