"""The synthetic world environment: the offline synthetic tools made executable over a
seeded world, with multi-step tasks checked by rule.

    from toolzero.environments.synthetic_world import SyntheticWorld, generate_world_tasks
    env = SyntheticWorld()
    task = generate_world_tasks(1, seed=0, split="heldout")[0]
    state = env.reset(task)             # the task's own fresh world
    env.step(state, task.reference_calls)
    env.outcome(state, task.reference_response)

`world.py` holds the data, `tools.py` the executable tools, `tasks.py` the task families.
"""

from __future__ import annotations

from typing import Any

from toolzero.environments.answers import answer_problem
from toolzero.environments.base import Environment, EpisodeState, Outcome
from toolzero.environments.synthetic_world.tasks import SPLITS, generate_world_tasks
from toolzero.environments.synthetic_world.tools import WORLD_TOOLS
from toolzero.environments.synthetic_world.world import World, build_world, state_problems
from toolzero.errors import UserError
from toolzero.protocol.types import Example


class SyntheticWorld(Environment):
    """Every world tool of both splits; each task offers its split's subset."""

    name = "synthetic_world"

    def __init__(self) -> None:
        super().__init__([*WORLD_TOOLS["train"], *WORLD_TOOLS["heldout"]])

    def new_world(self, example: Example) -> World:
        key = example.metadata.get("world")
        if not isinstance(key, str):
            raise UserError(
                f"example {example.id}: metadata.world (the world's key) is missing; "
                "make tasks with generate_world_tasks"
            )
        return build_world(key)

    def outcome(self, state: EpisodeState, final_answer: str | None) -> Outcome:
        """The expected answer (if any) and every expected-state check, all by rule."""
        expected: dict[str, Any] = state.example.metadata.get("expected") or {}
        problems = state_problems(state.world, expected.get("state", []))
        checks = len(expected.get("state", []))
        if "answer" in expected:
            checks += 1
            problem = answer_problem(expected["answer"], final_answer)
            problems = [problem, *problems] if problem else problems
        return Outcome.from_problems(problems, checks)


def make_synthetic_world() -> SyntheticWorld:
    return SyntheticWorld()


__all__ = ["SPLITS", "SyntheticWorld", "generate_world_tasks", "make_synthetic_world"]
