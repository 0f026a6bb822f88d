"""ToolACE (`Team-ACE/ToolACE`): `system` text embedding a JSON tool list, and
`conversations` of `{"from": "user"|"assistant"|"tool", "value": ...}` turns.

Assistant turns that call tools are Python-style lists, `[Name(arg=value, ...)]`; other
assistant turns are responses. Tool turns are JSON results. Every assistant turn becomes
a target by default (`turns="all"`), with the turns before it as history.
"""

from __future__ import annotations

import json
from typing import Any

from toolzero.data.report import RowError
from toolzero.data.sources.dialogue import dialogue_examples, merge_assistant_turns, tools_from
from toolzero.data.sources.python_calls import looks_like_call_list, parse_python_calls
from toolzero.protocol.types import Example, Message, ToolSpec

_DECODER = json.JSONDecoder()
ROLE_OF = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "tool": "tool",
}


def convert_toolace(
    record: dict[str, Any], row: int, source: str, turns: str = "all", **_: Any
) -> list[Example]:
    system = record.get("system")
    turns_raw = record.get("conversations")
    if not isinstance(system, str) or not isinstance(turns_raw, list):
        raise RowError("missing system text or conversations")
    tools = tools_in_text(system)
    messages = []
    for k, turn in enumerate(turns_raw):
        if not isinstance(turn, dict) or turn.get("from") not in ROLE_OF:
            raise RowError("unknown conversation turn", f"turn {k}: {str(turn)[:60]}")
        role, value = ROLE_OF[turn["from"]], str(turn.get("value") or "")
        if role == "assistant" and looks_like_call_list(value):
            messages.append(Message("assistant", "", parse_python_calls(value)))
        else:
            messages.append(Message(role, value))
    return dialogue_examples(
        f"{source}-{row}", tools, merge_assistant_turns(messages), source, turns
    )


def tools_in_text(text: str) -> tuple[ToolSpec, ...]:
    """The first JSON list of tool specs (objects with a `name`) found in a text."""
    pos = text.find("[")
    while pos >= 0:
        try:
            value, _ = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError:
            value = None
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) and "name" in v for v in value)
        ):
            return tools_from(value, "system tool list")
        pos = text.find("[", pos + 1)
    raise RowError("no tool list in system text")
