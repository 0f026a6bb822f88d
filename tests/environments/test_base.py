"""The Environment contract: whatever the model calls, `step` answers with observations."""

from __future__ import annotations

import json

import pytest

from toolzero.environments.base import (
    Environment,
    EpisodeState,
    Observation,
    Outcome,
    Tool,
    ToolFailure,
)
from toolzero.errors import UserError
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

DIVIDE = ToolSpec(
    "divide",
    "a / b",
    {
        "type": "object",
        "properties": {"a": {"type": "number"}, "b": {"type": "number"},
                       "mode": {"type": "string", "enum": ["exact", "floor"]}},
        "required": ["a", "b"],
    },
)  # fmt: skip
HIDDEN = ToolSpec("hidden", "not offered to the example", {"type": "object", "properties": {}})


def divide(state: EpisodeState, a: float, b: float, mode: str = "exact") -> dict:
    if b == 0:
        raise ToolFailure("cannot divide by zero")
    return {"result": a // b if mode == "floor" else a / b}


def crash(state: EpisodeState) -> str:
    raise KeyError("a bug in the tool")


class Calculator(Environment):
    name = "calculator"

    def __init__(self) -> None:
        super().__init__([Tool(DIVIDE, divide), Tool(HIDDEN, crash)])

    def outcome(self, state: EpisodeState, final_answer: str | None) -> Outcome:
        return Outcome.from_problems([] if final_answer == "2" else ["wrong"], 1)


EXAMPLE = Example("calc-1", (DIVIDE,), (Message("user", "4 / 2?"),))


@pytest.mark.parametrize(
    ("call", "content", "error"),
    [
        (ToolCall("divide", {"a": 4, "b": 2}), '{"result": 2.0}', False),
        (ToolCall("divide", {"a": 7, "b": 2, "mode": "floor"}), '{"result": 3}', False),
        (ToolCall("divide", {"a": 1, "b": 0}), "error: cannot divide by zero", True),
        (ToolCall("divide", {"a": 1}), "error: missing required argument: divide: b", True),
        (ToolCall("divide", {"a": "1", "b": 2}),
         "error: implausible argument type: divide.a: number got str", True),
        (ToolCall("divide", {"a": 1, "b": 2, "c": 3}), "error: undeclared argument: divide.c", True),
        (ToolCall("divide", {"a": 1, "b": 2, "mode": "round"}),
         "error: divide.mode must be one of ['exact', 'floor'], got 'round'", True),
        (ToolCall("multiply", {}), "error: unknown tool 'multiply'; available tools: divide", True),
        (ToolCall("hidden", {}), "error: unknown tool 'hidden'; available tools: divide", True),
    ],
)  # fmt: skip
def test_every_call_becomes_an_observation(call: ToolCall, content: str, error: bool) -> None:
    env = Calculator()
    state = env.reset(EXAMPLE)
    (observation,) = env.step(state, [call])
    assert (observation.name, observation.content, observation.error) == (call.name, content, error)
    assert state.calls == [(call, observation)] and observation.elapsed_s >= 0


def test_a_crashing_tool_is_an_error_observation_and_is_logged(caplog) -> None:
    env = Calculator()
    example = Example("calc-2", (DIVIDE, HIDDEN), (Message("user", "x"),))
    (observation,) = env.step(env.reset(example), [ToolCall("hidden", {})])
    assert observation.error and observation.content.startswith("error: hidden failed (KeyError")
    assert "tool hidden crashed" in caplog.text


def test_calls_run_in_order_and_the_state_keeps_them() -> None:
    env = Calculator()
    state = env.reset(EXAMPLE)
    calls = [ToolCall("divide", {"a": 9, "b": 3}), ToolCall("divide", {"a": 1, "b": 0})]
    observations = env.step(state, calls)
    assert [json.loads(observations[0].content)["result"], observations[1].error] == [3.0, True]
    assert [c for c, _ in state.calls] == calls


def test_an_example_with_tools_the_environment_cannot_run_is_refused() -> None:
    foreign = Example("x", (ToolSpec("search", ""),), (Message("user", "q"),))
    with pytest.raises(UserError, match=r"tools \['search'\] are not executable in the calculator"):
        Calculator().reset(foreign)


def test_duplicate_tool_names_are_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        Environment([Tool(DIVIDE, divide), Tool(DIVIDE, divide)])


def test_outcome_from_problems() -> None:
    assert Outcome.from_problems([], 3) == Outcome(True, 1.0, "all 3 checks passed")
    assert Outcome.from_problems(["balance off"], 2) == Outcome(False, 0.5, "balance off")
    assert not Outcome.from_problems([], 0).success


def test_observation_becomes_a_tool_message() -> None:
    message = Observation("divide", '{"result": 2.0}').to_message()
    assert (message.role, message.name, message.content) == ("tool", "divide", '{"result": 2.0}')
