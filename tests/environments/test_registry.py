from __future__ import annotations

import pytest

from toolzero.environments import ENVIRONMENT_NAMES, environment_tasks, make_environment
from toolzero.environments.python_tool import PythonEnvironment
from toolzero.environments.synthetic_world import SyntheticWorld
from toolzero.errors import UserError


def test_names_build_their_environments_and_tasks() -> None:
    assert ENVIRONMENT_NAMES == ("synthetic_world", "python", "bfcl_api")
    assert isinstance(make_environment("synthetic_world"), SyntheticWorld)
    assert make_environment("python", wall_s=2).limits.wall_s == 2
    assert isinstance(make_environment("python"), PythonEnvironment)
    tasks = environment_tasks("synthetic_world", 3, seed=1, split="heldout")
    assert [t.id for t in tasks] == [f"world-heldout-1-{i}" for i in range(3)]
    assert all(t.metadata["environment"] == "synthetic_world" for t in tasks)


def test_unknown_names_and_splits_say_the_choices() -> None:
    with pytest.raises(UserError, match="choose from synthetic_world, python, bfcl_api"):
        make_environment("search")
    with pytest.raises(UserError, match=r"split must be one of \('train', 'heldout'\)"):
        environment_tasks("python", 1, split="test")
