"""A user's tool registered as untrusted runs in the sandbox: it works, and what it must not
do (read the project, reach the network, run forever) ends as an error observation."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolzero.environments.base import EpisodeState
from toolzero.environments.sandbox import SandboxLimits, sandbox_problem
from toolzero.environments.untrusted import ToolsEnvironment, untrusted_tool
from toolzero.errors import UserError
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

pytestmark = pytest.mark.skipif(
    sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}"
)
REPO = Path(__file__).resolve().parents[2]


def spec(name: str, **props: str) -> ToolSpec:
    return ToolSpec(name, "", {"type": "object", "properties": {k: {"type": v} for k, v in props.items()}})


def word_count(text: str) -> dict:
    return {"words": len(text.split())}


def read_file(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def fetch(host: str) -> str:
    import socket

    socket.create_connection((host, 80), timeout=2)
    return "connected"


def spin(n: int) -> int:
    while True:
        n += 1


def run(tool, **arguments):
    env = ToolsEnvironment([tool])
    example = Example(id="t", tools=(tool.spec,), messages=(Message("user", "?"),))
    state: EpisodeState = env.reset(example)
    return env.step(state, [ToolCall(tool.name, arguments)])[0]


def test_an_untrusted_tool_runs_and_returns_json() -> None:
    observation = run(untrusted_tool(word_count, spec("word_count", text="string")), text="a b c")
    assert not observation.error
    assert observation.content == '{"words": 3}'


def test_source_text_works_too() -> None:
    source = "def double(x):\n    return 2 * x\n"
    observation = run(untrusted_tool(source, spec("double", x="integer")), x=21)
    assert observation.content == "42"


@pytest.mark.parametrize(
    ("function", "arguments", "expected"),
    [
        (read_file, {"path": str(REPO / "pyproject.toml")}, "FileNotFoundError"),
        (fetch, {"host": "1.1.1.1"}, "failed in the sandbox"),
        (spin, {"n": 0}, "failed in the sandbox"),
    ],
)
def test_what_it_must_not_do_is_an_error_observation(function, arguments, expected) -> None:
    props = {k: "string" if isinstance(v, str) else "integer" for k, v in arguments.items()}
    tool = untrusted_tool(function, spec(function.__name__, **props), SandboxLimits(wall_s=3, cpu_s=2))
    observation = run(tool, **arguments)
    assert observation.error
    assert expected in observation.content


def test_a_function_without_source_is_refused() -> None:
    with pytest.raises(UserError, match="cannot read the source"):
        untrusted_tool(len, spec("len", x="string"))
