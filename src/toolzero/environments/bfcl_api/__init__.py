"""BFCL's simulated APIs (file system, trading, vehicle, messaging, ...) as an environment.

    from toolzero.environments.bfcl_api import BfclApiEnvironment, generate_bfcl_api_tasks
    env = BfclApiEnvironment()                        # imports bfcl_eval here, not before
    task = generate_bfcl_api_tasks(1, seed=0, split="train")[0]
    state = env.reset(task)                           # fresh API instances, task's scenario
    env.step(state, task.reference_calls)
    env.outcome(state, task.reference_response)      # answer + state checks, by rule

An episode's world is fresh instances of the task's API classes (`metadata["world"]
["classes"]`), each loaded with the task's generated scenario through the class's own
`_load_scenario`. The tools are the classes' public methods with BFCL's function
documents as specs; a call runs as `getattr(instance, name)(**arguments)` after base.py's
`argument_problem` has checked the name against the example's offered tools and the
arguments against its schema. A result with an `"error"` key (how the classes refuse)
becomes an error observation; anything else is shown as JSON.

The outcome follows BFCL's multi-turn checker: each state check replays the task's
reference trajectory on a fresh world and compares the class's public attributes with the
episode's; the answer check (if any) uses `environments.answers`. `apis.py` imports and
loads the classes, `scenarios.py` generates their starting states, `tasks.py` the tasks.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Sequence
from typing import Any

from toolzero.environments.answers import answer_problem
from toolzero.environments.base import Environment, EpisodeState, Outcome, Tool, ToolFailure
from toolzero.environments.bfcl_api.apis import (
    MULTI_TURN_CLASSES,
    ApiWorld,
    build_api_world,
    check_classes,
    state_differences,
    tool_specs,
)
from toolzero.environments.bfcl_api.tasks import SPLIT_CLASSES, SPLITS, generate_bfcl_api_tasks
from toolzero.errors import UserError
from toolzero.protocol.types import Example, ToolCall


def call_method(class_name: str, method: str, state: EpisodeState, **arguments: Any) -> str:
    """Run one method on the episode's instance of its class; its result as JSON text."""
    world: ApiWorld = state.world
    instance = world.instances.get(class_name)
    if instance is None:
        raise ToolFailure(f"{method} belongs to {class_name}, which this task does not use")
    result = getattr(instance, method)(**arguments)
    if isinstance(result, dict) and "error" in result:
        raise ToolFailure(str(result["error"]))
    # rendered now: some methods return their live state (a stock's dict), which later
    # calls change; `default=str` covers the odd non-JSON value (a set of ids)
    return json.dumps(result, ensure_ascii=False, default=str)


def api_tools(classes: Sequence[str]) -> list[Tool]:
    """One `Tool` per callable method of each class."""
    return [
        Tool(spec, functools.partial(call_method, class_name, spec.name))
        for class_name in classes
        for spec in tool_specs(class_name)
    ]


class BfclApiEnvironment(Environment):
    """The methods of BFCL's simulated API classes, over a fresh world per episode."""

    name = "bfcl_api"

    def __init__(self, classes: Sequence[str] = MULTI_TURN_CLASSES) -> None:
        check_classes(list(classes))
        self.classes = tuple(classes)
        super().__init__(api_tools(self.classes))

    def new_world(self, example: Example) -> ApiWorld:
        return build_api_world(_world_key(example))

    def outcome(self, state: EpisodeState, final_answer: str | None) -> Outcome:
        """The expected answer (if any), then each expected state check, all by rule."""
        expected: dict[str, Any] = state.example.metadata.get("expected") or {}
        state_checks = expected.get("state", [])
        problems = []
        if "answer" in expected:
            problem = answer_problem(expected["answer"], final_answer)
            problems += [problem] if problem else []
        if state_checks:
            reference = replay(state.example)
            problems += state_problems(state.world, reference, state_checks)
        return Outcome.from_problems(problems, len(state_checks) + ("answer" in expected))


def replay(example: Example) -> ApiWorld:
    """A fresh world after the example's reference trajectory, every call run directly."""
    world = build_api_world(_world_key(example))
    episode = EpisodeState(example, world)
    for turn in example.metadata.get("trajectory", []):
        for call in turn:
            tool = ToolCall.from_dict(call)
            owners = [c for c in world.instances if tool.name in _methods(c)]
            if not owners:
                raise UserError(
                    f"example {example.id}: its trajectory calls {tool.name!r}, a method of "
                    f"none of its classes {sorted(world.instances)}"
                )
            class_name = owners[0]
            with contextlib.suppress(ToolFailure):  # a refusal changes nothing, as in the episode
                call_method(class_name, tool.name, episode, **tool.arguments)
    return world


def state_problems(world: ApiWorld, reference: ApiWorld, checks: list[Any]) -> list[str]:
    """`["matches_reference", class_name]` checks: the class's public attributes in the
    episode equal those after the reference trajectory (BFCL's state checker)."""
    problems = []
    for check in checks:
        kind, class_name = check[0], check[1]
        if kind != "matches_reference":
            raise ValueError(f"unknown bfcl_api state check {kind!r}")
        differing = state_differences(world.instances[class_name], reference.instances[class_name])
        if differing:
            problems.append(
                f"{class_name} state differs from the reference's in: {', '.join(differing)}"
            )
    return problems


@functools.cache
def _methods(class_name: str) -> frozenset[str]:
    return frozenset(spec.name for spec in tool_specs(class_name))


def _world_key(example: Example) -> dict[str, Any]:
    world = example.metadata.get("world")
    if not isinstance(world, dict) or not isinstance(world.get("classes"), list):
        raise UserError(
            f"example {example.id}: metadata.world ({{'classes': [...], 'scenario': {{...}}}}) "
            "is missing; make tasks with generate_bfcl_api_tasks"
        )
    check_classes(world["classes"])
    return world


def make_bfcl_api_environment(classes: Sequence[str] = MULTI_TURN_CLASSES) -> BfclApiEnvironment:
    return BfclApiEnvironment(classes)


__all__ = [
    "MULTI_TURN_CLASSES",
    "SPLITS",
    "SPLIT_CLASSES",
    "BfclApiEnvironment",
    "generate_bfcl_api_tasks",
    "make_bfcl_api_environment",
]
