"""A user's tool registered as untrusted: its Python source runs in the sandbox per call.

    def word_count(text: str) -> int:
        return len(text.split())

    tool = untrusted_tool(word_count, spec)          # a `Tool` any environment can hold
    env = ToolsEnvironment([tool])                   # or add it to your own Environment

Each call runs in a fresh sandbox process (`sandbox.run_python`: no network, nothing of the
host visible, a private `/tmp`, CPU, memory, process and output limits): the function's
source plus a few lines that read the arguments as JSON from stdin, call it, and print
the result as JSON. The function must be self-contained (imports inside its body or from
the standard library at its top; no closures over host objects), because only its
source crosses into the sandbox. A result that is not JSON, an exception, a timeout or any
other stop becomes the tool's refusal (`ToolFailure`): an error observation, never a
crash of the rollout.
"""

from __future__ import annotations

import inspect
import json
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from toolzero.environments.base import (
    Environment,
    EpisodeState,
    Outcome,
    Tool,
    ToolFailure,
    answer_outcome,
)
from toolzero.environments.sandbox import SandboxLimits, run_python
from toolzero.errors import UserError
from toolzero.protocol.types import ToolSpec

# Runs after the user's source: arguments in, the result out, on one marked line.
_CALLER = """
import json as _json, sys as _sys
_result = {name}(**_json.loads(_sys.stdin.read()))
print("\\n<toolzero-result>" + _json.dumps(_result))
"""
_MARK = "<toolzero-result>"


def untrusted_tool(
    function: Callable[..., Any] | str,
    spec: ToolSpec,
    limits: SandboxLimits | None = None,
    name: str | None = None,
) -> Tool:
    """A `Tool` whose calls run `function` (a function, or Python source defining `name`,
    default `spec.name`) in the sandbox under `limits`."""
    if callable(function):
        try:
            source = textwrap.dedent(inspect.getsource(function))
        except (OSError, TypeError) as exc:
            raise UserError(
                f"untrusted tool {spec.name}: cannot read the source of {function!r} ({exc}); "
                "pass the source text instead"
            ) from None
        name = name or function.__name__
    else:
        source, name = function, name or spec.name
    if not name.isidentifier():
        raise UserError(f"untrusted tool {spec.name}: {name!r} is not a function name")
    program = source + "\n" + _CALLER.format(name=name)
    limits = limits or SandboxLimits()

    def run(state: EpisodeState, **arguments: Any) -> Any:
        result = run_python(program, limits, stdin=json.dumps(arguments))
        if not result.ok:
            reason = result.killed_reason or f"exit code {result.exit_code}"
            detail = result.stderr.strip().splitlines()[-1:] or [""]
            raise ToolFailure(f"{spec.name} failed in the sandbox ({reason}) {detail[0]}".strip())
        _, mark, payload = result.stdout.rpartition(_MARK)
        if not mark:
            raise ToolFailure(f"{spec.name} returned no result")
        return json.loads(payload)

    return Tool(spec, run)


class ToolsEnvironment(Environment):
    """An environment of given tools and no world: episodes end with the final answer,
    checked against `metadata["expected"]["answer"]` where a task has one."""

    name = "tools"

    def __init__(self, tools: Sequence[Tool]) -> None:
        super().__init__(tools)

    def outcome(self, state: EpisodeState, final_answer: str | None) -> Outcome:
        return answer_outcome(state, final_answer)


__all__ = ["ToolsEnvironment", "untrusted_tool"]
