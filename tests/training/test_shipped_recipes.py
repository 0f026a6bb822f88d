"""Every shipped training recipe dry-runs against a small prepared dataset with machine
checks skipped (they are meant for GPU machines), and the batch arithmetic is the papers'."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from toolzero.cli import main

from .conftest import REPO

TRAINING_RECIPES = sorted((REPO / "recipes").glob("*.yaml"))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small prepared folder from the synthetic generator (the data recipe, fewer rows)."""
    raw = yaml.safe_load((REPO / "recipes" / "data" / "synthetic.yaml").read_text())
    raw["sources"][0]["count"], raw["eval"][0]["count"] = 40, 8
    folder = tmp_path_factory.mktemp("data")
    (folder / "small.yaml").write_text(yaml.safe_dump(raw))
    assert main(["data", "prepare", "--recipe", str(folder / "small.yaml"), "--out", str(folder / "prepared")]) == 0
    return folder / "prepared"


def dry_run(recipe: Path, capsys: pytest.CaptureFixture, *args: str) -> dict:
    capsys.readouterr()
    code = main(["train", "--config", str(recipe), "--dry-run", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return yaml.safe_load(out.out)


def test_the_gpu_recipes_are_shipped() -> None:
    names = {p.stem for p in TRAINING_RECIPES}
    assert {"tool-zero-qwen2.5-7b", "tool-zero-qwen2.5-7b-vllm-server", "quickstart"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("recipe", TRAINING_RECIPES, ids=lambda p: p.stem)
def test_every_recipe_dry_runs_with_machine_checks_skipped(
    recipe: Path, prepared: Path, capsys: pytest.CaptureFixture
) -> None:
    multi_turn = (yaml.safe_load(recipe.read_text()).get("environment") or {}).get("name")
    data = [] if multi_turn else [f"data.train={prepared}"]  # multi-turn: its env's tasks
    printed = dry_run(recipe, capsys, "--skip-machine-checks", *data)
    assert printed["run"]["machine_checks"] is False
    if multi_turn:
        assert printed["data"]["train"].startswith(f"env:{multi_turn}")
        assert printed["reward"]["preset"].startswith("episode")
    else:
        assert printed["data"]["train"] == str(prepared)


@pytest.mark.parametrize("recipe", TRAINING_RECIPES, ids=lambda p: p.stem)
def test_every_recipe_names_benchmarks_that_exist(
    recipe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`toolzero quickstart --config RECIPE` checks its evaluation section before the model
    loads; a shipped recipe passes that check (an unfamiliar suite whose data is absent is
    a skip, not an error)."""
    from toolzero.quickstart import check_evaluation
    from toolzero.training.recipe import load_recipe

    monkeypatch.setenv("TOOLZERO_CACHE", str(tmp_path / "empty-cache"))
    skipped = check_evaluation(load_recipe(recipe), str(recipe))
    assert skipped is None or "is not on this machine" in skipped


def per_device_batch(grpo: dict, gpus: int) -> float:
    completions = grpo["prompts_per_step"] * grpo["num_generations"]
    return completions / (gpus * grpo["gradient_accumulation_steps"])


def test_tool_zero_global_batch_counts_prompts() -> None:
    """verl's global batch of 128 is prompts: 128 x 8 rollouts = 1024 completions a step."""
    grpo = yaml.safe_load((REPO / "recipes" / "tool-zero-qwen2.5-7b.yaml").read_text())["grpo"]
    assert grpo["prompts_per_step"] == 128 and grpo["num_generations"] == 8
    assert per_device_batch(grpo, gpus=8) == 8  # whole micro-batches on 8 GPUs


def test_server_mode_recipe(prepared: Path, capsys: pytest.CaptureFixture) -> None:
    path = REPO / "recipes" / "tool-zero-qwen2.5-7b-vllm-server.yaml"
    printed = dry_run(path, capsys, "--skip-machine-checks", f"data.train={prepared}")
    grpo = printed["grpo"]
    assert grpo["use_vllm"] is True and grpo["vllm_mode"] == "server"
    assert {"vllm_server_host", "vllm_server_port"} <= set(grpo["extra"])
    assert grpo["prompts_per_step"] * grpo["num_generations"] == 1024  # the same global batch
    assert per_device_batch(grpo, gpus=4) == 8  # 4 training GPUs, 4 for `trl vllm-serve`
    assert "trl vllm-serve" in path.read_text()
