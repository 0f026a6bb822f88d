"""Every shipped data recipe loads; recipes build reproducibly; problems are listed at once."""

from pathlib import Path

import pytest
import yaml

from toolzero.data.dataset import load_prepared
from toolzero.data.prepare import build_mix, prepare_dataset
from toolzero.data.recipe import RecipeError, load_recipe, parse_recipe

ROOT = Path(__file__).resolve().parents[2]
RECIPES = sorted((ROOT / "recipes" / "data").glob("*.yaml"))
FIXTURES = Path(__file__).parent / "fixtures"


def test_shipped_recipes_exist():
    assert {p.stem for p in RECIPES} >= {"toolrl-4k", "synthetic"}


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_every_shipped_recipe_loads(path):
    recipe = load_recipe(path)
    assert recipe.sources and recipe.name == path.stem


def test_toolrl_4k_recipe_is_toolrls_mix():
    recipe = load_recipe(ROOT / "recipes" / "data" / "toolrl-4k.yaml")
    assert [(s.name, s.count) for s in recipe.sources] == [
        ("toolace", 2000),
        ("hammer", 1000),
        ("xlam", 1000),
    ]
    assert recipe.eval_fraction == 0.02
    assert [a.name for a in recipe.sources[1].augment] == ["mask"]


def test_toolrl_4k_recipe_builds_from_local_files():
    """The Hub recipe, with each Hub id swapped for a local fixture of the same shape."""
    raw = yaml.safe_load((ROOT / "recipes" / "data" / "toolrl-4k.yaml").read_text())
    local = {"toolace": "toolace.json", "hammer": "xlam.json", "xlam": "xlam.json"}
    for source in raw["sources"]:
        source["data"] = str(FIXTURES / local[source["name"]])
    train, eval_, report = build_mix(parse_recipe(raw, "toolrl-4k"))
    by_source = {}
    for e in train + eval_:
        by_source.setdefault(e.source, []).append(e)
    assert (
        len(by_source["toolace"]) == 2
    )  # turns: last; the tool-result-then-answer row and the parallel one
    # two valid xlam rows: the hammer source takes both, so none is left to use twice
    assert len(by_source["hammer"]) == 2 and "xlam" not in by_source
    assert all(e.metadata.get("masked") == "random" for e in by_source["hammer"])
    assert report.rejected["invalid JSON in answers"] == 2  # read by both sources, reported by both
    assert report.rejected["unknown tool"] == 2


def test_synthetic_recipe_prepares_reproducibly(tmp_path):
    recipe = load_recipe(ROOT / "recipes" / "data" / "synthetic.yaml")
    summary = prepare_dataset(recipe, tmp_path / "a")
    prepare_dataset(recipe, tmp_path / "b")
    assert (tmp_path / "a" / "train.jsonl").read_bytes() == (
        tmp_path / "b" / "train.jsonl"
    ).read_bytes()
    train, eval_ = load_prepared(tmp_path / "a")
    assert len(train) == 2000 and len(eval_) == 200
    assert {e.source for e in eval_} == {"synthetic-heldout"}
    assert summary["train"]["by_source"]["synthetic"]["single"] > 1500
    assert summary["report"]["kept"] == {"synthetic": 2000, "synthetic-heldout": 200}


def test_recipe_problems_are_listed_together():
    raw = {
        "sources": [
            {"data": "synthetic", "format": "csv", "count": -1, "augment": [{"name": "shuffle"}]}
        ],
        "eval_fraction": 2,
        "filters": {"max_tool": 3},
        "colour": "blue",
    }
    with pytest.raises(RecipeError) as err:
        parse_recipe(raw, "bad")
    text = str(err.value)
    for fragment in (
        "unknown key 'colour'",
        "unknown format 'csv'",
        "count must be",
        "shuffle",
        "eval_fraction",
        "max_tool",
    ):
        assert fragment in text


def test_augment_and_split_in_a_recipe():
    raw = {
        "seed": 3,
        "eval_fraction": 0.1,
        "sources": [{"name": "syn", "data": "synthetic", "count": 100}],
        "augment": [{"name": "verify_call", "fraction": 0.5}],
    }
    train, eval_, _ = build_mix(parse_recipe(raw))
    assert len(eval_) == 10
    augmented = [e for e in train if e.metadata.get("augmentation") == "verify_call"]
    assert 25 < len(augmented) < 55
    eval_ids = {e.id for e in eval_}
    assert not any(e.id.split("+")[0] in eval_ids for e in augmented)  # no eval leakage


def test_augmentation_options_are_checked_before_any_data_loads():
    """An option the augmentation does not take, or of the wrong type or value, is a recipe
    problem naming the field (before: a TypeError from inside the augmentation, mid-prepare)."""
    raw = {
        "sources": [
            {
                "data": "no/such/folder",  # never read: the recipe check comes first
                "augment": [
                    {"name": "mask", "options": {"mask_param": False}},
                    {"name": "mask", "options": {"style": "funky", "mask_params": "no"}},
                ],
            }
        ],
        "augment": [{"name": "verify_call", "options": {"strength": 2}}],
    }
    with pytest.raises(RecipeError) as err:
        parse_recipe(raw, "bad")
    problems = err.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("sources[0].augment[0].options.mask_param:")
    assert "mask_params" in problems[0]  # names the options it does take
    assert problems[1].startswith("sources[0].augment[1].options.style:")
    assert "random" in problems[1] and "generic" in problems[1]
    assert problems[2].startswith("sources[0].augment[1].options.mask_params:")
    assert problems[3].startswith("augment[0].options.strength:")
    good = {"sources": [{"data": "synthetic", "augment": [
        {"name": "mask", "options": {"style": "generic", "mask_params": False}}]}]}
    assert parse_recipe(good).sources[0].augment[0].options == {
        "style": "generic", "mask_params": False}
