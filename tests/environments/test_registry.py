from __future__ import annotations

import pytest

from toolzero.environments import ENVIRONMENT_NAMES, environment_tasks, make_environment
from toolzero.environments.python_tool import PythonEnvironment
from toolzero.environments.search import SearchEnvironment
from toolzero.environments.synthetic_world import SyntheticWorld
from toolzero.errors import UserError


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
