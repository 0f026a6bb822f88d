"""`data.synthetic`: the recipe's generator options shape the synthetic training tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from toolzero.training.recipe import load_recipe

from .conftest import QUICKSTART, tiny_overrides


def training_examples(tiny_model: Path, tmp_path: Path, **extra: object) -> list[Any]:
    from toolzero.models import load_tokenizer
    from toolzero.training.run import _make_datasets

    recipe = load_recipe(QUICKSTART, tiny_overrides(tiny_model, tmp_path / "run", **extra))
    return _make_datasets(recipe, load_tokenizer(str(tiny_model)))[3]


def test_only_no_call_tasks_when_the_recipe_asks_for_them(
    tiny_model: Path, tmp_path: Path
) -> None:
    examples = training_examples(
        tiny_model, tmp_path, **{"data.synthetic": "{shapes: {no_call: 1}}"}
    )
    assert len(examples) == 8  # data.limit
    assert all(not e.reference_calls and e.reference_response for e in examples)
    # without the option the default mix is mostly calls
    default = training_examples(tiny_model, tmp_path)
    assert sum(bool(e.reference_calls) for e in default) > len(default) / 2


def test_no_distractors_offers_only_the_called_tool(tiny_model: Path, tmp_path: Path) -> None:
    examples = training_examples(
        tiny_model, tmp_path, **{"data.synthetic": "{shapes: {single: 1}, distractors: 0}"}
    )
    for example in examples:
        assert [t.name for t in example.tools] == [c.name for c in example.reference_calls]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("{shape: {no_call: 1}}", "data.synthetic.shape: not an option of the synthetic generator"),
        ("{shapes: {nocall: 1}}", "data.synthetic: unknown shapes ['nocall']"),
        ("{shapes: {single: 0}}", "data.synthetic: shape weights must be >= 0 with at least one > 0"),
        ("{distractors: true}", "data.synthetic.distractors: expected int, got True"),
        ("{parallel_calls: [3]}", "data.synthetic.parallel_calls: expected [lo, hi]"),
    ],
)
def test_bad_options_name_the_field_before_the_model_loads(value: str, problem: str) -> None:
    from toolzero.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_recipe(QUICKSTART, [f"data.synthetic={value}"])
    assert any(problem in p for p in info.value.problems), info.value.problems


def test_options_for_a_dataset_that_is_not_synthetic_are_rejected(tmp_path: Path) -> None:
    from toolzero.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_recipe(QUICKSTART, ["data.train=hf:owner/name", "data.synthetic={think: false}"])
    assert any("neither data.train nor data.eval is synthetic" in p for p in info.value.problems)
