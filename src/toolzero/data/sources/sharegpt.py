"""ShareGPT-style function-calling conversations, as LLaMA-Factory ships Glaive's data:
`{"conversations": [{"from": "human"|"gpt"|"function_call"|"observation"|"system",
"value": ...}], "tools": JSON text or list, "system": optional}`.

A `function_call` turn's value is a JSON call `{"name", "arguments"}` (or a list of them);
consecutive call turns are one assistant turn with several calls, and an `observation`
is a tool result.
"""

from __future__ import annotations

from typing import Any

from toolzero.data.report import RowError
from toolzero.data.sources.dialogue import (
    calls_from,
    dialogue_examples,
    merge_assistant_turns,
    tools_from,
)
from toolzero.protocol.types import Example, Message

ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
    "system": "system",
}


def convert_sharegpt(
    record: dict[str, Any], row: int, source: str, turns: str = "all", **_: Any
) -> list[Example]:
    conversation = record.get("conversations")
    if not isinstance(conversation, list):
        raise RowError("missing conversations list")
    tools = tools_from(record.get("tools"))
    messages: list[Message] = []
    for k, turn in enumerate(conversation):
        if not isinstance(turn, dict):
            raise RowError("malformed conversation turn", f"turn {k} is {type(turn).__name__}")
        speaker, value = turn.get("from"), turn.get("value")
        if not isinstance(value, str):
            raise RowError("malformed conversation turn", f"turn {k} has no text value")
        if speaker == "function_call":
            messages.append(Message("assistant", "", calls_from(value, f"function_call turn {k}")))
        elif speaker in ROLES:
            messages.append(Message(ROLES[speaker], value))
        else:
            raise RowError("unknown conversation role", f"turn {k}: {speaker!r}")
    return dialogue_examples(
        f"{source}-{row}", tools, merge_assistant_turns(messages), source, turns
    )
