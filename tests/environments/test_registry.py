from __future__ import annotations

import pytest

from toolzero.environments import ENVIRONMENT_NAMES, environment_tasks, make_environment
from toolzero.environments.python_tool import PythonEnvironment
from toolzero.environments.search import SearchEnvironment
from toolzero.environments.synthetic_world import SyntheticWorld
from toolzero.errors import UserError
from toolzero.user_files import BadInputError


def test_names_build_their_environments_and_tasks() -> None:
    assert ENVIRONMENT_NAMES == ("synthetic_world", "python", "search", "bfcl_api")
    assert isinstance(make_environment("synthetic_world"), SyntheticWorld)
    assert make_environment("python", wall_s=2).limits.wall_s == 2
    assert isinstance(make_environment("python"), PythonEnvironment)
    assert make_environment("search", k=5).k == 5
    assert isinstance(make_environment("search"), SearchEnvironment)
    tasks = environment_tasks("synthetic_world", 3, seed=1, split="heldout")
    assert [t.id for t in tasks] == [f"world-heldout-1-{i}" for i in range(3)]
    assert all(t.metadata["environment"] == "synthetic_world" for t in tasks)
    tasks = environment_tasks("search", 2, seed=4, split="train")
    assert [t.id for t in tasks] == ["search-train-4-0", "search-train-4-1"]
    assert all(t.metadata["corpus"] == "synthetic:4" for t in tasks)


def test_unknown_names_and_splits_say_the_choices() -> None:
    with pytest.raises(UserError, match="choose from synthetic_world, python, search, bfcl_api"):
        make_environment("nowhere")
    with pytest.raises(UserError, match=r"split must be one of \('train', 'heldout'\)"):
        environment_tasks("python", 1, split="test")


@pytest.mark.parametrize("name", ["synthetic_world", "search", "python"])
def test_fitted_tasks_are_the_first_that_fit_in_max_turns(name: str) -> None:
    from toolzero.environments.episode import reference_trajectory

    every = environment_tasks(name, 200, seed=3, split="heldout")
    for max_turns in (2, 3):
        # A task fits when its call turns and the answer turn are at most max_turns.
        expected = [t.id for t in every if len(reference_trajectory(t)) + 1 <= max_turns][:5]
        if len(expected) < 5:
            continue
        fitted = environment_tasks(name, 5, seed=3, split="heldout", max_turns=max_turns)
        assert [t.id for t in fitted] == expected


def test_fit_drops_the_long_synthetic_world_families_and_says_when_none_fit() -> None:
    from toolzero.environments.synthetic_world.tasks import FAMILIES

    fitted = environment_tasks("synthetic_world", 30, seed=0, split="train", max_turns=2)
    # One call turn, then the answer: the one-lookup, one-call and compare families only.
    one_turn = {"city_weather", "stock_quote", "account_id", "tip", "warmer_city", "pricier_stock"}
    assert {t.metadata["family"] for t in fitted} == one_turn
    assert one_turn < set(FAMILIES["train"])
    with pytest.raises(BadInputError, match=r"fit in max_turns 1 .*environment.fit_tasks"):
        environment_tasks("synthetic_world", 3, seed=0, split="train", max_turns=1)
