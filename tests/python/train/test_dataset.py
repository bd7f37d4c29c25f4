"""The on-disk sample format: round trip, batching by epochs, and errors that name the file."""

from __future__ import annotations

import pytest
import torch
from synthetic_data import LATENT_SHAPE, write_dataset

from radial.train import LatentDataset, write_sample
from radial.train.dataset import batch_at


def test_round_trip_and_batches(tmp_path):
    data = LatentDataset(write_dataset(tmp_path / "data", samples=3, text_mask=True))
    assert len(data) == 3 and data.latent_shape == LATENT_SHAPE
    sample = data[1]
    assert set(sample) == {"latents", "prompt_embeds", "prompt_attention_mask"}
    batch = batch_at(data, step=0, batch_size=2, seed=0)
    assert batch["latents"].shape == (2, *LATENT_SHAPE)


def test_every_epoch_reads_every_sample_once(tmp_path):
    data = LatentDataset(write_dataset(tmp_path / "data", samples=3))
    keys = [d["latents"][0, 0, 0, 0].item() for d in (data[i] for i in range(3))]
    seen = [batch_at(data, step, 1, seed=7)["latents"][0, 0, 0, 0, 0].item() for step in range(6)]
    assert sorted(seen[:3]) == sorted(keys) and sorted(seen[3:]) == sorted(keys)


def test_samples_of_another_size_are_named(tmp_path):
    directory = write_dataset(tmp_path / "data", samples=2)
    write_sample(directory / "sample-zzz.safetensors", latents=torch.ones(4, 9, 14, 32), prompt_embeds=torch.ones(8, 16))
    with pytest.raises(ValueError, match="sample-zzz.safetensors: shapes .* differ from sample-000"):
        LatentDataset(directory)


def test_missing_key_and_empty_directory_are_errors(tmp_path):
    from safetensors.torch import save_file

    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no .safetensors sample files"):
        LatentDataset(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    save_file({"latents": torch.ones(4, 2, 2, 2)}, str(tmp_path / "bad" / "a.safetensors"))
    with pytest.raises(ValueError, match=r"a.safetensors: expected keys .* missing \['prompt_embeds'\]"):
        LatentDataset(tmp_path / "bad")
    with pytest.raises(ValueError, match="latents: expected rank 4"):
        write_sample(tmp_path / "x.safetensors", latents=torch.ones(4, 2, 2), prompt_embeds=torch.ones(8, 16))
