"""``python -m radial.train`` on the tiny diffusers models: it trains, writes a loadable LoRA, a loss
curve and a checkpoint, keeps a LoRA given with --lora active, and feeds each family its inputs."""

from __future__ import annotations

import pytest
from synthetic_data import VIDEO, write_dataset

pytest.importorskip("diffusers.models", reason="the command line trains diffusers models: it needs diffusers")

from radial.train import add_lora, save_lora  # noqa: E402
from radial.train.cli import main  # noqa: E402
from radial.train.tiny import tiny_transformer  # noqa: E402

MOCHI_VIDEO = dict(VIDEO, num_frames=61)  # Mochi maps 6 frames to a latent frame: 11 latent frames again


def arguments(data, output, video=VIDEO, steps=12, *extra) -> list[str]:
    return ["--data", str(data), "--output", str(output), "--height", str(video["height"]), "--width",
            str(video["width"]), "--num-frames", str(video["num_frames"]), "--steps", str(steps), "--rank", "4",
            "--lr", "1e-2", "--device", "cpu", *extra]


def test_trains_tiny_wan_and_writes_its_outputs(tmp_path, dataset_dir, capsys):
    assert main(["--model", "tiny-wan", *arguments(dataset_dir, tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "wan2.1-t2v-14b at 128x256, 41 frames (default-length schedule)" in err
    assert "step 12/12" in err
    for name in ("pytorch_lora_weights.safetensors", "loss.png", "losses.json",
                 "checkpoint-000012/trainer_state.pt", "checkpoint-000012/pytorch_lora_weights.safetensors"):
        assert (tmp_path / "out" / name).is_file(), name


def test_a_lora_given_first_stays_active(tmp_path, dataset_dir, capsys):
    style = tiny_transformer("tiny-wan")
    add_lora(style, ["blocks.0.attn2.to_q", "blocks.1.attn2.to_k"], rank=2, alpha=2, adapter_name="style",
             announce=False)
    save_lora(tmp_path / "style", style, "style")
    assert main(["--model", "tiny-wan", "--lora", f"style={tmp_path / 'style'}",
                 *arguments(dataset_dir, tmp_path / "out", VIDEO, 2)]) == 0
    assert "active LoRA adapters: style (frozen), radial_length (training" in capsys.readouterr().err


@pytest.mark.parametrize("model, video, extra", [
    ("tiny-hunyuanvideo", VIDEO, dict(text_mask=True, pooled=True)),
    ("tiny-mochi", MOCHI_VIDEO, dict(text_mask=True)),
])
def test_each_family_gets_its_inputs(tmp_path, model, video, extra):
    data = write_dataset(tmp_path / "data", **extra)
    assert main(["--model", model, *arguments(data, tmp_path / "out", video, 3), "--dtype", "fp32"]) == 0
    assert (tmp_path / "out" / "pytorch_lora_weights.safetensors").is_file()


def test_bad_inputs_are_one_line_errors(tmp_path, dataset_dir, capsys):
    assert main(["--model", "tiny-hunyuanvideo", *arguments(dataset_dir, tmp_path / "out", VIDEO, 1)]) == 2
    assert "error: data: HunyuanVideo needs 'prompt_attention_mask'" in capsys.readouterr().err
    assert main(["--model", str(tmp_path), *arguments(dataset_dir, tmp_path / "out2", VIDEO, 1)]) == 2
    assert "error: model: expected a diffusers pipeline or transformer directory" in capsys.readouterr().err
    assert main(["--model", "tiny-wan", *arguments(dataset_dir, tmp_path / "out3", dict(VIDEO, height=144), 1)]) == 2
    assert "radial: the transformer received a latent of 11 latent frames of 8x16 tokens" in capsys.readouterr().err


def test_loads_a_pipeline_directory_with_its_schedulers_shift(tmp_path, dataset_dir, capsys):
    pipeline = tmp_path / "pipeline"
    tiny_transformer("tiny-wan").save_pretrained(pipeline / "transformer")
    (pipeline / "model_index.json").write_text('{"_class_name": "WanPipeline"}')
    (pipeline / "scheduler").mkdir()
    (pipeline / "scheduler" / "scheduler_config.json").write_text('{"_class_name": "UniPCMultistepScheduler", "flow_shift": 3.0}')
    assert main(["--model", str(pipeline), *arguments(dataset_dir, tmp_path / "out", VIDEO, 2)]) == 0
    assert "sigma shift 3, uniform weighting; bf16 compute" in capsys.readouterr().err


def test_an_existing_run_is_resumed_or_refused(tmp_path, dataset_dir, capsys):
    assert main(["--model", "tiny-wan", *arguments(dataset_dir, tmp_path / "out", VIDEO, 2)]) == 0
    assert main(["--model", "tiny-wan", *arguments(dataset_dir, tmp_path / "out", VIDEO, 3)]) == 2
    assert "already holds checkpoint-000002; resume from it" in capsys.readouterr().err
    assert main(["--model", "tiny-wan", *arguments(dataset_dir, tmp_path / "out", VIDEO, 3), "--resume"]) == 0
    assert "resumed from checkpoint-000002 (step 2)" in capsys.readouterr().err


def test_compile_flag_compiles_every_block(tmp_path, dataset_dir, capsys):
    assert main(["--model", "tiny-wan", *arguments(dataset_dir, tmp_path / "out", VIDEO, 2), "--compile"]) == 0
    assert "blocks compiled" in capsys.readouterr().err
