"""The Environment interface: executable tools, an episode's state, observations, an outcome.

An environment owns tools (a `ToolSpec` the model sees plus the Python function that runs
it) and judges episodes. One episode, with the calls a model made:

    env = make_environment("synthetic_world")           # toolzero.environments.registry
    state = env.reset(example)                           # a fresh world for this task
    observations = env.step(state, [ToolCall("find_account", {"owner": "Maria"})])
    observations[0].content                              # '{"account_id": "ACC-4821", ...}'
    env.outcome(state, "Maria has 1204.50 USD.")         # Outcome(success=..., score=..., reason=...)

The contract:
- `step` never raises for anything the model did. An unknown tool, a tool this example
  does not offer, arguments that do not fit the schema, a tool's refusal (`ToolFailure`),
  a tool that crashes, a sandbox that times out: each becomes an `Observation` with
  `error=True` and a message the model can read. A crash is also logged with its
  traceback, so a bug in a tool is visible without stopping a rollout.
- `reset` raises `UserError` when the example does not belong to the environment (a tool
  it cannot execute): that is bad input, found before any episode runs.
- `outcome` checks the final answer and/or the state by rule, and says why.

Environments know nothing of rewards or training: a reward reads the episode's record
(`EpisodeState.calls`, the `Outcome`). Left out here: the rollout loop that generates, parses
and masks observation tokens (training), concurrency, and per-turn credit.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolzero.data.validation import ValidationConfig, call_problem
from toolzero.errors import UserError
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

logger = logging.getLogger(__name__)


class ToolFailure(Exception):
    """A tool's own refusal ("no account for owner 'Zoe'"): becomes an error observation."""


@dataclass(frozen=True)
class Tool:
    """An executable tool: `function(state, **arguments)` returns a string or JSON data."""

    spec: ToolSpec
    function: Callable[..., Any]

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class Observation:
    """What one call returned, as the model will read it."""

    name: str
    content: str
    error: bool = False
    elapsed_s: float = 0.0

    def to_message(self) -> Message:
        """The `tool` turn that carries this observation in a dialogue."""
        return Message("tool", self.content, name=self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "content": self.content,
            "error": self.error,
            "elapsed_s": self.elapsed_s,
        }


@dataclass(frozen=True)
class Outcome:
    """The verdict on an episode: all checks passed, the fraction passed, and why."""

    success: bool
    score: float
    reason: str

    @classmethod
    def from_problems(cls, problems: Sequence[str], checks: int) -> Outcome:
        """`checks` rules were tried; `problems` names the ones that failed."""
        if checks == 0:
            return cls(False, 0.0, "nothing to check: the task has no expected outcome")
        passed = checks - len(problems)
        reason = "; ".join(problems) if problems else f"all {checks} checks passed"
        return cls(not problems, passed / checks, reason)


@dataclass
class EpisodeState:
    """One episode: its task, the environment's own mutable data, and every call made."""

    example: Example
    world: Any = None
    calls: list[tuple[ToolCall, Observation]] = field(default_factory=list)


class Environment:
    """Tools plus the rules of an episode. Subclasses give `new_world` and `outcome`."""

    name = "environment"

    def __init__(self, tools: Sequence[Tool]) -> None:
        names = [t.name for t in tools]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"{self.name}: tools registered twice: {duplicates}")
        self.tools = {t.name: t for t in tools}

    def tool_specs(self) -> tuple[ToolSpec, ...]:
        return tuple(t.spec for t in self.tools.values())

    def reset(self, example: Example) -> EpisodeState:
        """A fresh episode for `example`; its tools must all be executable here."""
        missing = [t.name for t in example.tools if t.name not in self.tools]
        if missing:
            raise UserError(
                f"example {example.id}: tools {missing} are not executable in the "
                f"{self.name} environment; it runs {sorted(self.tools)}"
            )
        return EpisodeState(example, self.new_world(example))

    def task_problems(self, examples: Sequence[Example], limit: int = 5) -> list[str]:
        """Why examples cannot start an episode here (`reset` refuses them: tools this
        environment cannot execute, a missing world key), at most `limit` lines: checked
        before training starts, so a wrong data set fails before the model loads."""
        problems = []
        for example in examples:
            try:
                self.reset(example)
            except UserError as refusal:
                problems.append(f"data: {refusal}; use tasks made for it (env:{self.name})")
        if len(problems) > limit:
            problems = [*problems[:limit], f"... and {len(problems) - limit} more"]
        return problems

    def new_world(self, example: Example) -> Any:
        """The mutable data one episode acts on (None when the tools need none)."""
        return None

    def step(self, state: EpisodeState, calls: Sequence[ToolCall]) -> list[Observation]:
        """Run each call in order; one observation per call, never an exception."""
        observations = []
        for call in calls:
            observation = self._run_one(state, call)
            state.calls.append((call, observation))
            observations.append(observation)
        return observations

    def outcome(self, state: EpisodeState, final_answer: str | None) -> Outcome:
        raise NotImplementedError

    def _run_one(self, state: EpisodeState, call: ToolCall) -> Observation:
        offered = {t.name: t for t in state.example.tools}
        problem = argument_problem(call, offered)
        if problem:
            return Observation(call.name, f"error: {problem}", error=True)
        started = time.perf_counter()
        try:
            result = self.tools[call.name].function(state, **call.arguments)
        except ToolFailure as failure:
            content, error = f"error: {failure}", True
        except Exception as crash:  # a tool's bug must not end a rollout; it is logged
            logger.warning("tool %s crashed on %s", call.name, call.arguments, exc_info=True)
            content, error = f"error: {call.name} failed ({type(crash).__name__}: {crash})", True
        else:
            content, error = render_result(result), False
        return Observation(call.name, content, error, time.perf_counter() - started)


def answer_outcome(state: EpisodeState, final_answer: str | None) -> Outcome:
    """The task's expected answer (`metadata["expected"]["answer"]`) checked by rule
    (`answers.answer_problem`); a task without one has nothing to check."""
    from toolzero.environments.answers import answer_problem

    expected = (state.example.metadata.get("expected") or {}).get("answer")
    if expected is None:
        return Outcome.from_problems([], 0)
    problem = answer_problem(expected, final_answer)
    return Outcome.from_problems([problem] if problem else [], 1)


def argument_problem(call: ToolCall, offered: dict[str, ToolSpec]) -> str | None:
    """Why `call` cannot run against the offered tools' schemas, or None.

    >>> spec = ToolSpec("f", "", {"type": "object", "properties": {
    ...     "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["unit"]})
    >>> argument_problem(ToolCall("f", {"unit": "k"}), {"f": spec})
    "f.unit must be one of ['c', 'f'], got 'k'"
    >>> argument_problem(ToolCall("g", {}), {"f": spec})
    "unknown tool 'g'; available tools: f"
    """
    found = call_problem(call, offered, ValidationConfig())
    if found is not None:
        reason, detail = found
        if reason == "unknown tool":
            return f"unknown tool {call.name!r}; available tools: {', '.join(sorted(offered))}"
        return f"{reason}: {detail}"
    for key, value in call.arguments.items():
        allowed = offered[call.name].properties()[key].get("enum")
        if isinstance(allowed, list) and value not in allowed:
            return f"{call.name}.{key} must be one of {allowed}, got {value!r}"
    return None


def render_result(result: Any) -> str:
    """A tool's return value as observation text: strings as they are, data as JSON."""
    if isinstance(result, str):
        return result
    return json.dumps(result, ensure_ascii=False)
