"""Fixtures for training tests: a tiny local model and recipe overrides that make real
GRPO steps take well under a second each."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "recipes" / "quickstart.yaml"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolzero.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def tiny_overrides(model: Path, out: Path, **extra: object) -> list[str]:
    """The quickstart recipe shrunk to the tiny model: 2 prompts x 2 completions x 8 tokens."""
    settings = {
        "model.name": str(model),
        "data.train": "synthetic",
        "data.limit": 8,
        "grpo.prompts_per_step": 2,
        "grpo.num_generations": 2,
        "grpo.max_completion_length": 8,
        "grpo.max_steps": 2,
        "run.output_dir": str(out),
        "run.save_steps": 1,
        "lora.target_modules": "all-linear",
        **extra,
    }
    return [f"{k}={v}" for k, v in settings.items()]
