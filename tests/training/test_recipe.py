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
        (
            {"reward": {"weights": [1.0, 0.5, 1.0]}},
            ["reward.weights: a reward weight is set on its component, reward.components."],
        ),
        (
            {"grpo": {"extra": {"reward_weights": [1.0, 1.0]}}},
            ["grpo.extra.reward_weights: a reward weight is set on its component, reward."],
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
        ({"data": {"max_prompt_tokens": 0}}, ["data.max_prompt_tokens: must be > 0, got 0"]),
        ({"data": {"max_prompt_tokens": "2k"}}, ["data.max_prompt_tokens: expected int"]),
        ({"evaluation": {"unfamiliar_limit": 0}}, ["evaluation.unfamiliar_limit: must be > 0"]),
        ({"evaluation": {"limit": -1}}, ["evaluation.limit: must be > 0, got -1"]),
        # the generalization view is one fixed slice of one suite: BENCH:SELECTION
        ({"evaluation": {"unfamiliar": "hammer"}}, ["evaluation.unfamiliar: 'hammer' is not one"]),
        (
            {"evaluation": {"unfamiliar": "hammer:sealtool,toolalpaca"}},
            ["evaluation.unfamiliar: 'hammer:sealtool,toolalpaca' is not one suite; give BENCH:"],
        ),
        ({"evaluation": {"unfamiliar": ":sealtool"}}, ["evaluation.unfamiliar: ':sealtool'"]),
        ({"evaluation": {"data_dirs": ["x"]}}, ["evaluation.data_dirs: expected dict"]),
        (
            {"evaluation": {"data_dirs": {"hammer": ""}}},
            ["evaluation.data_dirs.hammer: expected a folder path, got ''"],
        ),
        (
            {"model": {"attn_implementation": "fast"}},
            ["model.attn_implementation: 'fast' is not one of eager, sdpa, flash_attention_2"],
        ),
        ({"grpo": {"bf16": "always"}}, ["grpo.bf16: 'always' is not one of auto, true, false"]),
        ({"grpo": {"bf16": 1}}, ["grpo.bf16: expected bool | str, got 1"]),
        (
            {"grpo": {"bf16": True, "extra": {"fp16": True}}},
            ["grpo.bf16: true together with grpo.extra.fp16: true; pick one"],
        ),
    ],
)
def test_each_problem_names_field_and_fix(raw: dict, expected: list[str]) -> None:
    raw = {"grpo": {"max_steps": 2, **raw.pop("grpo", {})}, **raw}
    with pytest.raises(RecipeError) as info:
        recipe_from_dict(raw)
    for text in expected:
        assert any(text in p for p in info.value.problems), info.value.problems


def test_unfamiliar_view_fields_from_overrides() -> None:
    recipe = load_recipe(
        None,
        [
            "grpo.max_steps=2",
            "evaluation.unfamiliar=acebench:normal_atom_bool",
            "evaluation.data_dirs.hammer=d/h",
        ],
    )
    assert recipe.evaluation.unfamiliar == "acebench:normal_atom_bool"
    assert recipe.evaluation.data_dirs == {"hammer": "d/h"}
    off = load_recipe(None, ["grpo.max_steps=2", "evaluation.unfamiliar=null"])
    assert off.evaluation.unfamiliar is None


def test_evaluation_answers_are_as_long_as_a_training_turn_unless_set() -> None:
    from toolzero.evaluation.settings import GenerationSettings

    single = load_recipe(None, ["grpo.max_steps=2", "grpo.max_completion_length=200"])
    assert GenerationSettings.from_recipe(single).max_new_tokens == 200
    multi = load_recipe(
        None,
        [
            "grpo.max_steps=2",
            "environment.name=synthetic_world",
            "data.train=env:synthetic_world",
            "reward.preset=episode",
            "environment.max_turn_tokens=80",
            "grpo.max_completion_length=224",
        ],
    )
    assert GenerationSettings.from_recipe(multi).max_new_tokens == 80  # a turn, not the episode
    uncapped = load_recipe(
        None,
        [
            "grpo.max_steps=2",
            "environment.name=synthetic_world",
            "data.train=env:synthetic_world",
            "reward.preset=episode",
            "environment.max_turn_tokens=null",
            "grpo.max_completion_length=224",
        ],
    )
    assert GenerationSettings.from_recipe(uncapped).max_new_tokens == 224
    chosen = load_recipe(
        None, ["grpo.max_steps=2", "evaluation.max_new_tokens=17", "grpo.max_completion_length=200"]
    )
    assert GenerationSettings.from_recipe(chosen).max_new_tokens == 17
    with pytest.raises(RecipeError, match=r"evaluation\.max_new_tokens: must be > 0"):
        load_recipe(None, ["grpo.max_steps=2", "evaluation.max_new_tokens=0"])


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


VLLM_3072 = {
    "max_steps": 2,
    "use_vllm": True,
    "max_completion_length": 1024,
    "extra": {"vllm_max_model_length": 3072},
}


@pytest.mark.parametrize(
    ("cap", "problem"),
    [
        (2048, None),  # 2048 + 1024 = 3072: fits exactly
        (
            2049,
            "data.max_prompt_tokens: 2049 + grpo.max_completion_length 1024 exceeds vLLM's "
            "max_model_len 3072 (grpo.extra.vllm_max_model_length); lower "
            "data.max_prompt_tokens to 2048",
        ),
        (None, "data.max_prompt_tokens: not set, but vLLM's max_model_len is 3072"),
    ],
)
def test_prompt_cap_must_fit_vllm_max_model_len(cap: int | None, problem: str | None) -> None:
    raw = {"data": {"max_prompt_tokens": cap}, "grpo": dict(VLLM_3072)}
    if problem is None:
        assert recipe_from_dict(raw).data.max_prompt_tokens == cap
        return
    with pytest.raises(RecipeError) as info:
        recipe_from_dict(raw)
    data_problems = [p for p in info.value.problems if p.startswith("data.")]
    assert len(data_problems) == 1 and problem in data_problems[0], info.value.problems


def test_prompt_cap_without_vllm_needs_no_model_len() -> None:
    assert recipe_from_dict({"grpo": {"max_steps": 2}}).data.max_prompt_tokens is None
    recipe = recipe_from_dict({"data": {"max_prompt_tokens": 64}, "grpo": {"max_steps": 2}})
    assert recipe.data.max_prompt_tokens == 64


def test_a_reward_problem_containing_semicolons_stays_one_problem() -> None:
    raw = {"grpo": {"max_steps": 2}, "reward": {"components": {"x": {"function": "nope"}}}}
    with pytest.raises(RecipeError) as info:
        recipe_from_dict(raw)
    (problem,) = info.value.problems
    assert problem.startswith("reward.components.x.function: 'nope' unknown; choose one of [")


def test_the_reward_preset_is_built_once_per_recipe(monkeypatch: pytest.MonkeyPatch) -> None:
    import toolzero.rewards

    calls = []
    build = toolzero.rewards.build_preset
    monkeypatch.setattr(toolzero.rewards, "build_preset", lambda c: calls.append(c) or build(c))
    recipe = load_recipe(REPO / "recipes" / "quickstart.yaml")  # validation builds it
    preset = recipe.reward.build()  # the run gets that one
    assert len(calls) == 1 and recipe.reward.build() is preset
    recipe.reward.remove = ["grounding"]  # a changed section is built again
    assert recipe.reward.build().component_names == ("format", "correctness")
    assert len(calls) == 2


def test_dynamic_recipe_follows_toolrls_rollout_step() -> None:
    """ToolRL's dynamic scale on its step t (rollout batches), T = 150: format max
    max(1, 2 - t/T), min min(-1, -2 + 2t/T); correctness max min(3, 2 + t/T), min
    max(-3, -2 - t/T). Each rollout batch is `updates_per_generation` optimizer steps here."""
    recipe = load_recipe(REPO / "recipes" / "toolrl-dynamic-qwen2.5-3b.yaml")
    k, preset = recipe.grpo.updates_per_generation, recipe.reward.build()
    for t in (0, 30, 75, 105, 150, 200):
        got = preset.schedule_values(k * t)
        assert got["format.high"] == pytest.approx(max(1, 2 - t / 150))
        assert got["format.low"] == pytest.approx(min(-1, -2 + 2 * t / 150))
        assert got["correctness.high"] == pytest.approx(min(3, 2 + t / 150))
        assert got["correctness.low"] == pytest.approx(max(-3, -2 - t / 150))


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
    # With the checks of this machine (CUDA, vllm, tensorboard) skipped, only what a GPU
    # cluster provides may be missing: the prepared paper data and (offline, uncached)
    # the Hub model it downloads. Everything else (trl fields, paths) must check out.
    allowed = (
        "data.train: 'data/",
        "model.name: model 'Qwen/",
    )
    problems = [p for p in check_environment(recipe) if not p.startswith(allowed)]
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


@pytest.mark.parametrize(("text", "value"), [("auto", "auto"), ("true", True), ("false", False)])
def test_bf16_takes_auto_true_or_false_and_defaults_to_auto(text: str, value: object) -> None:
    assert recipe_from_dict({"grpo": {"max_steps": 2}}).grpo.bf16 == "auto"
    assert load_recipe(None, [f"grpo.bf16={text}", "grpo.max_steps=2"]).grpo.bf16 == value
