"""Real GRPO steps on the tiny local model: every reward preset, schedules, LoRA and full
fine-tuning, the run folder, and the final model loading back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolzero.rewards import PRESET_NAMES, get_preset
from toolzero.run_folder import latest_checkpoint, read_metrics
from toolzero.training.recipe import load_recipe
from toolzero.training.run import train

from .conftest import QUICKSTART, tiny_overrides


def run_tiny(model: Path, out: Path, **extra: object):
    recipe = load_recipe(QUICKSTART, tiny_overrides(model, out, **extra))
    return train(recipe)


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_preset_trains_and_logs_its_components(
    tiny_model: Path, tmp_path: Path, preset: str
) -> None:
    result = run_tiny(
        tiny_model, tmp_path / "run", **{"reward.preset": preset, "run.save_steps": 10}
    )
    rows = read_metrics(result.run_dir / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    names = get_preset(preset).component_names
    for row in rows:
        for name in names:
            assert f"rewards/{name}" in row, (preset, name, sorted(row))
        assert "rewards/total" in row
        assert row["step_time_s"] > 0
        assert "completion_length/mean" in row and "entropy" in row
    # The schedule in force at step N is the one the rewards saw (global_step N - 1).
    for row in rows:
        expected = get_preset(preset).schedule_values(row["step"] - 1, 2)
        assert {k[9:]: v for k, v in row.items() if k.startswith("schedule/")} == pytest.approx(
            expected
        )


def test_recipe_changes_the_preset_without_code(tiny_model: Path, tmp_path: Path) -> None:
    result = run_tiny(
        tiny_model,
        tmp_path / "run",
        **{
            "reward.preset": "toolzero",
            "reward.remove": ["grounding"],
            "reward.components": {
                "length": {
                    "function": "length",
                    "target_words": 4,
                    "weight": {"kind": "linear", "start": 0, "end": 1},
                }
            },
            "run.save_steps": 10,
        },
    )
    rows = read_metrics(result.run_dir / "metrics.jsonl")
    assert all("rewards/length" in r and "rewards/grounding" not in r for r in rows)
    assert [r["schedule/length.weight"] for r in rows] == pytest.approx([0.0, 0.5])
    assert [r["schedule/length.target_words"] for r in rows] == [4.0, 4.0]
    assert rows[0]["rewards/length"] == 0.0  # weight 0 at the first step


def test_rewards_see_the_tools_each_prompt_offered(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toolzero.data.synthetic import generate_examples
    from toolzero.rewards.presets import RewardPreset

    seen: list[tuple[str, tuple[str, ...] | None]] = []
    score = RewardPreset.score

    def spy(self, completion, reference, step=0, total_steps=None, tools=None):
        seen.append((reference, None if tools is None else tuple(tools)))
        return score(self, completion, reference, step, total_steps, tools)

    monkeypatch.setattr(RewardPreset, "score", spy)
    run_tiny(tiny_model, tmp_path / "run", **{"reward.preset": "toolzero", "run.save_steps": 10})
    # each tool with its parameter names and the required ones (grounding's `keys` option)
    offered = {
        ex.reference_text(): tuple(
            {"name": t.name, "parameters": sorted(t.properties()), "required": t.required()}
            for t in ex.tools
        )
        for ex in generate_examples(8, seed=0)
    }
    assert seen and all(tools is not None for _, tools in seen)
    assert all(offered[ref] == tools for ref, tools in seen)
    assert any(t["parameters"] for _, tools in seen for t in tools)


def test_dynamic_schedule_moves_over_the_run(tiny_model: Path, tmp_path: Path) -> None:
    result = run_tiny(
        tiny_model,
        tmp_path / "run",
        **{"reward.preset": "toolrl-dynamic", "grpo.max_steps": 4, "run.save_steps": 10},
    )
    highs = [r["schedule/correctness.high"] for r in read_metrics(result.run_dir / "metrics.jsonl")]
    assert highs == sorted(highs) and highs[0] < highs[-1]
    assert highs == pytest.approx(
        [get_preset("toolrl-dynamic").schedule_values(s, 4)["correctness.high"] for s in range(4)]
    )


def test_run_folder_holds_recipe_checkpoints_and_loadable_final_model(
    tiny_model: Path, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM

    out = tmp_path / "run"
    result = run_tiny(tiny_model, out)
    assert load_recipe(out / "recipe.yaml") == load_recipe(
        QUICKSTART, tiny_overrides(tiny_model, out)
    )
    assert latest_checkpoint(out).name == "checkpoint-2"
    status = json.loads((out / "run.json").read_text())
    assert status["status"] == "finished"
    assert (status["prompts"]["train"]["kept"], status["prompts"]["train"]["dropped"]) == (8, 0)
    model = AutoModelForCausalLM.from_pretrained(result.final_model)
    assert not any("lora" in name for name, _ in model.named_parameters())  # merged
    assert (result.final_model / "tokenizer_config.json").exists()


def test_lora_changes_only_adapters_and_full_finetune_changes_weights(
    tiny_model: Path, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model).state_dict()
    for lora, label in ((True, "lora"), (False, "full")):
        result = run_tiny(
            tiny_model,
            tmp_path / label,
            # A random tiny model earns the same reward on every completion (no advantage);
            # the entropy bonus still gives a gradient.
            **{
                "lora.enabled": lora,
                "grpo.learning_rate": 0.05,
                "grpo.max_steps": 1,
                "grpo.entropy_coef": 0.1,
            },
        )
        trained = AutoModelForCausalLM.from_pretrained(result.final_model).state_dict()
        changed = [k for k in base if not base[k].equal(trained[k])]
        assert changed, f"{label}: no weight moved"
        if lora:  # merged LoRA touches projection weights only, never norms or embeddings
            assert all("proj" in k for k in changed), changed


def test_a_started_run_folder_is_not_overwritten(tiny_model: Path, tmp_path: Path) -> None:
    from toolzero.training.recipe import RecipeError

    out = tmp_path / "run"
    run_tiny(tiny_model, out, **{"grpo.max_steps": 1})
    with pytest.raises(RecipeError, match="--resume"):
        run_tiny(tiny_model, out, **{"grpo.max_steps": 1})


def test_samples_file_holds_each_completion_with_the_rewards_the_metrics_averaged(
    tiny_model: Path, tmp_path: Path
) -> None:
    result = run_tiny(
        tiny_model,
        tmp_path / "run",
        **{"reward.preset": "toolzero", "grpo.num_generations": 3, "run.save_steps": 10},
    )
    samples = [json.loads(line) for line in (result.run_dir / "samples.jsonl").open()]
    metrics = read_metrics(result.run_dir / "metrics.jsonl")
    names = get_preset("toolzero").component_names
    assert [s["step"] for s in samples] == [1] * 6 + [2] * 6  # 2 prompts x 3, each step
    for row in metrics:
        step = [s for s in samples if s["step"] == row["step"]]
        for name in names:
            mean = sum(s["rewards"][name] for s in step) / len(step)
            assert mean == pytest.approx(row[f"rewards/{name}"], abs=1e-3), (row["step"], name)
        # GRPO's advantages are centred within each group of one prompt's completions.
        for g in range(2):
            group = step[3 * g : 3 * g + 3]
            assert len({s["prompt"] for s in group}) == 1
            assert sum(s["advantage"] for s in group) == pytest.approx(0.0, abs=1e-3)
    assert all(s["completion"].startswith("<think>") for s in samples)  # the prefill, as scored
    assert all("User:" in s["prompt"] for s in samples)  # the request is in the kept tail


def test_samples_steps_spaces_the_samples_and_zero_turns_them_off(
    tiny_model: Path, tmp_path: Path
) -> None:
    every_other = run_tiny(
        tiny_model,
        tmp_path / "a",
        **{"grpo.max_steps": 3, "run.samples_steps": 2, "run.save_steps": 10},
    )
    lines = (every_other.run_dir / "samples.jsonl").read_text().splitlines()
    assert sorted({json.loads(line)["step"] for line in lines}) == [1, 3]
    off = run_tiny(tiny_model, tmp_path / "b", **{"run.samples_steps": 0, "run.save_steps": 10})
    assert not (off.run_dir / "samples.jsonl").exists()


@pytest.mark.parametrize("attention", ["eager", None])
def test_the_recipe_picks_the_attention_kernel_the_model_trains_with(
    tiny_model: Path, tmp_path: Path, attention: str | None
) -> None:
    extra = {"model.attn_implementation": attention} if attention else {}
    result = run_tiny(tiny_model, tmp_path / "run", **extra, **{"run.save_steps": 10})
    # transformers' own default when the recipe leaves it unset
    assert result.model.config._attn_implementation == (attention or "sdpa")
