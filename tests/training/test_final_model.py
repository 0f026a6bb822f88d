"""Saving `final/` under sharded training, the load order that lets ZeRO-3 init apply, and
fp32 master weights for full fine-tuning (the multi-process runs are in
test_distributed.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from toolzero.training.final_model import check_final_save, merge_adapter, save_final_model
from toolzero.training.precision import weights_dtype
from toolzero.training.recipe import load_recipe

from .conftest import QUICKSTART, REPO, tiny_overrides


def recipe_with(tmp_path: Path, model: Path | str = "m", **extra: object):
    return load_recipe(QUICKSTART, tiny_overrides(Path(model), tmp_path / "run", **extra))


# --- fp32 master weights (full fine-tuning) -------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "lora", "expected"),
    [
        ("bfloat16", False, "float32"),  # full fine-tuning: fp32 master weights
        ("float16", False, "float32"),
        ("float32", False, "float32"),
        ("bfloat16", True, "bfloat16"),  # LoRA: the frozen base may stay 16-bit
        ("float32", True, "float32"),
    ],
)
def test_full_finetuning_loads_fp32_master_weights(
    tmp_path: Path, dtype: str, lora: bool, expected: str
) -> None:
    recipe = recipe_with(tmp_path, **{"model.dtype": dtype, "lora.enabled": lora})
    assert weights_dtype(recipe) == expected


def test_a_paper_sized_update_survives_in_fp32_and_rounds_away_in_bf16() -> None:
    """One AdamW step at lr 1e-6 moves a weight by ~1e-6 (Adam's first step is lr x sign of
    the gradient); bf16 spaces numbers near 1.0 by 2^-7, fp32 by 2^-23."""
    import torch

    moved = {}
    for dtype in (torch.float32, torch.bfloat16):
        weight = torch.nn.Parameter(torch.ones(4, dtype=dtype))
        optimizer = torch.optim.AdamW([weight], lr=1e-6, weight_decay=0.0)
        weight.grad = torch.ones(4, dtype=dtype)
        optimizer.step()
        moved[dtype] = (1.0 - weight.detach().float()).abs().max().item()
    assert moved[torch.float32] == pytest.approx(1e-6, abs=2**-24)  # within one fp32 step
    assert moved[torch.bfloat16] == 0.0


# --- the save path each mode takes ----------------------------------------------------


class StubTrainer:
    """The parts of a transformers Trainer that `save_final_model` touches, recording calls."""

    def __init__(self, fsdp=False, deepspeed=None, world_size=2, rank=0):
        self.calls: list[tuple[str, str]] = []
        self.is_fsdp_enabled = fsdp
        self.is_deepspeed_enabled = deepspeed is not None
        self.args = SimpleNamespace(world_size=world_size)
        plugin = SimpleNamespace(set_state_dict_type=lambda t: self.calls.append(("type", t)))
        self.accelerator = SimpleNamespace(
            state=SimpleNamespace(
                fsdp_plugin=plugin,
                deepspeed_plugin=SimpleNamespace(deepspeed_config=deepspeed or {}),
            ),
            unwrap_model=lambda m: m,
        )
        self.model = SimpleNamespace(generation_config={"eos_token_id": [1, 5]})
        self.rank = rank

    def save_model(self, output_dir: str) -> None:
        self.calls.append(("save_model", output_dir))

    def is_world_process_zero(self) -> bool:
        return self.rank == 0


class StubTokenizer:
    chat_template = "{{ messages }}"

    def __init__(self):
        self.saved: list[Path] = []

    def save_pretrained(self, path: Path) -> None:
        self.saved.append(path)


@pytest.mark.parametrize("rank", [0, 1])
def test_fsdp_saves_the_full_state_dict_on_every_rank(tmp_path: Path, rank: int) -> None:
    recipe = recipe_with(tmp_path, **{"lora.enabled": False})
    trainer, tokenizer = StubTrainer(fsdp=True, rank=rank), StubTokenizer()
    final, model = save_final_model(trainer, recipe, tmp_path / "run", tokenizer)
    # FSDP2 defaults to sharded saves; the full state dict is chosen before the
    # collective save, which every rank makes (a rank that skips it hangs the others).
    assert trainer.calls == [("type", "FULL_STATE_DICT"), ("save_model", str(final))]
    assert model is None
    assert tokenizer.saved == ([final] if rank == 0 else [])


def test_sharded_lora_gathers_the_adapter_and_merges_on_rank_0_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolzero.training.final_model as final_model

    merges = []
    monkeypatch.setattr(final_model, "merge_adapter", lambda *a: merges.append(a))
    recipe = recipe_with(tmp_path, **{"lora.enabled": True})
    zero3 = {"zero_optimization": {"stage": 3, "stage3_gather_16bit_weights_on_model_save": True}}
    for rank in (1, 0):
        trainer = StubTrainer(deepspeed=zero3, world_size=1, rank=rank)
        save_final_model(trainer, recipe, tmp_path / "run", StubTokenizer())
        assert trainer.calls == [("save_model", str(tmp_path / "run" / "adapter"))]
    assert len(merges) == 1  # rank 0's
    _, adapter, final, generation_config = merges[0]
    assert (adapter, final) == (tmp_path / "run" / "adapter", tmp_path / "run" / "final")
    assert generation_config == {"eos_token_id": [1, 5]}  # training's end-of-turn ids kept


def test_zero3_without_16bit_gather_fails_before_training() -> None:
    zero3 = {"zero_optimization": {"stage": 3}}
    with pytest.raises(ValueError, match="zero3_save_16bit_model"):
        check_final_save(StubTrainer(deepspeed=zero3))
    gathered = {"zero_optimization": {"stage": 3, "stage3_gather_16bit_weights_on_model_save": 1}}
    check_final_save(StubTrainer(deepspeed=gathered))
    check_final_save(StubTrainer(deepspeed={"zero_optimization": {"stage": 2}}))
    check_final_save(StubTrainer(fsdp=True))


@pytest.mark.slow
def test_merge_adapter_is_base_plus_scaled_lora_product(tiny_model: Path, tmp_path: Path) -> None:
    """The rank-0 merge equals W + (alpha / r) B A, from the LoRA definition."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    original = {k: v.clone() for k, v in base.state_dict().items()}
    expected = dict(original)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj"]))
    torch.manual_seed(0)
    for module_name, module in peft_model.named_modules():
        if hasattr(module, "lora_B") and "default" in getattr(module, "lora_B", {}):
            torch.nn.init.normal_(module.lora_B["default"].weight)
            a, b = module.lora_A["default"].weight, module.lora_B["default"].weight
            key = module_name.removeprefix("base_model.model.") + ".weight"
            expected[key] = expected[key] + 2.0 * (b @ a).detach()
    peft_model.save_pretrained(tmp_path / "adapter")
    recipe = recipe_with(tmp_path, tiny_model, **{"model.dtype": "float32"})
    generation_config = base.generation_config
    merge_adapter(recipe, tmp_path / "adapter", tmp_path / "final", generation_config)

    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "final").state_dict()
    assert sorted(merged) == sorted(expected)
    assert all(merged[k].allclose(expected[k], atol=1e-6) for k in expected)
    assert [k for k in merged if not merged[k].equal(original[k])] == [
        f"model.layers.{i}.self_attn.q_proj.weight" for i in range(2)
    ]


# --- the config exists while the model loads (ZeRO-3 init) ----------------------------

ZERO3_PROBE = """
import json, sys
import toolzero.models as models
from transformers.integrations import is_deepspeed_zero3_enabled
from toolzero.training.recipe import load_recipe
from toolzero.training.run import train

class Stop(BaseException):
    pass

seen = {}
def load_model(name, dtype, **kwargs):
    seen["zero3_while_loading"] = is_deepspeed_zero3_enabled()
    seen["dtype"] = dtype
    raise Stop  # stop here: the real DeepSpeed is not installed
models.load_model = load_model
try:
    train(load_recipe(sys.argv[1], sys.argv[2:]))
except Stop:
    pass
print(json.dumps(seen))
"""


# What `accelerate launch --config_file recipes/launch/zero3.yaml` puts in the environment.
ACCELERATE_ZERO3_ENV = {
    "ACCELERATE_USE_DEEPSPEED": "true",
    "ACCELERATE_DEEPSPEED_ZERO_STAGE": "3",
    "ACCELERATE_DEEPSPEED_ZERO3_INIT": "true",
    "ACCELERATE_DEEPSPEED_ZERO3_SAVE_16BIT_MODEL": "true",
}


@pytest.mark.slow
@pytest.mark.parametrize("source", ["grpo.deepspeed", "accelerate launch"])
def test_zero3_init_applies_while_the_model_loads(
    tiny_model: Path, tmp_path: Path, source: str
) -> None:
    """With ZeRO-3 (a recipe's DeepSpeed JSON, or accelerate's launch environment),
    transformers' `is_deepspeed_zero3_enabled()` is True inside the model load, so
    `from_pretrained` uses `deepspeed.zero.Init`: the trainer's config was created first
    and is still alive. DeepSpeed is not installed here; a stand-in distribution (a
    version and nothing else) satisfies transformers' version check, and the probe stops
    before anything would call into DeepSpeed."""
    stub = tmp_path / "stub"
    (stub / "deepspeed").mkdir(parents=True)
    (stub / "deepspeed" / "__init__.py").write_text('__version__ = "0.18.0"\n')
    (stub / "deepspeed-0.18.0.dist-info").mkdir()
    (stub / "deepspeed-0.18.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: deepspeed\nVersion: 0.18.0\n"
    )
    config = tmp_path / "zero3.json"
    config.write_text(
        json.dumps(
            {
                "zero_optimization": {"stage": 3, "stage3_gather_16bit_weights_on_model_save": True},
                "train_micro_batch_size_per_gpu": "auto",
                "gradient_accumulation_steps": "auto",
            }
        )
    )
    # This machine has no GPU: its checks (DeepSpeed needs CUDA) are skipped, as for any
    # recipe validated away from its machine; the load order is what is probed.
    settings = {
        "run.use_cpu": True,
        "run.machine_checks": False,
        "model.dtype": "bfloat16",
        "lora.enabled": False,
    }
    if source == "grpo.deepspeed":
        settings["grpo.deepspeed"] = str(config)
    overrides = tiny_overrides(tiny_model, tmp_path / "run", **settings)
    env = {
        **os.environ,
        **(ACCELERATE_ZERO3_ENV if source == "accelerate launch" else {}),
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(stub)]),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(ZERO3_PROBE), str(QUICKSTART), *overrides],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"zero3_while_loading": True, "dtype": "float32"}
