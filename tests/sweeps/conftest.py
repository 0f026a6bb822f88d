"""Fixtures for sweep tests: a sweep file writer and a tiny local model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "recipes" / "quickstart.yaml"
SWEEPS = REPO / "recipes" / "sweeps"


def write_sweep(folder: Path, name: str = "sweep.yaml", **content: Any) -> Path:
    """A sweep file in `folder` (base: the quickstart recipe unless given)."""
    content.setdefault("base", str(QUICKSTART))
    content.setdefault("output_dir", str(folder / "out"))
    path = folder / name
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolzero.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def tiny_settings(model: Path) -> dict[str, Any]:
    """The quickstart shrunk to the tiny model: 2 prompts x 2 completions x 8 tokens, 2 steps,
    a checkpoint at every step."""
    return {
        "model.name": str(model),
        "data.limit": 8,
        "grpo.prompts_per_step": 2,
        "grpo.num_generations": 2,
        "grpo.max_completion_length": 8,
        "grpo.max_steps": 2,
        "run.save_steps": 1,
        "lora.target_modules": "all-linear",
    }


TINY_EVALUATION = {"benches": ["synthetic"], "limit": 2, "max_new_tokens": 8, "batch_size": 2}
