"""The `compact` prompt protocol: ToolRL's output format behind a short prompt.

ToolRL's own system prompt is ~400 tokens before the first tool; a small base model
(Gemma-3-270M) reads it slowly and learns nothing from it: in an early probe none of 112
sampled completions had ToolRL's full answer shape under it. `compact`
keeps the same *answer* format, so every reward preset scores it unchanged, but the prompt
is a few lines: one sentence of instructions, one worked example with its own tool list
(for an environment's multi-turn task, carried on to its tool result and answer),
and one line per tool of the task (`name(arg: type, opt?: type) - description`). The
dialogue follows as `User:` / `Tool result:` lines, past assistant turns in the output
format.

What is left out: parameter descriptions, enums and defaults (the tool line gives names
and types only) and ToolRL's "Important Notes". Use `toolrl` when the model should see
exactly ToolRL's prompt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from toolzero.protocol.types import Example, Message, ToolSpec, render_toolrl_output

INSTRUCTION = (
    "Answer with <think> your reasoning </think>, then either one <tool_call> block with "
    'one JSON object per line ({"name": ..., "parameters": {...}}) or '
    "<response> your answer </response>."
)

EXAMPLE_TOOLS = "Tools:\n- get_sunrise(city: string) - Sunrise time in a city.\n"
"""The episode example's own tool list (multi-turn tasks; see `EPISODE_EXAMPLE`)."""

WORKED_EXAMPLE = (
    "Tools:\n- get_tide(harbour: string) - High tide time at a harbour.\n"
    "User: When is high tide in Bergen?\n"
    "<think> get_tide gives the high tide time at a harbour. </think>\n<tool_call>\n"
    '{"name": "get_tide", "parameters": {"harbour": "Bergen"}}\n</tool_call>'
)
"""One short task, with its own tool list, before the real one: the call names a tool of
the list right above it, the pattern a base model should follow. Gemma-3-270M base then
names the right tool in 16% of samples and in 6 of 12 train tasks at least once in 8
samples (temperature 0.8), against 5% and 2 of 12 with the example under the real tool
list (it invented tool names instead). Its reasoning starts with the tool's name, which
it also follows (2% right tools after a longer sentence).

A base model copies the example, and GRPO rewards whatever scores, so no part of a copied
call may score: the tool, its parameter and its value are in no shipped tool library or
value pool (`tests/protocol/test_worked_example.py`). With `get_time`, a training tool,
GRPO taught the model to answer every task with it; with `get_sunrise(city)`, to pass
`{"city": ...}` to every tool (7 of the 40 training tools and 7 of the 18 held-out ones
take a city). With `harbour`, the quickstart's models read parameter names from the
task's tool line instead (docs/quickstart-experiments.md)."""


def render_tool_line(tool: ToolSpec) -> str:
    """One tool as a signature line; optional parameters carry a `?`.

    >>> spec = {"type": "object", "properties": {"city": {"type": "string"},
    ...         "days": {"type": "integer"}}, "required": ["city"]}
    >>> render_tool_line(ToolSpec("get_forecast", "Weather forecast.", spec))
    '- get_forecast(city: string, days?: integer) - Weather forecast.'
    """
    required = set(tool.required())
    args = []
    for name, spec in tool.properties().items():
        kind = spec.get("type", "any") if isinstance(spec, dict) else "any"
        if isinstance(kind, list):
            kind = "|".join(str(k) for k in kind)
        args.append(f"{name}{'' if name in required else '?'}: {kind}")
    description = " ".join(tool.description.split())
    return f"- {tool.name}({', '.join(args)})" + (f" - {description}" if description else "")


EPISODE_INSTRUCTION = (
    f"{INSTRUCTION} A tool's result comes back as a `Tool result:` line; then call again or "
    "give the answer."
)
EPISODE_EXAMPLE = (
    f"{EXAMPLE_TOOLS}"
    "User: When does the sun rise in Reykjavik?\n"
    "<think> The user names the city Reykjavik; get_sunrise gives its sunrise time. </think>\n"
    '<tool_call>\n{"name": "get_sunrise", "parameters": {"city": "Reykjavik"}}\n</tool_call>\n'
    'Tool result: {"city": "Reykjavik", "sunrise": "06:12"}\n'
    "<think> The result says the sunrise is 06:12. </think>\n"
    "<response> The sun rises at 06:12 in Reykjavik. </response>"
)
"""For tasks played as multi-turn episodes (an environment's tasks: `metadata["environment"]`):
the example carried on to its result and the answer, so the model sees how an episode ends
(the result line is written as `render_compact_dialogue` writes results). Its thought names
the request's value before the call, and that value (Reykjavik) is in no task pool, so a
copied call never scores. With it, Gemma-3-270M base names the request's values in its
thoughts, and the multi-turn quickstart's held-out first calls went from 2 to 9 of 24
exactly right (q12, docs/environments.md); with the single-turn example's thought, GRPO
collapsed onto replaying the example (`get_sunrise {"city": "Oslo"}`). The answer's thought
names the result's field and value: given the right first call and its result, the base
model's greedy answers passed 13 of 24 held-out checks, against 8 with "The result gives
the answer." (12 against 14 of 24 train tasks; `benchmarks/answer_turn_probe.py`). With
it and `environment.fit_tasks`, the quickstart's held-out outcome went from 1 to 12 of 24
(q13, docs/environments.md)."""


def render_compact_system(tools: Sequence[ToolSpec], episode: bool = False) -> str:
    """Instruction, the worked example (carried to its answer for an episode), then the
    task's own tool lines."""
    lines = "\n".join(render_tool_line(t) for t in tools) or "(no tools)"
    instruction, example = (EPISODE_INSTRUCTION, EPISODE_EXAMPLE) if episode else (
        INSTRUCTION, WORKED_EXAMPLE
    )
    return f"{instruction}\n\n{example}\n\nTools:\n{lines}"


def render_compact_dialogue(messages: Sequence[Message]) -> str:
    """The dialogue as `User:` / `Tool result:` lines and past answers in output format.

    >>> print(render_compact_dialogue([Message("user", "Weather in Rome?")]))
    User: Weather in Rome?
    """
    lines: list[str] = []
    for msg in messages:
        if msg.role == "user":
            lines.append(f"User: {msg.content}")
        elif msg.role == "assistant":
            lines.append(
                render_toolrl_output(msg.reasoning or "", msg.tool_calls, msg.content or None)
            )
        elif msg.role == "tool":
            lines.append(f"Tool result: {_compact_json(msg.content)}")
    return "\n".join(lines)


def compact_prompt_messages(example: Example) -> list[dict[str, Any]]:
    """System (instructions + tools + example) and one user message with the dialogue."""
    episode = "environment" in example.metadata  # an environment's task: multi-turn
    return [
        {"role": "system", "content": render_compact_system(example.tools, episode)},
        {"role": "user", "content": render_compact_dialogue(example.messages)},
    ]


def _compact_json(text: str) -> str:
    """Re-serialise JSON tool output on one line; leave other text as it is."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except (json.JSONDecodeError, TypeError):
        return " ".join(str(text).split())
