"""Multi-process training on CPU (gloo): two processes train 2 GRPO steps on the tiny model
and `final/` holds the whole trained model.

What runs here and what cannot (torch 2.13, accelerate 1.15, no DeepSpeed, no GPU):

- **DDP, 2 processes** (`torch.distributed.run`, gloo): runs, full fine-tuning and LoRA.
  `final/` is written the way every distributed run writes it: `Trainer.save_model` on
  every rank, then (LoRA) the merge on rank 0 from the saved adapter. The expected
  weights come from the trainer's own last checkpoint, and for LoRA from the LoRA
  definition W + (alpha / r) B A, not from the code under test.
- **FSDP**: cannot run on CPU with accelerate 1.15. `AcceleratorState` turns an FSDP
  launch into FSDP only for GPU-type process groups (MULTI_GPU, NPU, XPU, ...); a CPU
  launch with an FSDP config and `--cpu`/`use_cpu` runs as plain MULTI_CPU data
  parallel, and without `use_cpu` it runs unconnected single processes. (torch's own
  FSDP2 `fully_shard` does work on CPU with gloo; it is accelerate that never applies
  it.) FSDP's save therefore runs here through its nearest CPU mode, the 2-process DDP
  path above (the same collective `save_model` and rank-0 merge), and the one
  FSDP-specific step, selecting the full state dict before the collective save, is
  unit-tested in test_final_model.py.
- **DeepSpeed ZeRO-3** needs DeepSpeed and a GPU: the same path, tested the same way;
  the ZeRO-3 init order (the config exists while the model loads) is tested in
  test_final_model.py with a stand-in `deepspeed` distribution.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import QUICKSTART, REPO, tiny_overrides

pytestmark = pytest.mark.slow

TIMEOUT_S = 300


def launch_two_processes(model: Path, out: Path, **extra: object) -> None:
    """`toolzero train` in 2 CPU processes (gloo) on the shrunk quickstart recipe."""
    overrides = tiny_overrides(
        model,
        out,
        **{
            "run.use_cpu": True,
            # A random tiny model earns the same reward on every completion; the entropy
            # bonus still gives a gradient, so the weights move.
            "grpo.learning_rate": 0.05,
            "grpo.entropy_coef": 0.1,
            **extra,
        },
    )
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "toolzero",
        "train",
        "--config",
        str(QUICKSTART),
        *overrides,
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    done = subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stderr.count("training 2 steps into") == 2, "expected 2 training processes"


def load_weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    files = sorted(folder.glob("*.safetensors"))
    assert files, f"no weights in {folder}"
    weights: dict = {}
    for file in files:
        weights |= load_file(file)
    return weights


def assert_complete(final: dict, base: dict) -> None:
    """Every weight of the base model is there, with its full shape (no empty shards)."""
    assert sorted(final) == sorted(base)
    for name, tensor in final.items():
        assert tensor.numel() > 0 and tensor.shape == base[name].shape, name


def test_ddp_full_finetune_final_is_the_trained_model(tiny_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    launch_two_processes(tiny_model, out, **{"lora.enabled": False})
    base = load_weights(tiny_model)
    final = load_weights(out / "final")
    trained = load_weights(out / "checkpoints" / "checkpoint-2")  # the trainer's own save
    assert_complete(final, base)
    assert all(final[k].equal(trained[k]) for k in base)
    assert any(not final[k].equal(base[k]) for k in base), "training moved no weight"

    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(out / "final")  # any HF loader
    assert not any("lora" in n for n, _ in model.named_parameters())
    assert (out / "final" / "tokenizer_config.json").exists()
    assert (out / "final" / "chat_template.jinja").exists()


def test_ddp_lora_final_is_base_plus_merged_adapter(tiny_model: Path, tmp_path: Path) -> None:
    import json

    out = tmp_path / "run"
    launch_two_processes(tiny_model, out, **{"lora.enabled": True})
    base = load_weights(tiny_model)
    final = load_weights(out / "final")
    checkpoint = out / "checkpoints" / "checkpoint-2"
    adapter = load_weights(checkpoint)
    config = json.loads((checkpoint / "adapter_config.json").read_text())
    scale = config["lora_alpha"] / config["r"]
    assert_complete(final, base)

    merged = dict(base)
    for key, a in adapter.items():
        if ".lora_A." not in key:
            continue
        b = adapter[key.replace(".lora_A.", ".lora_B.")]
        target = key.removeprefix("base_model.model.").replace(".lora_A.weight", ".weight")
        merged[target] = base[target] + scale * (b.float() @ a.float())
    assert len(adapter) > 0 and any(adapter[k].abs().sum() > 0 for k in adapter if "lora_B" in k)
    for name in base:
        assert final[name].float().allclose(merged[name], atol=1e-5), name
    assert any(not final[k].equal(base[k]) for k in base), "the merge changed nothing"
