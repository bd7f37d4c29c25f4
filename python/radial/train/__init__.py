"""``radial.train``: LoRA length-extension fine-tuning of video diffusion transformers with radial
attention (docs/training.md). Needs peft and safetensors; diffusers for diffusers models.

    from radial.train import LatentDataset, TrainConfig, train
    config = TrainConfig(height=720, width=1280, num_frames=321, steps=2000, rank=64, output_dir="lora-321f")
    result = train(transformer, LatentDataset("latents/"), config)   # a diffusers Wan/HunyuanVideo/Mochi transformer
    pipe.load_lora_weights("lora-321f")                              # the trained LoRA, as diffusers reads it

or ``python -m radial.train --model ... --data ... --num-frames 321 --height 720 --width 1280 ...``.
"""

from radial.train.config import TrainConfig
from radial.train.dataset import LatentDataset, write_sample
from radial.train.families import DiffusersFamily, TrainingFamily
from radial.train.flow_matching import SigmaSampler, noisy_latents, shifted_sigmas, velocity_target
from radial.train.lora import active_adapters, add_lora, load_lora, lora_state_dict, save_lora
from radial.train.png import write_loss_curve
from radial.train.trainer import TrainResult, train, training_loss

__all__ = [
    "TrainConfig", "train", "TrainResult", "training_loss",
    "LatentDataset", "write_sample",
    "TrainingFamily", "DiffusersFamily",
    "SigmaSampler", "shifted_sigmas", "noisy_latents", "velocity_target",
    "add_lora", "load_lora", "save_lora", "lora_state_dict", "active_adapters",
    "write_loss_curve",
]
