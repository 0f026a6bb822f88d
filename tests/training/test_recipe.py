"""Recipe loading, overrides and validation: every problem at once, before any model loads."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from toolzero.training.recipe import (
    Recipe,
    RecipeError,
    apply_overrides,
    load_recipe,
    parse_override,
    recipe_from_dict,
)
from toolzero.training.recipe_checks import check_environment

REPO = Path(__file__).resolve().parents[2]
RECIPES = sorted((REPO / "recipes").glob("*.yaml"))


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("grpo.max_steps=10", ["grpo", "max_steps"], 10),
        ("grpo.learning_rate=1e-5", ["grpo", "learning_rate"], 1e-5),
        ("lora.enabled=false", ["lora", "enabled"], False),
        ("model.prefill=", ["model", "prefill"], None),
        ("lora.layers=[16, 17]", ["lora", "layers"], [16, 17]),
    ],
)
def test_parse_override(text: str, path: list[str], value: object) -> None:
    assert parse_override(text) == (path, value)


def test_override_without_equals_names_the_fix() -> None:
    with pytest.raises(RecipeError, match="KEY=VALUE"):
        parse_override("grpo.max_steps")


def test_overrides_nest_without_touching_the_input() -> None:
    raw = {"grpo": {"max_steps": 3}}
    out = apply_overrides(raw, ["grpo.beta=0.1", "run.seed=7"])
    assert out == {"grpo": {"max_steps": 3, "beta": 0.1}, "run": {"seed": 7}}
    assert raw == {"grpo": {"max_steps": 3}}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"grpo": {"max_step": 3}},
            ["grpo.max_step: unknown setting; did you mean grpo.max_steps?"],
        ),
        ({"grpoo": {}}, ["grpoo: unknown setting; did you mean grpo?"]),
        ({"grpo": {"num_generations": 1}}, ["grpo.num_generations: GRPO needs at least 2"]),
        ({"grpo": {"learning_rate": "fast"}}, ["grpo.learning_rate: expected float"]),
        ({"grpo": {"loss_type": "ppo"}}, ["grpo.loss_type: 'ppo' is not one of"]),
        (
            {"model": {"protocol": "xml"}},
            ["model.protocol: 'xml' is not one of toolrl, native, compact"],
        ),
        ({"reward": {"preset": "nope"}}, ["reward.preset: 'nope' is unknown"]),
        ({"reward": {"weights": [1.0]}}, ["reward.weights: 1 weight(s) for 3 components"]),
        (
            {"reward": {"remove": ["grounding"], "weights": [1.0, 1.0, 1.0]}},
            ["reward.weights: 3 weight(s) for 2 components (format, correctness)"],
        ),
        (
            {"reward": {"components": {"format": {"hgh": 2}, "extra": {"function": "nope"}}}},
            [
                "reward.components.format.hgh: not a parameter of 'partial_format'",
                "reward.components.extra.function: 'nope' unknown",
            ],
        ),
        ({"reward": {"remove": ["length"]}}, ["reward.remove: 'length' is not a component"]),
        ({"reward": {"reference_mode": "loose"}}, ["reward.reference_mode: 'loose'"]),
        ({"grpo": {"max_steps": None}}, ["neither max_steps nor num_epochs is set"]),
        (
            {
                "grpo": {
                    "prompts_per_step": 3,
                    "num_generations": 2,
                    "gradient_accumulation_steps": 4,
                }
            },
            ["grpo.gradient_accumulation_steps: 4 does not divide the 6 completions"],
        ),
        ({"lora": {"layers": [1]}}, ["lora.layers: needs lora.target_modules as a list"]),
        ({"grpo": {"extra": {"max_steps": 5}}}, ["grpo.extra.max_steps: set it as grpo.max_steps"]),
        ({"run": {"eval_steps": 5}}, ["run.eval_steps: set but data.eval is empty"]),
        ({"lora": {"dropout": 1.5}}, ["lora.dropout: must be in [0, 1)"]),
    ],
)
def test_each_problem_names_field_and_fix(raw: dict, expected: list[str]) -> None:
    raw = {"grpo": {"max_steps": 2, **raw.pop("grpo", {})}, **raw}
    with pytest.raises(RecipeError) as info:
        recipe_from_dict(raw)
    for text in expected:
        assert any(text in p for p in info.value.problems), info.value.problems


def test_all_problems_are_reported_at_once() -> None:
    raw = {
        "model": {"protocol": "xml", "colour": "red"},
        "grpo": {"max_steps": -1, "temperature": 0, "num_generations": 1},
        "lora": {"r": 0},
    }
    with pytest.raises(RecipeError) as info:
        recipe_from_dict(raw)
    fields = {p.split(":")[0] for p in info.value.problems}
    assert fields == {
        "model.protocol",
        "model.colour",
        "grpo.max_steps",
        "grpo.temperature",
        "grpo.num_generations",
        "lora.r",
    }
    assert "6 problem(s)" in str(info.value)


def test_yaml_round_trip_keeps_every_value(tmp_path: Path) -> None:
    recipe = load_recipe(REPO / "recipes" / "quickstart.yaml", ["grpo.beta=0.04", "lora.r=4"])
    path = tmp_path / "recipe.yaml"
    path.write_text(recipe.to_yaml())
    again = load_recipe(path)
    assert again == recipe
    assert (again.grpo.beta, again.lora.r) == (0.04, 4)


def test_missing_file_and_bad_yaml_are_recipe_errors(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="file not found"):
        load_recipe(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("grpo: [unclosed")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(bad)


@pytest.mark.parametrize("path", RECIPES, ids=[p.name for p in RECIPES])
def test_every_shipped_recipe_validates(path: Path) -> None:
    recipe = load_recipe(path, ["run.machine_checks=false"])
    assert isinstance(recipe, Recipe) and recipe.description
    # With the checks of this machine (CUDA, vllm, tensorboard) skipped, only the prepared
    # paper data may be missing. Everything else (model, trl fields, paths) must check out.
    problems = [p for p in check_environment(recipe) if not p.startswith("data.train: 'data/")]
    assert problems == []


def test_environment_check_finds_missing_model_folder(tmp_path: Path) -> None:
    recipe = load_recipe(
        None, [f"model.name={tmp_path}/none", "data.train=/no/such.jsonl", "grpo.max_steps=1"]
    )
    problems = check_environment(recipe)
    assert any(p.startswith("model.name:") and "no config.json" in p for p in problems)
    assert any(p.startswith("data.train:") for p in problems)


def test_extra_fields_are_checked_against_installed_trl() -> None:
    recipe = load_recipe(
        None, ["grpo.max_steps=1", "grpo.extra={top_entropy_quantile: 0.2, sync_ref_modle: true}"]
    )
    assert check_environment(recipe) == [
        "grpo.extra.sync_ref_modle: not a GRPOConfig field of the installed trl; check the spelling"
    ]


def test_recipe_module_imports_no_torch_or_trl() -> None:
    import subprocess

    code = (
        "import sys, toolzero.training.recipe; print('torch' in sys.modules, 'trl' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_synthetic_specs_with_count_and_seed_fields_load():
    from toolzero.training.prompts import load_recipe_examples

    examples = load_recipe_examples("synthetic:heldout:8:3", limit=4, seed=0)
    assert len(examples) == 4 and all(e.source.startswith("synthetic") for e in examples)
