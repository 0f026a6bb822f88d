"""`data.augment`: a data recipe's augmentations applied to a training recipe's examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from toolzero.training.recipe import load_recipe

from .conftest import QUICKSTART, tiny_overrides

MASK_ALL = "[{name: mask, fraction: 1.0, replace: true, options: {mask_params: false}}]"


def datasets(tiny_model: Path, tmp_path: Path, **extra: object) -> tuple[Any, list[Any]]:
    from toolzero.models import load_tokenizer
    from toolzero.training.run import _make_datasets

    recipe = load_recipe(QUICKSTART, tiny_overrides(tiny_model, tmp_path / "run", **extra))
    made = _make_datasets(recipe, load_tokenizer(str(tiny_model)))
    return made[0], made[3]


def test_masking_renames_the_tools_the_model_is_trained_on(
    tiny_model: Path, tmp_path: Path
) -> None:
    from toolzero.data.synthetic.tools_train import TRAIN_TOOLS

    library = {t.name for t in TRAIN_TOOLS}  # the training library's tool names
    plain_set, plain = datasets(tiny_model, tmp_path)
    masked_set, masked = datasets(tiny_model, tmp_path, **{"data.augment": MASK_ALL})
    assert len(masked) == len(plain) == 8  # data.limit; replace keeps the count
    assert {t.name for e in plain for t in e.tools} <= library
    for example, row in zip(masked, masked_set, strict=True):
        names = {t.name for t in example.tools}
        assert names and not names & library  # every tool renamed
        assert {c.name for c in example.reference_calls} <= names
        # what the model reads and what grounding scores against are the masked names
        offered = {t["name"] if isinstance(t, dict) else t for t in row["tools"]}
        assert offered == names
        assert all(name in row["prompt"] for name in names)
    for before, after in zip(plain, masked, strict=True):
        # the same task (replace keeps the order), its parameter names kept (mask_params:
        # false) and its descriptions unchanged
        assert after.id == f"{before.id}+mask"
        assert [sorted(t.properties()) for t in after.tools] == [
            sorted(t.properties()) for t in before.tools
        ]
        assert [c.arguments for c in after.reference_calls] == [
            c.arguments for c in before.reference_calls
        ]
    assert [r["prompt"] for r in plain_set] != [r["prompt"] for r in masked_set]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("[{name: shuffle}]", "data.augment[0]: name must be one of"),
        ("[{name: mask, fraction: 2}]", "data.augment[0]: fraction must be in [0, 1]"),
        ("[{name: mask, options: {mask_param: false}}]", "data.augment[0].options.mask_param:"),
        ("{name: mask}", "data.augment: expected list"),
    ],
)
def test_bad_augmentations_name_the_field_before_the_model_loads(value: str, problem: str) -> None:
    from toolzero.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_recipe(QUICKSTART, [f"data.augment={value}"])
    assert any(problem in p for p in info.value.problems), info.value.problems
