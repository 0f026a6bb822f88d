"""Glaive's original release (`glaiveai/glaive-function-calling-v2`): two text fields.

`system` is `SYSTEM: ... -` followed by the tool specs as JSON objects; `chat` is the
dialogue as `USER:`, `ASSISTANT:` and `FUNCTION RESPONSE:` blocks, assistant calls written
`<functioncall> {"name": ..., "arguments": '{...}'}` (arguments as a quoted JSON string)
and turns ending in `<|endoftext|>`. The ShareGPT re-packaging of the same data is read by
`sharegpt.py`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from toolzero.data.report import RowError
from toolzero.data.sources.dialogue import dialogue_examples, merge_assistant_turns, tools_from
from toolzero.protocol.types import Example, Message, ToolCall

_DECODER = json.JSONDecoder()
_SPEAKERS = re.compile(r"^(USER|ASSISTANT|FUNCTION RESPONSE):", re.M)
_QUOTED_ARGS = re.compile(
    r'^\{\s*"name":\s*"(?P<name>[^"]+)",\s*"arguments":\s*\'(?P<args>.*)\'\s*\}$', re.S
)
_ROLES = {"USER": "user", "ASSISTANT": "assistant", "FUNCTION RESPONSE": "tool"}


def convert_glaive(
    record: dict[str, Any], row: int, source: str, turns: str = "all", **_: Any
) -> list[Example]:
    system, chat = record.get("system"), record.get("chat")
    if not isinstance(system, str) or not isinstance(chat, str):
        raise RowError("missing system or chat text")
    tools = tools_from(json_objects(system), "system functions")
    messages = []
    marks = list(_SPEAKERS.finditer(chat))
    if not marks:
        raise RowError("no USER/ASSISTANT turns in chat")
    for mark, nxt in zip(marks, [*marks[1:], None], strict=True):
        body = chat[mark.end() : nxt.start() if nxt else len(chat)]
        body = body.replace("<|endoftext|>", "").strip()
        role = _ROLES[mark.group(1)]
        if role == "assistant" and body.startswith("<functioncall>"):
            messages.append(
                Message("assistant", "", (function_call(body[len("<functioncall>") :]),))
            )
        else:
            messages.append(Message(role, body))
    return dialogue_examples(
        f"{source}-{row}", tools, merge_assistant_turns(messages), source, turns
    )


def json_objects(text: str) -> list[Any]:
    """Every top-level JSON object in a text, in order."""
    out = []
    pos = text.find("{")
    while pos >= 0:
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise RowError("invalid JSON in system functions", str(err)) from None
        out.append(value)
        pos = text.find("{", end)
    return out


def function_call(text: str) -> ToolCall:
    """`{"name": "f", "arguments": '{"a": 1}'}` (Glaive's quoting) or plain JSON."""
    text = text.strip()
    try:
        return ToolCall.from_dict(json.loads(text))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        pass
    match = _QUOTED_ARGS.match(text)
    if not match:
        raise RowError("unparseable function call", text[:80])
    try:
        args = json.loads(match["args"])
    except json.JSONDecodeError as err:
        raise RowError("unparseable function call arguments", f"{match['name']}: {err}") from None
    if not isinstance(args, dict):
        raise RowError("function call arguments are not an object", match["name"])
    return ToolCall(match["name"], args)
