"""Shared pieces of the format converters: JSON fields, tool lists, and dialogue splitting.

A multi-turn conversation holds several assistant turns; each can be a training target
with the turns before it as history. `dialogue_examples` makes those `Example`s (all
assistant turns, only the last, or only the first, by `turns`). History assistant turns
that carry no reasoning get ToolRL's own placeholder thoughts, so that rendered histories
look like ToolRL's data rather than `<think>  </think>`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from toolzero.data.report import RowError
from toolzero.protocol.types import Example, Message, ToolCall, ToolSpec

# ToolRL's data uses these for past assistant turns whose reasoning was not recorded.
PLACEHOLDER_THINK_CALL = (
    "I should use the appropriate tool with proper parameters to respond to the user's need."
)
PLACEHOLDER_THINK_RESPONSE = "I should directly respond to the user's need."
# The reference response of an irrelevance example (no offered tool can do the task).
IRRELEVANT_RESPONSE = "None of the available tools can help with this request."
TURN_CHOICES = ("all", "last", "first")


def json_field(value: Any, what: str) -> Any:
    """A field that may hold JSON text or the decoded value already (Hub rows vary)."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else None
        except json.JSONDecodeError as err:
            raise RowError(f"invalid JSON in {what}", str(err)) from None
    return value


def tools_from(value: Any, what: str = "tools") -> tuple[ToolSpec, ...]:
    """A list of tool specs (plain or OpenAI-wrapped, possibly JSON text)."""
    specs = json_field(value, what)
    if specs is None:
        return ()
    if isinstance(specs, dict):
        specs = [specs]
    if not isinstance(specs, list):
        raise RowError(f"{what} is not a list", type(specs).__name__)
    try:
        return tuple(ToolSpec.from_dict(s) for s in specs)
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as err:
        raise RowError(f"malformed tool spec in {what}", repr(err)) from None


def calls_from(value: Any, what: str = "calls") -> tuple[ToolCall, ...]:
    """A list of calls `{"name", "arguments"|"parameters"}` (possibly JSON text)."""
    calls = json_field(value, what)
    if calls is None:
        return ()
    if isinstance(calls, dict):
        calls = [calls]
    if not isinstance(calls, list):
        raise RowError(f"{what} is not a list", type(calls).__name__)
    try:
        return tuple(ToolCall.from_dict(c) for c in calls)
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise RowError(f"malformed call in {what}", repr(err)) from None


def with_placeholder_reasoning(message: Message) -> Message:
    if message.role != "assistant" or message.reasoning is not None:
        return message
    think = PLACEHOLDER_THINK_CALL if message.tool_calls else PLACEHOLDER_THINK_RESPONSE
    return Message("assistant", message.content, message.tool_calls, message.name, think)


def dialogue_examples(
    row_id: str,
    tools: Sequence[ToolSpec],
    messages: Sequence[Message],
    source: str,
    turns: str = "all",
    metadata: dict[str, Any] | None = None,
) -> list[Example]:
    """One `Example` per chosen assistant turn, with everything before it as history."""
    if turns not in TURN_CHOICES:
        raise ValueError(f"turns must be one of {TURN_CHOICES}, got {turns!r}")
    targets = [
        k
        for k, m in enumerate(messages)
        if m.role == "assistant" and any(h.role == "user" for h in messages[:k])
    ]
    if not targets:
        raise RowError("no assistant turn after a user turn")
    if turns == "last":
        targets = targets[-1:]
    elif turns == "first":
        targets = targets[:1]
    out = []
    for k in targets:
        target = messages[k]
        history = tuple(with_placeholder_reasoning(m) for m in messages[:k] if m.role != "system")
        out.append(
            Example(
                id=row_id if len(targets) == 1 else f"{row_id}-t{k}",
                tools=tuple(tools),
                messages=history,
                reference_calls=target.tool_calls,
                reference_response=target.content or None,
                reference_think=target.reasoning,
                source=source,
                metadata=dict(metadata or {}),
            )
        )
    return out


def merge_assistant_turns(messages: Sequence[Message]) -> list[Message]:
    """Join consecutive assistant turns (a text turn then a call turn, or several calls)
    into one, as the ToolRL format writes them: one turn, several calls, one response."""
    out: list[Message] = []
    for m in messages:
        prev = out[-1] if out else None
        if m.role == "assistant" and prev is not None and prev.role == "assistant":
            # a response followed by calls would render in the wrong order; keep them apart
            if prev.content and m.tool_calls:
                out.append(m)
                continue
            content = "\n".join(x for x in (prev.content, m.content) if x)
            out[-1] = Message(
                "assistant", content, prev.tool_calls + m.tool_calls, None, prev.reasoning
            )
        else:
            out.append(m)
    return out
