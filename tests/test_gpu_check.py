"""The device check's CPU-runnable parts: the model it builds, its recipes, the `final/`
completeness checker, the results table, and (slow) the whole `--cpu` pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from toolzero import gpu_check
from toolzero.gpu_check import StepResult, build_qwen2_model, make_recipe, render_table
from toolzero.training.final_check import final_model_problems
from toolzero.training.recipe import recipe_from_dict


@pytest.fixture(scope="module")
def qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_qwen2_model(tmp_path_factory.mktemp("gpu-check") / "model", "tiny", "float32")


def test_built_model_is_a_complete_qwen2_checkpoint(qwen: Path) -> None:
    config = json.loads((qwen / "config.json").read_text())
    assert config["model_type"] == "qwen2" and config["num_hidden_layers"] == 2
    assert final_model_problems(qwen) == []


def test_small_size_has_qwen2_5_0_5b_layer_shapes() -> None:
    small = gpu_check.SIZES["small"]
    assert (small["hidden_size"], small["num_hidden_layers"], small["num_key_value_heads"]) == (896, 24, 2)


def copy_model(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def test_an_empty_tensor_is_found(qwen: Path, tmp_path: Path) -> None:
    """What a rank-0 `save_pretrained` under ZeRO-3 writes: shape-[0] placeholders."""
    broken = copy_model(qwen, tmp_path / "broken")
    from safetensors.torch import load_file

    weights = load_file(broken / "model.safetensors")
    name = next(k for k in weights if k.endswith("q_proj.weight"))
    weights[name] = torch.empty(0)
    save_file(weights, broken / "model.safetensors", metadata={"format": "pt"})
    problems = final_model_problems(broken)
    assert problems == [f"{name}: empty tensor (shape [0]) in model.safetensors"]


def test_a_missing_shard_and_a_missing_weight_are_found(qwen: Path, tmp_path: Path) -> None:
    sharded = copy_model(qwen, tmp_path / "sharded")
    from safetensors.torch import load_file

    weights = load_file(sharded / "model.safetensors")
    (sharded / "model.safetensors").unlink()
    names = sorted(weights)
    half = len(names) // 2
    save_file({k: weights[k] for k in names[:half]}, sharded / "model-00001-of-00002.safetensors")
    weight_map = {k: "model-00001-of-00002.safetensors" for k in names[:half]}
    weight_map |= {k: "model-00002-of-00002.safetensors" for k in names[half:]}
    index = {"metadata": {}, "weight_map": weight_map}
    (sharded / "model.safetensors.index.json").write_text(json.dumps(index))
    assert final_model_problems(sharded) == [
        "model-00002-of-00002.safetensors: named in model.safetensors.index.json but missing"
    ]
    # the shard exists but lacks one weight: loading reports it missing
    dropped = names[-1]
    save_file({k: weights[k] for k in names[half:-1]}, sharded / "model-00002-of-00002.safetensors")
    problems = final_model_problems(sharded)
    assert problems == [
        f"{dropped}: named in model.safetensors.index.json for model-00002-of-00002.safetensors but not there"
    ]


def test_recipes_are_valid_and_gpu_shaped(qwen: Path, tmp_path: Path) -> None:
    gpu = recipe_from_dict(make_recipe(qwen, tmp_path / "run", cpu=False, vllm=True))
    assert gpu.grpo.bf16 and gpu.model.dtype == "bfloat16" and gpu.grpo.vllm_mode == "colocate"
    assert not gpu.lora.enabled and gpu.run.report_to == ["none"]
    cpu = recipe_from_dict(make_recipe(qwen, tmp_path / "run", cpu=True))
    assert not cpu.grpo.bf16 and cpu.run.use_cpu is True


def test_results_table() -> None:
    table = render_table(
        [
            StepResult("build", "PASS", 3.0, note="Qwen2"),
            StepResult("hf-bf16", "FAIL", 12.5, 1.25, 800.0, 2048.0, "exit 1: boom"),
            StepResult("zero3", note="skipped: deepspeed is not installed"),
        ]
    )
    assert table.splitlines() == [
        "| step | result | wall s | step s | tokens/s | peak GPU MiB | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| build | PASS | 3.0 | - | - | - | Qwen2 |",
        "| hf-bf16 | FAIL | 12.5 | 1.25 | 800.0 | 2048.0 | exit 1: boom |",
        "| zero3 | SKIP | - | - | - | - | skipped: deepspeed is not installed |",
    ]


@pytest.mark.slow
def test_cpu_mode_trains_and_checks_final(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert gpu_check.main(["--cpu", "--out", str(tmp_path)]) == 0
    results = {r["name"]: r for r in json.loads((tmp_path / "gpu_check.json").read_text())}
    assert results["hf-cpu"]["status"] == "PASS" and results["hf-cpu"]["note"] == "final/ complete"
    assert results["hf-cpu"]["step_s"] is not None
    assert {results[n]["status"] for n in ("fsdp", "zero3", "vllm-colocate", "eval-vllm")} == {"SKIP"}
    assert "| hf-cpu | PASS |" in capsys.readouterr().out
